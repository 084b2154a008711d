package listener

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type contentOrder struct {
	ID    string `json:"id"`
	Qty   int    `json:"qty"`
	Note  string `json:"note,omitempty"`
	Extra *bool  `json:"extra"`
}

type contentEmployee struct {
	Name   string `csv:"name"`
	Age    int    `csv:"age"`
	Active bool
}

func fileNamed(name string) FileInfo {
	return fileInfoAt("/in/"+name, 0, 0, "ftp://h")
}

func TestContentKindByExtension(t *testing.T) {
	for name, want := range map[string]ContentKind{"a.txt": ContentText, "a.LOG": ContentText, "r.md": ContentText,
		"a.Json": ContentJSON, "a.xml": ContentXML, "a.b.csv": ContentCSV, "a.bin": ContentFile, "noext": ContentFile,
		".csv": ContentFile, "a.csv.gz": ContentFile} {
		assert.Equal(t, want, ContentKindOf(fileNamed(name)), name)
	}
}

// A route by name wins over the extension, as @ftp:FunctionConfig's fileNamePattern.
func TestContentServiceRoutes(t *testing.T) {
	var took []string
	s := &ContentService{
		JSON: func(_ context.Context, _ io.Reader, f FileInfo, _ *Caller, _ ContentOptions) error {
			took = append(took, "json:"+f.Name)
			return nil
		},
		CSV: func(_ context.Context, _ io.Reader, f FileInfo, _ *Caller, _ ContentOptions) error {
			took = append(took, "csv:"+f.Name)
			return nil
		},
	}
	require.NoError(t, s.Route(`order_.*\.csv`, ContentJSON))
	assert.ErrorContains(t, s.Route(`(?!x).*`, ContentCSV), "negative lookahead is not supported")
	for _, n := range []string{"order_1.csv", "invoice.csv", "xorder_1.csv"} {
		require.NoError(t, s.OnFile(context.Background(), fileNamed(n), strings.NewReader(""), nil))
	}
	assert.Equal(t, []string{"json:order_1.csv", "csv:invoice.csv", "csv:xorder_1.csv"}, took, "whole-name matches only")
	err := s.OnFile(context.Background(), fileNamed("a.txt"), strings.NewReader(""), nil)
	assert.ErrorIs(t, err, ErrReject, "no Text and no File method")
}

func TestJSONAsStrictAndLax(t *testing.T) {
	var got []contentOrder
	fn := JSONAs(func(_ context.Context, o contentOrder, _ FileInfo, _ *Caller) error {
		got = append(got, o)
		return nil
	})
	f := fileNamed("o.json")
	require.NoError(t, fn(context.Background(), strings.NewReader(`{"id":"o-1","qty":2,"unknown":true}`), f, nil, ContentOptions{}))
	assert.Equal(t, []contentOrder{{ID: "o-1", Qty: 2}}, got, "unknown members ignored, pointer and omitempty fields optional")

	err := fn(context.Background(), strings.NewReader(`{"id":"o-2"}`), f, nil, ContentOptions{})
	var be *ContentBindingError
	require.ErrorAs(t, err, &be)
	assert.ErrorIs(t, err, ErrReject, "the listener rejects it at once")
	assert.Equal(t, "content of /in/o.json: qty: is missing or null (laxDataBinding = true leaves it unset)", err.Error())
	require.NoError(t, fn(context.Background(), strings.NewReader(`{"id":"o-2","qty":null}`), f, nil, ContentOptions{LaxDataBinding: true}))

	err = fn(context.Background(), strings.NewReader(`{"id":"o-3","qty":"secret-ish"}`), f, nil, ContentOptions{})
	require.ErrorAs(t, err, &be)
	assert.Contains(t, err.Error(), "qty: want int, got a JSON string")
	assert.NotContains(t, err.Error(), "secret-ish", "never the content")
	err = fn(context.Background(), strings.NewReader("{\n\"id\": "), f, nil, ContentOptions{})
	assert.EqualError(t, err, "content of /in/o.json: is not JSON (line 2)")
}

func TestCSVAsBindsByHeaderStrictOrFailSafe(t *testing.T) {
	const data = "name,age,active\r\nAlice,25,true\r\nBob,old,false\r\n\"Carol, Jr.\",40,TRUE\r\nDan,51\r\nEve,\"3\"x,true\r\nFay,60,false\r\n"
	var got []contentEmployee
	fn := CSVAs(func(_ context.Context, rows []contentEmployee, _ FileInfo, _ *Caller) error {
		got = rows
		return nil
	})
	f := fileNamed("e.csv")
	err := fn(context.Background(), strings.NewReader(data), f, nil, ContentOptions{})
	var be *ContentBindingError
	require.ErrorAs(t, err, &be)
	assert.Equal(t, 3, be.Line)
	assert.Equal(t, "content of /in/e.csv line 3: age: want a whole number of 64 bits", err.Error())

	var log bytes.Buffer
	o := ContentOptions{CSVFailSafe: &FailSafeOptions{ContentType: "RAW_AND_METADATA"}, Logger: slog.New(slog.NewTextHandler(&log, nil))}
	require.NoError(t, fn(context.Background(), strings.NewReader(data), f, nil, o))
	assert.Equal(t, []contentEmployee{{"Alice", 25, true}, {"Carol, Jr.", 40, true}, {"Fay", 60, false}}, got)
	assert.Equal(t, 3, strings.Count(log.String(), "csvFailSafe skipped"), log.String())
	assert.Contains(t, log.String(), "line 5: wrong number of fields")

	var text [][]string
	raw := CSVAs(func(_ context.Context, rows [][]string, _ FileInfo, _ *Caller) error {
		text = rows
		return nil
	})
	require.NoError(t, raw(context.Background(), strings.NewReader("a,b\n1,\"x\ny\"\n"), f, nil, ContentOptions{}))
	assert.Equal(t, [][]string{{"1", "x\ny"}}, text)

	_, err = csvBinder[contentEmployee]([]string{"name", "age"}, false)
	assert.EqualError(t, err, `the header has no column "Active" for contentEmployee.Active (laxDataBinding = true leaves it unset)`)
}

func TestXMLAs(t *testing.T) {
	type order struct {
		ID string `xml:"id,attr"`
	}
	var got order
	fn := XMLAs(func(_ context.Context, o order, _ FileInfo, _ *Caller) error {
		got = o
		return nil
	})
	require.NoError(t, fn(context.Background(), strings.NewReader(`<order id="7"/>`), fileNamed("a.xml"), nil, ContentOptions{}))
	assert.Equal(t, "7", got.ID)
	err := fn(context.Background(), strings.NewReader("<order>\n<a></order>"), fileNamed("a.xml"), nil, ContentOptions{})
	assert.ErrorIs(t, err, ErrReject)
	assert.Contains(t, err.Error(), "line 2: is not well-formed XML")
}

// Files through a real listener on pure-ftpd: routed by extension, bad
// content and a file no method takes reported as rejected, nothing retried.
func TestContentServiceOnARealListener(t *testing.T) {
	cfg, local := pureDir(t)
	write(t, local, "a.txt", "hello", 0)
	write(t, local, "b.json", `{"id":"o-1","qty":2}`, 0)
	write(t, local, "c.csv", "name,age,active\nAlice,25,true\n", 0)
	write(t, local, "d.bin", "raw", 0)
	write(t, local, "bad.json", `{"id":"o-2"}`, 0)
	var mu sync.Mutex
	got := map[string]any{}
	var errs []error
	put := func(k string, v any) {
		mu.Lock()
		defer mu.Unlock()
		got[k] = v
	}
	svc := &ContentService{
		Text: func(_ context.Context, s string, f FileInfo, _ *Caller) error { put(f.Name, s); return nil },
		JSON: JSONAs(func(_ context.Context, o contentOrder, f FileInfo, _ *Caller) error { put(f.Name, o); return nil }),
		CSV: CSVAs(func(_ context.Context, rows []contentEmployee, f FileInfo, _ *Caller) error {
			put(f.Name, rows)
			return nil
		}),
		Error: func(_ context.Context, err error) {
			mu.Lock()
			defer mu.Unlock()
			errs = append(errs, err)
		},
		Options: ContentOptionsOf(cfg),
	}
	l := newListener(t, cfg, svc)
	poll(t, l)
	require.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(got) == 3 && len(errs) == 2
	}, 20*time.Second, 20*time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, "hello", got["a.txt"])
	assert.Equal(t, contentOrder{ID: "o-1", Qty: 2}, got["b.json"])
	assert.Equal(t, []contentEmployee{{"Alice", 25, true}}, got["c.csv"])
	all := errors.Join(errs...).Error()
	assert.Contains(t, all, "bad.json: qty: is missing")
	assert.Contains(t, all, "no method of the ContentService takes "+cfg.Path+"/d.bin")
}
