package listener

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Typed content, as ballerina/ftp 2.18 routes it: a ContentService is an
// OnFile service that hands each file to the method of its extension,
// txt/log/md to Text, json to JSON, xml to XML, csv to CSV (any case), and
// every other file to File. The content is bound by the method's type:
//
//	l.Attach(&listener.ContentService{
//		JSON:    listener.JSONAs(func(ctx context.Context, o Order, f listener.FileInfo, c *listener.Caller) error {...}),
//		CSV:     listener.CSVAs(func(ctx context.Context, rows []Employee, f listener.FileInfo, c *listener.Caller) error {...}),
//		Options: listener.ContentOptionsOf(cfg),
//	})
//
// Content that does not parse or bind is a *ContentBindingError, which
// wraps ErrReject: the file is rejected at once (the same bytes would fail
// again). A file no method takes is rejected too (nothing is committed
// without a handler). Text, JSON and XML are read whole, as in Ballerina.

// ContentKind is what a file's content is taken as, by its extension.
type ContentKind string

const (
	ContentText ContentKind = "TEXT"
	ContentJSON ContentKind = "JSON"
	ContentXML  ContentKind = "XML"
	ContentCSV  ContentKind = "CSV"
	ContentFile ContentKind = "FILE" // any other extension: OnFile's bytes
)

// ContentKindOf routes by FileInfo.Extension as ballerina/ftp's extension map.
func ContentKindOf(f FileInfo) ContentKind {
	switch strings.ToLower(f.Extension) {
	case "txt", "log", "md":
		return ContentText
	case "json":
		return ContentJSON
	case "xml":
		return ContentXML
	case "csv":
		return ContentCSV
	}
	return ContentFile
}

// ContentOptions are the configuration's typed-content fields.
type ContentOptions struct {
	// LaxDataBinding leaves a member the content lacks (or has as null) at its
	// zero value; strict (false, Ballerina's default) rejects the file.
	LaxDataBinding bool
	// CSVFailSafe skips malformed CSV rows and logs them instead of
	// rejecting the file (nil: off).
	CSVFailSafe *FailSafeOptions
	// Logger for the skipped rows (default slog.Default()).
	Logger *slog.Logger
}

// ContentOptionsOf takes laxDataBinding and csvFailSafe from a configuration.
func ContentOptionsOf(cfg ListenerConfig) ContentOptions {
	return ContentOptions{LaxDataBinding: cfg.LaxDataBinding, CSVFailSafe: cfg.CsvFailSafe}
}

// ContentFunc reads a file's content and calls a typed method with it.
type ContentFunc func(ctx context.Context, content io.Reader, file FileInfo, caller *Caller, o ContentOptions) error

// ContentService routes added files to typed methods; a nil method is absent.
type ContentService struct {
	Text    func(ctx context.Context, text string, file FileInfo, caller *Caller) error
	JSON    ContentFunc // JSONAs
	XML     ContentFunc // XMLAs
	CSV     ContentFunc // CSVAs
	File    func(ctx context.Context, file FileInfo, content io.Reader, caller *Caller) error
	Error   func(ctx context.Context, err error)
	Options ContentOptions

	routes []contentRoute // Route's, checked before the extension
}

type contentRoute struct {
	re   *regexp.Regexp
	kind ContentKind
}

// Route sends the files whose whole name matches pattern (RE2) to the method
// of kind whatever their extension, as ballerina/ftp's @ftp:FunctionConfig
// {fileNamePattern} overrides the routing by extension; the first route
// that matches wins. Call it before Attach.
func (s *ContentService) Route(pattern string, kind ContentKind) error {
	if err := CheckPattern(pattern); err != nil {
		return fmt.Errorf("ContentService.Route: %w", err)
	}
	s.routes = append(s.routes, contentRoute{regexp.MustCompile(`^(?:` + pattern + `)$`), kind})
	return nil
}

// ContentBindingError is content that does not parse or bind (Ballerina's
// ContentBindingError). It never holds the content itself.
type ContentBindingError struct {
	Path   string
	Line   int // 0 when unknown
	Reason string
}

func (e *ContentBindingError) Error() string {
	at := e.Path
	if e.Line > 0 {
		at += fmt.Sprintf(" line %d", e.Line)
	}
	return "content of " + at + ": " + e.Reason
}

// Unwrap makes the listener reject the file at once.
func (e *ContentBindingError) Unwrap() error { return ErrReject }

// OnFile routes one file.
func (s *ContentService) OnFile(ctx context.Context, f FileInfo, r io.Reader, c *Caller) error {
	kind := s.kindOf(f)
	var fn ContentFunc
	switch kind {
	case ContentText:
		if s.Text != nil {
			fn = func(ctx context.Context, r io.Reader, f FileInfo, c *Caller, _ ContentOptions) error {
				text, err := readText(r, f)
				if err != nil {
					return err
				}
				return s.Text(ctx, text, f, c)
			}
		}
	case ContentJSON:
		fn = s.JSON
	case ContentXML:
		fn = s.XML
	case ContentCSV:
		fn = s.CSV
	}
	switch {
	case fn != nil:
		return fn(ctx, r, f, c, s.Options)
	case s.File != nil:
		return s.File(ctx, f, r, c)
	}
	return fmt.Errorf("no method of the ContentService takes %s (a %s file): %w", f.Path, kind, ErrReject)
}

// kindOf is the kind f is routed as: by Route's patterns, else its
// extension.
func (s *ContentService) kindOf(f FileInfo) ContentKind {
	for _, r := range s.routes {
		if r.re.MatchString(f.Name) {
			return r.kind
		}
	}
	return ContentKindOf(f)
}

// OnError hands the listener's errors to Error, or logs them.
func (s *ContentService) OnError(ctx context.Context, err error) {
	if s.Error != nil {
		s.Error(ctx, err)
		return
	}
	s.Options.logger().Warn("listener error", "err", err)
}

func (o ContentOptions) logger() *slog.Logger {
	if o.Logger != nil {
		return o.Logger
	}
	return slog.Default()
}

func readText(r io.Reader, f FileInfo) (string, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return "", err // a transfer failure: retried, not a binding error
	}
	if !utf8.Valid(b) {
		return "", &ContentBindingError{Path: f.Path, Reason: "is not UTF-8 text"}
	}
	return string(b), nil
}

// JSONAs binds a JSON file to T (a struct, map, slice, any...) with
// encoding/json. Strict binding: every field of a struct T without
// omitempty must be in the object and not null (names matched as
// encoding/json matches them).
func JSONAs[T any](fn func(ctx context.Context, v T, file FileInfo, caller *Caller) error) ContentFunc {
	return func(ctx context.Context, r io.Reader, f FileInfo, c *Caller, o ContentOptions) error {
		b, err := io.ReadAll(r)
		if err != nil {
			return err
		}
		var v T
		if err := json.Unmarshal(b, &v); err != nil {
			return &ContentBindingError{Path: f.Path, Reason: jsonReason(err, b)}
		}
		if !o.LaxDataBinding {
			if missing := missingJSONFields(reflect.TypeFor[T](), b); missing != "" {
				return &ContentBindingError{Path: f.Path, Reason: missing + ": is missing or null (laxDataBinding = true leaves it unset)"}
			}
		}
		return fn(ctx, v, f, c)
	}
}

// jsonReason words a decoding error without the content it quotes.
func jsonReason(err error, b []byte) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("is not JSON (line %d)", 1+bytes.Count(b[:min(int(se.Offset), len(b))], []byte("\n")))
	case errors.As(err, &te):
		return fmt.Sprintf("%s: want %s, got a JSON %s", te.Field, te.Type, te.Value)
	}
	return "does not bind"
}

// missingJSONFields names the first required field of a struct the object
// lacks, at the top level.
func missingJSONFields(t reflect.Type, b []byte) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return ""
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(b, &m) != nil {
		return ""
	}
	for i := range t.NumField() {
		sf := t.Field(i)
		if !sf.IsExported() || sf.Anonymous || sf.Type.Kind() == reflect.Pointer {
			continue
		}
		name, opts, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if name == "-" || strings.Contains(opts, "omitempty") || strings.Contains(opts, "omitzero") {
			continue
		}
		if name == "" {
			name = sf.Name
		}
		found := false
		for k, v := range m {
			if strings.EqualFold(k, name) && string(bytes.TrimSpace(v)) != "null" {
				found = true
				break
			}
		}
		if !found {
			return name
		}
	}
	return ""
}

// XMLAs binds an XML file to T with encoding/xml (which reads no external
// entities).
func XMLAs[T any](fn func(ctx context.Context, v T, file FileInfo, caller *Caller) error) ContentFunc {
	return func(ctx context.Context, r io.Reader, f FileInfo, c *Caller, o ContentOptions) error {
		b, err := io.ReadAll(r)
		if err != nil {
			return err
		}
		var v T
		if err := xml.Unmarshal(b, &v); err != nil {
			var se *xml.SyntaxError
			if errors.As(err, &se) {
				return &ContentBindingError{Path: f.Path, Line: se.Line, Reason: "is not well-formed XML: " + se.Msg}
			}
			return &ContentBindingError{Path: f.Path, Reason: "does not bind to " + reflect.TypeFor[T]().String()}
		}
		return fn(ctx, v, f, c)
	}
}

// CSVAs reads a CSV file (RFC 4180, the first record the header) and binds
// each row after the header to T: []string for the row as text, or a struct
// whose fields are matched to the header by their `csv` tag or name (any
// case); numbers and booleans are parsed. With CSVFailSafe a malformed row
// (a broken quote, another number of fields, a value that does not bind) is
// skipped and logged.
func CSVAs[T any](fn func(ctx context.Context, rows []T, file FileInfo, caller *Caller) error) ContentFunc {
	return func(ctx context.Context, r io.Reader, f FileInfo, c *Caller, o ContentOptions) error {
		cr := csv.NewReader(r)
		cr.ReuseRecord = false
		header, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return fn(ctx, nil, f, c)
		}
		if err != nil {
			return csvError(f, err, "the header: ")
		}
		bind, err := csvBinder[T](header, o.LaxDataBinding)
		if err != nil {
			return &ContentBindingError{Path: f.Path, Line: 1, Reason: err.Error()}
		}
		var rows []T
		for {
			rec, err := cr.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err == nil {
				var v T
				if v, err = bind(rec); err == nil {
					rows = append(rows, v)
					continue
				}
				line, _ := cr.FieldPos(0)
				err = &ContentBindingError{Path: f.Path, Line: line, Reason: err.Error()}
			}
			var pe *csv.ParseError
			if !errors.As(err, &pe) && !isBinding(err) {
				return err // the transfer failed: a retry may do
			}
			if o.CSVFailSafe == nil {
				return csvError(f, err, "")
			}
			o.skipped(f, err, rec) // encoding/csv reads on from the next record
		}
		return fn(ctx, rows, f, c)
	}
}

func isBinding(err error) bool {
	var be *ContentBindingError
	return errors.As(err, &be)
}

func csvError(f FileInfo, err error, prefix string) error {
	var be *ContentBindingError
	if errors.As(err, &be) {
		return be
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &ContentBindingError{Path: f.Path, Line: pe.Line, Reason: prefix + pe.Err.Error()}
	}
	return err
}

func (o ContentOptions) skipped(f FileInfo, err error, rec []string) {
	meta := err.Error()
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		meta = fmt.Sprintf("content of %s line %d: %s", f.Path, pe.Line, pe.Err)
	}
	raw := strings.Join(rec, ",")
	var msg string
	switch strings.ToUpper(o.CSVFailSafe.ContentType) {
	case "RAW":
		msg = raw
	case "RAW_AND_METADATA":
		msg = meta + ": " + raw
	default:
		msg = meta
	}
	o.logger().Warn("csvFailSafe skipped a malformed CSV row", "row", msg)
}

// csvBinder makes the function that binds one record to T.
func csvBinder[T any](header []string, lax bool) (func([]string) (T, error), error) {
	t := reflect.TypeFor[T]()
	if t == reflect.TypeFor[[]string]() {
		return func(rec []string) (T, error) {
			return any(rec).(T), nil
		}, nil
	}
	if t.Kind() != reflect.Struct {
		return nil, fmt.Errorf("CSVAs: %s is neither []string nor a struct", t)
	}
	col := make([]int, t.NumField()) // the column of each field, -1 for none
	for i := range t.NumField() {
		sf := t.Field(i)
		col[i] = -1
		name := sf.Tag.Get("csv")
		if name == "-" || !sf.IsExported() {
			continue
		}
		if name == "" {
			name = sf.Name
		}
		for j, h := range header {
			if h == name || (col[i] < 0 && strings.EqualFold(h, name)) {
				col[i] = j
			}
		}
		if col[i] < 0 && !lax {
			return nil, fmt.Errorf("the header has no column %q for %s.%s (laxDataBinding = true leaves it unset)", name, t.Name(), sf.Name)
		}
	}
	return func(rec []string) (T, error) {
		var v T
		rv := reflect.ValueOf(&v).Elem()
		for i, j := range col {
			if j < 0 {
				continue
			}
			name := header[j]
			if err := setCSVField(rv.Field(i), rec[j], lax); err != nil {
				return v, fmt.Errorf("%s: %w", name, err)
			}
		}
		return v, nil
	}, nil
}

func setCSVField(fv reflect.Value, s string, lax bool) error {
	if fv.Kind() == reflect.String {
		fv.SetString(s)
		return nil
	}
	s = strings.TrimSpace(s)
	if s == "" {
		if lax {
			return nil
		}
		return errors.New("is empty (laxDataBinding = true leaves it unset)")
	}
	switch fv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(s, 10, fv.Type().Bits())
		if err != nil {
			return fmt.Errorf("want a whole number of %d bits", fv.Type().Bits())
		}
		fv.SetInt(n)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, err := strconv.ParseUint(s, 10, fv.Type().Bits())
		if err != nil {
			return fmt.Errorf("want an unsigned whole number of %d bits", fv.Type().Bits())
		}
		fv.SetUint(n)
	case reflect.Float32, reflect.Float64:
		n, err := strconv.ParseFloat(s, fv.Type().Bits())
		if err != nil {
			return errors.New("want a number")
		}
		fv.SetFloat(n)
	case reflect.Bool:
		switch strings.ToLower(s) {
		case "true":
			fv.SetBool(true)
		case "false":
			fv.SetBool(false)
		default:
			return errors.New("want true or false")
		}
	default:
		return fmt.Errorf("a field of type %s cannot take CSV text", fv.Type())
	}
	return nil
}
