package remote

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// tofuMu serializes the recording of first keys: the pool may open several
// sessions at once, and each would otherwise append the same line.
var tofuMu sync.Mutex

// trustOnFirstUse checks host keys against KnownHostsPath and records the
// key of a host the file does not know yet. A host the file knows must
// present a recorded key: a changed key is refused as without TOFU.
func trustOnFirstUse(cfg SFTPConfig, log *slog.Logger) (ssh.HostKeyCallback, error) {
	return func(hostname string, addr net.Addr, key ssh.PublicKey) error {
		tofuMu.Lock()
		defer tofuMu.Unlock()
		f, err := os.OpenFile(cfg.KnownHostsPath, os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			return fmt.Errorf("sftp: known_hosts file %s: %w", cfg.KnownHostsPath, err)
		}
		f.Close()
		cb, err := knownhosts.New(cfg.KnownHostsPath)
		if err != nil {
			return fmt.Errorf("sftp: known_hosts file %s: %w", cfg.KnownHostsPath, err)
		}
		err = cb(hostname, addr, key)
		var ke *knownhosts.KeyError
		if !errors.As(err, &ke) {
			return err
		}
		if len(ke.Want) > 0 { // known host, other key: never recorded over
			return &untrustedKeyError{KeyError: ke, keyType: key.Type(), fingerprint: ssh.FingerprintSHA256(key)}
		}
		line := knownhosts.Line([]string{knownhosts.Normalize(hostname)}, key)
		f, err = os.OpenFile(cfg.KnownHostsPath, os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			return fmt.Errorf("sftp: recording the host key in %s: %w", cfg.KnownHostsPath, err)
		}
		_, err = fmt.Fprintln(f, line)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("sftp: recording the host key in %s: %w", cfg.KnownHostsPath, err)
		}
		log.Warn("sftp: trusted the host key on first use (sftpTrustOnFirstUse) and recorded it: compare the fingerprint with the server's own (ssh-keygen -lf on its host key's .pub file)",
			"host", hostname, "key_type", key.Type(), "fingerprint", ssh.FingerprintSHA256(key), "known_hosts", cfg.KnownHostsPath)
		return nil
	}, nil
}
