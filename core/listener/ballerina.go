package listener

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
)

// Fields of ballerina/ftp 2.18's ListenerConfiguration that ftpcoord accepts
// so that a Ballerina configuration loads unchanged. Those it cannot honour
// are listed by Unhonoured, which the listener logs at start: never
// accepted silently. docs/configuration.md ("Coming from Ballerina") says
// what each one does here.

// SocketConfig is ballerina/ftp's socketConfig, in seconds.
type SocketConfig struct {
	// FtpDataTimeout bounds one wait for data on a data connection (FTP,
	// FTPS); default 120.
	FtpDataTimeout *float64 `json:"ftpDataTimeout,omitempty"`
	// FtpSocketTimeout bounds one wait for the server's reply on the
	// control connection (FTP, FTPS); default 60.
	FtpSocketTimeout *float64 `json:"ftpSocketTimeout,omitempty"`
	// SftpSessionTimeout: accepted, not honoured (see Unhonoured); default 300.
	SftpSessionTimeout *float64 `json:"sftpSessionTimeout,omitempty"`
}

// Ballerina's socketConfig defaults.
const (
	defaultFtpDataTimeout     = 120.0
	defaultFtpSocketTimeout   = 60.0
	defaultSftpSessionTimeout = 300.0
)

// ProxyConfig is ballerina/ftp's proxy: the SSH (and here also the FTP)
// connections go through an HTTP CONNECT or SOCKS5 proxy.
type ProxyConfig struct {
	Host string `json:"host"`
	Port int    `json:"port"`
	// Type is HTTP (default), SOCKS5 or STREAM (not supported).
	Type string            `json:"type,omitempty"`
	Auth *ProxyCredentials `json:"auth,omitempty"`
	// Command is STREAM's jump-host command; not supported.
	Command string `json:"command,omitempty"`
}

// ProxyCredentials is the proxy's user name and password.
type ProxyCredentials struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// String never shows the password.
func (c ProxyCredentials) String() string {
	return "ProxyCredentials{" + c.Username + ", password hidden}"
}

// GoString never shows the password either (%#v).
func (c ProxyCredentials) GoString() string { return c.String() }

// FailSafeOptions is ballerina/ftp's csvFailSafe (typed CSV content).
type FailSafeOptions struct {
	ContentType string `json:"contentType,omitempty"` // METADATA (default), RAW, RAW_AND_METADATA
}

// KeyStore is Ballerina's crypto:KeyStore: a PKCS#12 file and its password.
// ftpcoord also takes a PEM file holding the certificate (chain) and its
// unencrypted private key (the file's content decides which).
type KeyStore struct {
	Path     string `json:"path"`
	Password string `json:"password,omitempty"`
}

// String never shows the password.
func (k KeyStore) String() string { return "KeyStore{" + k.Path + ", password hidden}" }

// GoString never shows the password either (%#v).
func (k KeyStore) GoString() string { return k.String() }

// TrustStore is the certificates to trust: Ballerina's crypto:TrustStore
// {path, password} (a PKCS#12 trust store), or, as ftpcoord always took
// it, the path of a PEM file written as a plain string. The file's content
// decides which format it is.
type TrustStore struct {
	Path     string
	Password string
}

// String never shows the password.
func (t TrustStore) String() string { return "TrustStore{" + t.Path + ", password hidden}" }

// GoString never shows the password either (%#v).
func (t TrustStore) GoString() string { return t.String() }

// UnmarshalJSON reads "/ca.pem" or {"path": "/trust.p12", "password": "..."}.
func (t *TrustStore) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		*t = TrustStore{Path: s}
		return nil
	}
	var m struct {
		Path     string `json:"path"`
		Password string `json:"password"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		// DecodeConfig words this for the field (no value: it may be a secret).
		return &json.UnmarshalTypeError{Value: valueKind(b), Type: reflect.TypeFor[TrustStore]()}
	}
	*t = TrustStore(m)
	return nil
}

// MarshalJSON writes the form UnmarshalJSON reads.
func (t TrustStore) MarshalJSON() ([]byte, error) {
	if t.Password == "" {
		return json.Marshal(t.Path)
	}
	return json.Marshal(map[string]string{"path": t.Path, "password": t.Password})
}

// IsZero lets omitempty-like checks treat an unset trust store as absent.
func (t TrustStore) IsZero() bool { return t.Path == "" }

// ballerinaEnums are the values Ballerina's enums allow, by field.
var ballerinaEnums = map[string][]string{
	"fileTransferMode":                        {"BINARY", "ASCII"},
	"sftpCompression":                         {"none", "zlib", "zlib@openssh.com"},
	"csvFailSafe.contentType":                 {"METADATA", "RAW", "RAW_AND_METADATA"},
	"auth.preferredMethods":                   {"KEYBOARD_INTERACTIVE", "GSSAPI_WITH_MIC", "PASSWORD", "PUBLICKEY"},
	"auth.secureSocket.dataChannelProtection": {"CLEAR", "PRIVATE", "SAFE", "CONFIDENTIAL"},
	"fileAgeFilter.ageCalculationMode":        {"LAST_MODIFIED", "CREATION_TIME"},
	"proxy.type":                              {"HTTP", "SOCKS5", "STREAM"},
}

// validateBallerina checks the fields above; bad is Validate's reporter.
func (c ListenerConfig) validateBallerina(bad func(field, format string, args ...any)) {
	enum := func(field, v string) {
		if v == "" {
			return
		}
		allowed := ballerinaEnums[field]
		for _, a := range allowed {
			if strings.EqualFold(a, v) {
				return
			}
		}
		bad(field, "%q is not one of %s", v, strings.Join(allowed, ", "))
	}
	enum("fileTransferMode", c.FileTransferMode)
	for i, v := range c.SftpCompression {
		enum("sftpCompression", v)
		_ = i
	}
	if c.CsvFailSafe != nil {
		enum("csvFailSafe.contentType", c.CsvFailSafe.ContentType)
	}
	if c.Auth != nil {
		for _, v := range c.Auth.PreferredMethods {
			enum("auth.preferredMethods", v)
		}
		if s := c.Auth.SecureSocket; s != nil {
			enum("auth.secureSocket.dataChannelProtection", s.DataChannelProtection)
			if s.Key != nil && s.Key.Path == "" {
				bad("auth.secureSocket.key.path", "is required: a PKCS#12 key store (or a PEM file with the certificate and its key)")
			}
		}
	}
	if c.FileAgeFilter != nil {
		enum("fileAgeFilter.ageCalculationMode", c.FileAgeFilter.AgeCalculationMode)
	}
	if s := c.SocketConfig; s != nil {
		for name, v := range map[string]*float64{"ftpDataTimeout": s.FtpDataTimeout, "ftpSocketTimeout": s.FtpSocketTimeout, "sftpSessionTimeout": s.SftpSessionTimeout} {
			if v != nil && *v <= 0 {
				bad("socketConfig."+name, "must be positive (seconds), got %v", *v)
			}
		}
	}
	if p := c.Proxy; p != nil {
		enum("proxy.type", p.Type)
		if p.Host == "" {
			bad("proxy.host", "is required")
		}
		if p.Port < 1 || p.Port > 65535 {
			bad("proxy.port", "%d is not a TCP port (1-65535)", p.Port)
		}
		switch {
		case strings.EqualFold(p.Type, "STREAM") || p.Command != "":
			bad("proxy", "type STREAM (a proxy command) is not supported by ftpcoord yet: use an HTTP CONNECT or SOCKS5 proxy, or an SSH tunnel (ssh -L) to the server")
		}
	}
}

// Unhonoured lists, one sentence each, the Ballerina fields this
// configuration sets that ftpcoord accepts but cannot honour; the listener
// logs each one as a warning at start.
func (c ListenerConfig) Unhonoured() []string {
	var out []string
	note := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	if c.Path == "" && len(c.Services) == 0 {
		note("path: not set, so / is watched: a Ballerina 2.17+ listener takes the path from each service's @ftp:ServiceConfig; set path to that directory, or list the services under services")
	}
	if c.UserDirIsRoot {
		note("userDirIsRoot: has no effect: ftpcoord never changes to the server's root; paths are sent as written, and on a chrooted server / is the login directory")
	}
	if c.LaxDataBinding {
		note("laxDataBinding: applies to typed content only (listener.ContentService, the Java and Spring onFileJson, onFileCsv bindings); other OnFile handlers and --exec get the bytes")
	}
	if m := c.FileTransferMode; m != "" && !strings.EqualFold(m, "BINARY") {
		note("fileTransferMode %s: has no effect: ftpcoord always transfers in BINARY (TYPE I), byte for byte", m)
	}
	if slices.ContainsFunc(c.SftpCompression, func(s string) bool { return !strings.EqualFold(s, "none") }) {
		note("sftpCompression %v: has no effect: ftpcoord's SSH client does not compress", c.SftpCompression)
	}
	if c.CsvFailSafe != nil {
		note("csvFailSafe: applies to typed CSV content only (listener.ContentService, the Java and Spring onFileCsv); other OnFile handlers and --exec get the bytes")
	}
	if s := c.SocketConfig; s != nil && s.SftpSessionTimeout != nil && *s.SftpSessionTimeout != defaultSftpSessionTimeout {
		note("socketConfig.sftpSessionTimeout: has no effect: SFTP sessions are bounded by connectTimeout while connecting and by the context of each request")
	}
	if c.Auth != nil {
		if slices.ContainsFunc(c.Auth.PreferredMethods, func(s string) bool { return strings.EqualFold(s, "GSSAPI_WITH_MIC") }) {
			note("auth.preferredMethods GSSAPI_WITH_MIC: not supported by ftpcoord; skipped, the other methods are tried in the order given")
		}
		if s := c.Auth.SecureSocket; s != nil && s.DataChannelProtection != "" && !strings.EqualFold(s.DataChannelProtection, "PRIVATE") {
			note("auth.secureSocket.dataChannelProtection %s: has no effect: ftpcoord always protects the data channel (PROT P, as PRIVATE)", s.DataChannelProtection)
		}
	}
	creationTime := func(at string, f *FileAgeFilter) {
		if f != nil && strings.EqualFold(f.AgeCalculationMode, "CREATION_TIME") {
			note("%sfileAgeFilter.ageCalculationMode CREATION_TIME: has no effect: FTP and SFTP listings give no creation time; the age is taken from the last modification, as with LAST_MODIFIED", at)
		}
	}
	creationTime("", c.FileAgeFilter)
	for i, s := range c.Services {
		creationTime(fmt.Sprintf("services[%d].", i), s.FileAgeFilter)
	}
	for _, k := range c.extraDatabaseFields {
		note("coordination.databaseConfig.%s: accepted (Ballerina's database records are open) and not used by ftpcoord", k)
	}
	return out
}

// databaseConfigPath is where Ballerina's open records let any field in.
const databaseConfigPath = "coordination.databaseConfig"

// takeExtraDatabaseFields removes from a decoded configuration the fields of
// coordination.databaseConfig that ftpcoord does not know and no known name
// is near (a near one is a misspelling and stays an error), and returns
// their names.
func takeExtraDatabaseFields(tree any, known func(string) bool) []string {
	root, _ := tree.(map[string]any)
	co, _ := root["coordination"].(map[string]any)
	db, _ := co["databaseConfig"].(map[string]any)
	var out []string
	for k := range db {
		if !known(k) {
			out = append(out, k)
			delete(db, k)
		}
	}
	slices.Sort(out)
	return out
}

// valueKind names the kind of a JSON value as encoding/json does.
func valueKind(b []byte) string {
	switch t := bytes.TrimSpace(b); {
	case len(t) == 0:
		return "nothing"
	case t[0] == '{':
		return "object"
	case t[0] == '[':
		return "array"
	case t[0] == 't' || t[0] == 'f':
		return "bool"
	case t[0] == 'n':
		return "null"
	}
	return "number"
}
