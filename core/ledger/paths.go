package ledger

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// MaxPath is the longest path, in bytes, the ledger's path column holds.
const MaxPath = 4096

// ErrUnstorablePath is a path the ledger cannot hold exactly: not valid
// UTF-8 (a server that sends names in a legacy encoding), holding NUL, or
// longer than MaxPath. Databases refuse such text, and a path must come
// back byte for byte to be downloaded.
var ErrUnstorablePath = errors.New("ledger: the path cannot be stored")

// CheckPath tells whether Record can store p; the error says why not.
func CheckPath(p string) error {
	switch {
	case !utf8.ValidString(p):
		return fmt.Errorf("%w: %q is not valid UTF-8 (the server sends names in another encoding: rename the file, or set the server to UTF-8)", ErrUnstorablePath, p)
	case strings.IndexByte(p, 0) >= 0:
		return fmt.Errorf("%w: %q holds a NUL byte", ErrUnstorablePath, p)
	case len(p) > MaxPath:
		return fmt.Errorf("%w: %.64q... is %d bytes long, over %d", ErrUnstorablePath, p, len(p), MaxPath)
	}
	return nil
}

// maxError bounds the last_error text the ledger keeps, in bytes.
const maxError = 4000

// clipError makes an error text storable whatever it holds (a handler's
// stderr, a server's reply): invalid UTF-8 (a message in another encoding)
// and NUL bytes (PostgreSQL refuses them in text: "invalid byte sequence
// for encoding UTF8: 0x00") become U+FFFD, and the text is cut to maxError
// bytes without splitting a character; databases refuse broken UTF-8.
func clipError(s string) string {
	s = strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
	if len(s) <= maxError {
		return s
	}
	s = s[:maxError]
	for !utf8.ValidString(s) { // at most the 3 bytes of a cut character
		s = s[:len(s)-1]
	}
	return s
}
