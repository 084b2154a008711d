package remote

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"golang.org/x/crypto/ssh"
)

// SSHAlgorithms narrows or widens what the SSH client offers; an empty list
// keeps x/crypto/ssh's defaults. Legacy servers that Camel, NiFi and JSch
// users reach by naming algorithms (diffie-hellman-group1-sha1, aes128-cbc,
// hmac-sha1, ssh-rsa) are reached here the same way; names must be ones
// this build implements (ssh.SupportedAlgorithms and ssh.InsecureAlgorithms).
type SSHAlgorithms struct {
	KeyExchanges      []string `json:"keyExchanges,omitempty"`
	Ciphers           []string `json:"ciphers,omitempty"`
	MACs              []string `json:"macs,omitempty"`
	HostKeyAlgorithms []string `json:"hostKeyAlgorithms,omitempty"`
}

// Check refuses names this build does not implement, naming the field and
// the names it knows.
func (a SSHAlgorithms) Check() error {
	sup, insecure := ssh.SupportedAlgorithms(), ssh.InsecureAlgorithms()
	var errs []error
	check := func(field string, names, known1, known2 []string) {
		known := append(slices.Clone(known1), known2...)
		for _, n := range names {
			if !slices.Contains(known, n) {
				errs = append(errs, fmt.Errorf("%s: %q is not an algorithm ftpcoord implements; known: %s", field, n, strings.Join(known, ", ")))
			}
		}
	}
	check("keyExchanges", a.KeyExchanges, sup.KeyExchanges, insecure.KeyExchanges)
	check("ciphers", a.Ciphers, sup.Ciphers, insecure.Ciphers)
	check("macs", a.MACs, sup.MACs, insecure.MACs)
	check("hostKeyAlgorithms", a.HostKeyAlgorithms, sup.HostKeys, insecure.HostKeys)
	return errors.Join(errs...)
}

func (a SSHAlgorithms) apply(sc *ssh.ClientConfig) {
	sc.KeyExchanges, sc.Ciphers, sc.MACs = a.KeyExchanges, a.Ciphers, a.MACs
	if len(a.HostKeyAlgorithms) > 0 {
		sc.HostKeyAlgorithms = a.HostKeyAlgorithms
	}
}

// negotiationError names what each side offered when they share no
// algorithm of one kind, and the setting that changes ftpcoord's side.
func negotiationError(addr string, err error) error {
	var ne *ssh.AlgorithmNegotiationError
	if !errors.As(err, &ne) {
		return nil
	}
	field := "sftpAlgorithms"
	switch {
	case strings.Contains(ne.What, "key exchange"):
		field += ".keyExchanges"
	case strings.Contains(ne.What, "host key"):
		field += ".hostKeyAlgorithms"
	case strings.Contains(ne.What, "cipher"):
		field += ".ciphers"
	case strings.Contains(ne.What, "MAC"):
		field += ".macs"
	}
	return refused(fmt.Errorf("sftp: %s and ftpcoord share no %s algorithm: the server offers %s; ftpcoord offered %s; set %s to one the server offers (if this build implements it)",
		addr, ne.What, strings.Join(ne.RequestedAlgorithms, ", "), strings.Join(ne.SupportedAlgorithms, ", "), field))
}

// keyboardInteractive answers a server that asks for the password through
// keyboard-interactive prompts (PAM-backed sshd, many appliances) instead of
// the password method: hidden prompts get the password, shown ones the user.
func keyboardInteractive(user, password string) ssh.AuthMethod {
	return ssh.KeyboardInteractive(func(_, _ string, questions []string, echos []bool) ([]string, error) {
		answers := make([]string, len(questions))
		for i := range questions {
			if echos[i] {
				answers[i] = user
			} else {
				answers[i] = password
			}
		}
		return answers, nil
	})
}
