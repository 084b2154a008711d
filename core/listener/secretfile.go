package listener

import (
	"fmt"
	"os"
	"strings"

	"github.com/ftpcoord/ftpcoord/core/remote"
)

// A secret named by file (auth.credentials.passwordFile,
// auth.privateKey.passwordFile) is read at each new connection, not once at
// start: a rewritten file or a rotated Kubernetes Secret (whose mounted
// files are swapped atomically through the ..data symlink) is used by the
// next connection without a restart. Sessions already logged in are kept.

// readSecretFile reads a secret file. One trailing line end is dropped
// (files written by echo or an editor end with one); the content never
// appears in an error.
func readSecretFile(path string) (string, error) {
	b, err := os.ReadFile(path) // its error names the path, not the content
	if err != nil {
		return "", err
	}
	s := strings.TrimSuffix(string(b), "\n")
	return strings.TrimSuffix(s, "\r"), nil
}

// validateSecretFiles checks at start that each secret file is readable
// and not given together with the inline value it replaces.
func (a *Auth) validateSecretFiles(bad func(field, format string, args ...any)) {
	if a == nil {
		return
	}
	check := func(field, inline, path string) {
		if path == "" {
			return
		}
		if inline != "" {
			bad(field, "is given together with the inline password: keep one (the file is re-read at each connection)")
		}
		if _, err := readSecretFile(path); err != nil {
			bad(field, "%v: give a readable file holding the secret", err)
		}
	}
	if c := a.Credentials; c != nil {
		check("auth.credentials.passwordFile", c.Password, c.PasswordFile)
	}
	if k := a.PrivateKey; k != nil {
		check("auth.privateKey.passwordFile", k.Password, k.PasswordFile)
	}
}

// secrets fills in, for one connection, the password and the key
// passphrase named by file; inline values are kept as configured. A file
// that cannot be read refuses the connection, naming the field.
func (a *Auth) secrets(password, passphrase *string) error {
	if a == nil {
		return nil
	}
	read := func(field, path string, into *string) error {
		if path == "" || into == nil {
			return nil
		}
		s, err := readSecretFile(path)
		if err != nil {
			return fmt.Errorf("%s: %w (%w)", field, err, remote.ErrRefused)
		}
		*into = s
		return nil
	}
	if c := a.Credentials; c != nil {
		if err := read("auth.credentials.passwordFile", c.PasswordFile, password); err != nil {
			return err
		}
	}
	if k := a.PrivateKey; k != nil {
		return read("auth.privateKey.passwordFile", k.PasswordFile, passphrase)
	}
	return nil
}
