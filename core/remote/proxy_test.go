package remote

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ftpcoord/ftpcoord/internal/proxytest"
)

// FTP and FTPS (control and every data connection, EPSV and PASV, explicit
// and implicit TLS) through a SOCKS5 proxy with a login, and through an
// HTTP CONNECT proxy, to the real servers.
func TestFTPThroughProxy(t *testing.T) {
	for _, kind := range []string{"SOCKS5", "HTTP"} {
		t.Run(kind, func(t *testing.T) {
			var p *proxytest.Proxy
			if kind == "SOCKS5" {
				p = proxytest.SOCKS5(t, "pu", "pp")
			} else {
				p = proxytest.HTTP(t, "pu", "pp")
			}
			for _, s := range ftpServers(t) {
				if s.cfg.ActiveMode {
					continue // the server connects back: no proxy carries that (refused: TestActiveModeRefusesAProxy)
				}
				s.cfg.Proxy = &Proxy{Type: kind, Addr: p.Addr, User: "pu", Password: "pp"}
				t.Run(s.name, func(t *testing.T) {
					before := p.Tunnels()
					c := s.session(t)
					writeAppendRead(t, c, Join(s.remote, "via-proxy.txt"))
					var names []string
					require.NoError(t, c.List(context.Background(), s.remote, func(e Entry) error { names = append(names, e.Name); return nil }))
					assert.Contains(t, names, "via-proxy.txt")
					// The control connection and at least one data connection per transfer.
					assert.GreaterOrEqual(t, p.Tunnels()-before, int64(5), "connections through the proxy")
				})
			}
		})
	}
}

func TestSFTPThroughProxy(t *testing.T) {
	for _, kind := range []string{"SOCKS5", "HTTP"} {
		t.Run(kind, func(t *testing.T) {
			var p *proxytest.Proxy
			if kind == "SOCKS5" {
				p = proxytest.SOCKS5(t, "pu", "pp")
			} else {
				p = proxytest.HTTP(t, "pu", "pp")
			}
			cfg, dir := sftpServer(t)
			cfg.Proxy = &Proxy{Type: kind, Addr: p.Addr, User: "pu", Password: "pp"}
			c := dialSFTP(t, cfg)
			writeAppendRead(t, c, dir+"/via-proxy.txt")
			assert.Equal(t, int64(1), p.Tunnels(), "the SSH connection went through the proxy")
		})
	}
}

// A proxy that refuses the login is named, with the field to fix, and the
// password is not in the error.
func TestProxyRefusesLogin(t *testing.T) {
	for _, kind := range []string{"SOCKS5", "HTTP"} {
		t.Run(kind, func(t *testing.T) {
			var p *proxytest.Proxy
			if kind == "SOCKS5" {
				p = proxytest.SOCKS5(t, "pu", "pp")
			} else {
				p = proxytest.HTTP(t, "pu", "pp")
			}
			cfg, _ := sftpServer(t)
			cfg.Proxy = &Proxy{Type: kind, Addr: p.Addr, User: "pu", Password: "wrong-secret"}
			_, err := DialSFTP(context.Background(), cfg)
			require.ErrorIs(t, err, ErrProxy)
			assert.Contains(t, err.Error(), "check proxy.auth")
			assert.NotContains(t, err.Error(), "wrong-secret")
			assert.Equal(t, int64(1), p.Refused())
			assert.Zero(t, p.Tunnels())
		})
	}
}

// Active mode through a proxy is refused at once: the server would connect
// back to the member, past the proxy.
func TestActiveModeRefusesAProxy(t *testing.T) {
	_, err := DialFTP(context.Background(), FTPConfig{Addr: "127.0.0.1:1", ActiveMode: true,
		Proxy: &Proxy{Type: "SOCKS5", Addr: "127.0.0.1:1"}})
	require.ErrorContains(t, err, "active mode cannot work through a proxy")
}
