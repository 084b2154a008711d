package main

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// A reader of the parts of a Ballerina source file that configure an ftp
// listener: the record literal given to `new ftp:Listener(...)` (or the
// ftp:ListenerConfiguration variable it names), each service's
// @ftp:ServiceConfig and its methods' @ftp:FunctionConfig. It reads
// literals only (mappings, lists, strings, numbers, booleans, enum members
// such as ftp:SFTP); anything else (a variable, an expression) is kept as a
// balRef for the import to resolve or to report. It is not a Ballerina
// parser: the rest of the file is skipped token by token.

type balTokKind int

const (
	tPunct balTokKind = iota
	tIdent
	tString
	tNumber
	tEOF
)

type balTok struct {
	kind balTokKind
	text string // identifier, punctuation, the decoded string, the number's text
	line int
}

// balRef is a value the reader could not evaluate: a variable (configurable)
// or an expression, with its source text.
type balRef struct{ text string }

// balTyped is a mapping written with a type cast, <task:PostgresqlConfig>{...}.
type balTyped struct {
	typ   string
	value map[string]any
}

func balTokenize(src string) ([]balTok, error) {
	var toks []balTok
	line := 1
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == '\n':
			line++
			i++
		case c == ' ' || c == '\t' || c == '\r':
			i++
		case c == '/' && i+1 < len(src) && src[i+1] == '/':
			for i < len(src) && src[i] != '\n' {
				i++
			}
		case c == '"':
			s, n, err := balString(src[i:])
			if err != nil {
				return nil, fmt.Errorf("line %d: %w", line, err)
			}
			toks = append(toks, balTok{tString, s, line})
			i += n
		case c == '`':
			j := strings.IndexByte(src[i+1:], '`')
			if j < 0 {
				return nil, fmt.Errorf("line %d: a string template is not closed", line)
			}
			t := src[i+1 : i+1+j]
			kind := tString
			if strings.Contains(t, "${") {
				kind = tPunct // an interpolation: not a literal
				t = "`" + t + "`"
			}
			toks = append(toks, balTok{kind, t, line})
			line += strings.Count(t, "\n")
			i += j + 2
		case c >= '0' && c <= '9' || (c == '.' && i+1 < len(src) && src[i+1] >= '0' && src[i+1] <= '9'):
			j := i
			for j < len(src) && (isBalIdentByte(src[j]) || src[j] == '.' ||
				((src[j] == '+' || src[j] == '-') && (src[j-1] == 'e' || src[j-1] == 'E'))) {
				j++
			}
			toks = append(toks, balTok{tNumber, src[i:j], line})
			i = j
		case c == '\'' || isBalIdentByte(c) || c >= utf8.RuneSelf:
			j := i
			if c == '\'' {
				j++
			}
			for j < len(src) {
				r, n := utf8.DecodeRuneInString(src[j:])
				if r == '\\' && j+1 < len(src) {
					j += 2
					continue
				}
				if !(r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r)) {
					break
				}
				j += n
			}
			if j == i {
				j = i + 1
			}
			toks = append(toks, balTok{tIdent, strings.TrimPrefix(src[i:j], "'"), line})
			i = j
		case c == '.' && strings.HasPrefix(src[i:], "..."):
			toks = append(toks, balTok{tPunct, "...", line})
			i += 3
		default:
			toks = append(toks, balTok{tPunct, string(c), line})
			i++
		}
	}
	return append(toks, balTok{tEOF, "", line}), nil
}

func isBalIdentByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// balString decodes a double-quoted Ballerina string at the start of s and
// returns it and the bytes it took.
func balString(s string) (string, int, error) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch c := s[i]; c {
		case '"':
			return b.String(), i + 1, nil
		case '\n':
			return "", 0, fmt.Errorf("a string is not closed on its line")
		case '\\':
			if i+1 >= len(s) {
				return "", 0, fmt.Errorf("a string ends in a backslash")
			}
			i++
			switch e := s[i]; e {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			case '"', '\\', '\'':
				b.WriteByte(e)
			case 'u':
				end := strings.IndexByte(s[i:], '}')
				if !strings.HasPrefix(s[i:], "u{") || end < 0 {
					return "", 0, fmt.Errorf(`a \u escape is not \u{XXXX}`)
				}
				r, err := strconv.ParseUint(s[i+2:i+end], 16, 32)
				if err != nil {
					return "", 0, fmt.Errorf(`a \u escape is not \u{XXXX}`)
				}
				b.WriteRune(rune(r))
				i += end
			default:
				return "", 0, fmt.Errorf(`unknown escape \%c in a string`, e)
			}
		default:
			b.WriteByte(c)
		}
	}
	return "", 0, fmt.Errorf("a string is not closed")
}

// balParser reads values from a token slice.
type balParser struct {
	toks []balTok
	pos  int
}

func (p *balParser) peek(k int) balTok {
	if p.pos+k >= len(p.toks) {
		return p.toks[len(p.toks)-1]
	}
	return p.toks[p.pos+k]
}

func (p *balParser) is(k int, text string) bool {
	t := p.peek(k)
	return (t.kind == tPunct || t.kind == tIdent) && t.text == text
}

func (p *balParser) errf(format string, args ...any) error {
	return fmt.Errorf("line %d: %s", p.peek(0).line, fmt.Sprintf(format, args...))
}

// value reads one value; an expression it cannot evaluate becomes a balRef
// holding its text up to the next , } or ] at its level.
func (p *balParser) value() (any, error) {
	t := p.peek(0)
	switch {
	case t.kind == tPunct && t.text == "{":
		return p.mapping()
	case t.kind == tPunct && t.text == "[":
		return p.list()
	case t.kind == tPunct && t.text == "<":
		// A cast: <task:PostgresqlConfig>{...}
		var typ strings.Builder
		p.pos++
		for !p.is(0, ">") && p.peek(0).kind != tEOF {
			typ.WriteString(p.peek(0).text)
			p.pos++
		}
		p.pos++
		v, err := p.value()
		if m, ok := v.(map[string]any); ok && err == nil {
			return balTyped{typ.String(), m}, nil
		}
		return v, err
	case t.kind == tString && p.ends(1):
		p.pos++
		return t.text, nil
	case t.kind == tNumber && p.ends(1):
		p.pos++
		return balNumber(t.text)
	case t.kind == tPunct && t.text == "-" && p.peek(1).kind == tNumber && p.ends(2):
		p.pos += 2
		n, err := balNumber(t.text + p.peek(-1).text)
		return n, err
	case t.kind == tIdent && (t.text == "true" || t.text == "false") && p.ends(1):
		p.pos++
		return t.text == "true", nil
	case t.kind == tIdent && t.text == "string" && p.peek(1).kind == tString && p.ends(2):
		p.pos += 2 // string `...` without interpolation
		return p.peek(-1).text, nil
	case t.kind == tIdent && p.is(1, ":") && p.peek(2).kind == tIdent && p.ends(3) && (t.text == "ftp" || t.text == "task"):
		p.pos += 3 // an enum member: ftp:SFTP, ftp:DELETE
		if v, ok := balEnumValues[p.peek(-1).text]; ok && t.text == "ftp" {
			return v, nil
		}
		return p.peek(-1).text, nil
	}
	return p.reference()
}

// balEnumValues are ballerina/ftp's enum members whose value is not their
// name (TransferCompression); the others' values are their names, or
// (Protocol) the name in lower case, which ftpcoord reads in any case.
var balEnumValues = map[string]string{"NO": "none", "ZLIB": "zlib", "ZLIBOPENSSH": "zlib@openssh.com"}

// ends: the token k ahead closes the value.
func (p *balParser) ends(k int) bool {
	return p.is(k, ",") || p.is(k, "}") || p.is(k, "]") || p.is(k, ")") || p.is(k, ";") || p.peek(k).kind == tEOF
}

func (p *balParser) reference() (any, error) {
	var b strings.Builder
	depth := 0
	for {
		t := p.peek(0)
		if t.kind == tEOF {
			return nil, p.errf("the value %q is not closed", b.String())
		}
		if depth == 0 && p.ends(0) {
			break
		}
		switch t.text {
		case "(", "[", "{":
			depth++
		case ")", "]", "}":
			depth--
		}
		if b.Len() > 0 && t.kind != tPunct && !strings.HasSuffix(b.String(), ":") {
			b.WriteByte(' ')
		}
		if t.kind == tString {
			b.WriteString(strconv.Quote(t.text))
		} else {
			b.WriteString(t.text)
		}
		p.pos++
	}
	if b.Len() == 0 {
		return nil, p.errf("a value is missing")
	}
	return balRef{b.String()}, nil
}

func balNumber(s string) (any, error) {
	t := strings.TrimRight(strings.ToLower(s), "df")
	if strings.HasPrefix(t, "0x") || strings.HasPrefix(t, "-0x") {
		n, err := strconv.ParseInt(t, 0, 64)
		return n, err
	}
	if n, err := strconv.ParseInt(t, 10, 64); err == nil {
		return n, nil
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil {
		return nil, fmt.Errorf("%q is not a number", s)
	}
	return f, nil
}

func (p *balParser) mapping() (map[string]any, error) {
	if !p.is(0, "{") {
		return nil, p.errf("want a record literal {...}")
	}
	p.pos++
	m := map[string]any{}
	for !p.is(0, "}") {
		if p.peek(0).kind == tEOF {
			return nil, p.errf("a record literal is not closed")
		}
		if p.is(0, "...") {
			p.pos++
			v, err := p.value()
			if err != nil {
				return nil, err
			}
			m["..."] = v // a spread: reported by the import
		} else {
			k := p.peek(0)
			if k.kind != tIdent && k.kind != tString {
				return nil, p.errf("want a field name, got %q", k.text)
			}
			p.pos++
			if !p.is(0, ":") {
				// {host} is shorthand for {host: host}
				m[k.text] = balRef{k.text}
			} else {
				p.pos++
				v, err := p.value()
				if err != nil {
					return nil, err
				}
				m[k.text] = v
			}
		}
		if p.is(0, ",") {
			p.pos++
		} else if !p.is(0, "}") {
			return nil, p.errf("want , or } after a field, got %q", p.peek(0).text)
		}
	}
	p.pos++
	return m, nil
}

func (p *balParser) list() ([]any, error) {
	p.pos++
	l := []any{}
	for !p.is(0, "]") {
		if p.peek(0).kind == tEOF {
			return nil, p.errf("a list is not closed")
		}
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		l = append(l, v)
		if p.is(0, ",") {
			p.pos++
		} else if !p.is(0, "]") {
			return nil, p.errf("want , or ] in a list, got %q", p.peek(0).text)
		}
	}
	p.pos++
	return l, nil
}

// balListener is one ftp:Listener of a source file.
type balListener struct {
	name   string         // the variable, or "" for an inline new ftp:Listener
	config map[string]any // nil when it names a variable the file does not define
	varRef string         // new (cfgVar): the variable's name
	line   int
}

// balService is one service: the listener it is on, its @ftp:ServiceConfig
// and its methods with their @ftp:FunctionConfig.
type balService struct {
	on        string         // the listener variable, or "" when inline
	inline    map[string]any // service on new ftp:Listener({...})
	config    map[string]any
	methods   []string
	functions map[string]map[string]any // method name: its @ftp:FunctionConfig
	line      int
}

type balFile struct {
	listeners []balListener
	services  []balService
	consts    map[string]any // module-level variables and configurables with literal values
}

// readBal finds the listeners and services of a Ballerina source file.
func readBal(src string) (*balFile, error) {
	toks, err := balTokenize(src)
	if err != nil {
		return nil, err
	}
	p := &balParser{toks: toks}
	f := &balFile{consts: map[string]any{}}
	configVars := map[string]map[string]any{}
	var pendingService map[string]any
	var pendingFunction map[string]any
	for p.peek(0).kind != tEOF {
		switch {
		case p.is(0, "@") && p.is(1, "ftp") && p.is(2, ":") && (p.is(3, "ServiceConfig") || p.is(3, "FunctionConfig")):
			which := p.peek(3).text
			p.pos += 4
			m, err := p.mapping()
			if err != nil {
				return nil, fmt.Errorf("@ftp:%s: %w", which, err)
			}
			if which == "ServiceConfig" {
				pendingService = m
			} else {
				pendingFunction = m
			}
			continue
		case p.is(0, "ftp") && p.is(1, ":") && p.is(2, "ListenerConfiguration") && p.peek(3).kind == tIdent && p.is(4, "="):
			name := p.peek(3).text
			p.pos += 5
			if p.is(0, "{") {
				m, err := p.mapping()
				if err != nil {
					return nil, fmt.Errorf("ftp:ListenerConfiguration %s: %w", name, err)
				}
				configVars[name] = m
			}
		case p.is(0, "new") && p.listenerNew():
			l := balListener{line: p.peek(0).line, name: p.declaredName()}
			for !p.is(0, "(") {
				p.pos++
			}
			p.pos++
			switch {
			case p.is(0, "{"):
				m, err := p.mapping()
				if err != nil {
					return nil, fmt.Errorf("ftp:Listener: %w", err)
				}
				l.config = m
			case p.peek(0).kind == tIdent && p.is(1, ")"):
				l.varRef = p.peek(0).text
			}
			f.listeners = append(f.listeners, l)
		case p.is(0, "service") && p.serviceStart():
			s, err := p.service(pendingService)
			if err != nil {
				return nil, err
			}
			pendingService = nil
			f.services = append(f.services, s)
			continue
		case p.is(0, "remote") && p.is(1, "function") && pendingFunction != nil:
			pendingFunction = nil // a FunctionConfig outside a service: ignored
		case (p.is(0, "configurable") || p.is(0, "final") || p.is(0, "const")) && p.peek(1).kind == tIdent:
			// configurable string ftpHost = "..."; const HOST = "...";
			j := 1
			for p.peek(j).kind == tIdent && !p.is(j+1, "=") && j < 4 {
				j++
			}
			if p.peek(j).kind == tIdent && p.is(j+1, "=") {
				name := p.peek(j).text
				p.pos += j + 2
				if v, err := p.value(); err == nil {
					if _, isRef := v.(balRef); !isRef {
						f.consts[name] = v
					}
				}
				continue
			}
		}
		p.pos++
	}
	for i := range f.listeners {
		if l := &f.listeners[i]; l.varRef != "" {
			l.config = configVars[l.varRef]
		}
	}
	return f, nil
}

// listenerNew: at `new`, the value made is an ftp:Listener: `new ftp:Listener(`,
// or `new (` in a declaration of type ftp:Listener.
func (p *balParser) listenerNew() bool {
	if p.is(1, "ftp") && p.is(2, ":") && p.is(3, "Listener") && p.is(4, "(") {
		return true
	}
	if !p.is(1, "(") {
		return false
	}
	for k := -1; k >= -6 && p.pos+k >= 0; k-- {
		if p.is(k, ";") || p.is(k, "}") {
			return false
		}
		if p.is(k, "Listener") && p.is(k-1, ":") && p.is(k-2, "ftp") {
			return true
		}
	}
	return false
}

// declaredName: the variable a `new` at the current position is assigned to.
func (p *balParser) declaredName() string {
	for k := -1; k >= -4 && p.pos+k > 0; k-- {
		if p.is(k, "=") && p.peek(k-1).kind == tIdent {
			return p.peek(k - 1).text
		}
	}
	return ""
}

// serviceStart: `service` begins a service declaration (not a type name).
func (p *balParser) serviceStart() bool {
	if p.pos == 0 {
		return true
	}
	prev := p.peek(-1)
	return prev.kind == tPunct && (prev.text == ";" || prev.text == "}") || prev.kind == tIdent && (prev.text == "isolated" || prev.text == "public")
}

func (p *balParser) service(config map[string]any) (balService, error) {
	s := balService{config: config, functions: map[string]map[string]any{}, line: p.peek(0).line}
	// service [Type] [path] on LISTENER {
	for !p.is(0, "on") {
		if p.peek(0).kind == tEOF || p.is(0, "{") {
			return s, p.errf("a service without `on LISTENER`")
		}
		p.pos++
	}
	p.pos++
	if p.peek(0).kind == tIdent && p.is(1, "{") {
		s.on = p.peek(0).text
	}
	for !p.is(0, "{") {
		if p.peek(0).kind == tEOF {
			return s, p.errf("a service without a body")
		}
		if p.is(0, "new") && p.listenerNew() {
			// service on new ftp:Listener({...}) {
			for !p.is(0, "(") {
				p.pos++
			}
			p.pos++
			if p.is(0, "{") {
				m, err := p.mapping()
				if err != nil {
					return s, fmt.Errorf("ftp:Listener: %w", err)
				}
				s.inline = m
			}
			continue
		}
		p.pos++
	}
	depth := 0
	var pending map[string]any
	for {
		t := p.peek(0)
		if t.kind == tEOF {
			return s, p.errf("a service's body is not closed")
		}
		switch {
		case p.is(0, "{"):
			depth++
		case p.is(0, "}"):
			depth--
			if depth == 0 {
				p.pos++
				return s, nil
			}
		case depth == 1 && p.is(0, "@") && p.is(1, "ftp") && p.is(2, ":") && p.is(3, "FunctionConfig"):
			p.pos += 4
			m, err := p.mapping()
			if err != nil {
				return s, fmt.Errorf("@ftp:FunctionConfig: %w", err)
			}
			pending = m
			continue
		case depth == 1 && p.is(0, "function") && p.peek(1).kind == tIdent:
			name := p.peek(1).text
			s.methods = append(s.methods, name)
			if pending != nil {
				s.functions[name] = pending
				pending = nil
			}
		}
		p.pos++
	}
}
