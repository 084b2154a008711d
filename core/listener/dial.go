package listener

import (
	"context"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ftpcoord/ftpcoord/core/remote"
)

// dialerFor connects as the configuration says.
func dialerFor(cfg ListenerConfig, log *slog.Logger) remote.Dialer {
	addr := net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port))
	timeout := time.Duration(cfg.ConnectTimeout * float64(time.Second))
	var user, password string
	if cfg.Auth != nil && cfg.Auth.Credentials != nil {
		user, password = cfg.Auth.Credentials.Username, cfg.Auth.Credentials.Password
	}
	switch cfg.Protocol {
	case SFTP:
		return sftpDialer(cfg, addr, user, password, timeout, log)
	default:
		fc := remote.FTPConfig{Addr: addr, User: user, Password: password, ConnectTimeout: timeout,
			InsecureSkipVerify: cfg.InsecureSkipVerify, IdleTimeout: cfg.idleTimeout(), MaxListEntries: cfg.MaxListingEntries,
			ActiveMode: cfg.ActiveMode, Logger: log, Proxy: cfg.proxy(),
			ControlTimeout: seconds(cfg.SocketConfig.ftpSocketTimeout()), DataTimeout: seconds(cfg.SocketConfig.ftpDataTimeout())}
		fc.ServerTimeZone, _ = checkServerTimeZone(cfg.ServerTimeZone) // checked by Validate
		if cfg.Protocol == FTPS {
			fc.TLS = remote.TLSExplicit
			if s := cfg.Auth.secureSocket(); s != nil {
				fc.CAFile, fc.CAPassword = s.Cert.Path, s.Cert.Password
				if s.Key != nil {
					fc.KeyStore, fc.KeyStorePassword = s.Key.Path, s.Key.Password
				}
				if strings.EqualFold(s.Mode, "IMPLICIT") {
					fc.TLS = remote.TLSImplicit
				}
			}
		}
		return func(ctx context.Context) (remote.Conn, error) {
			fc := fc
			if err := cfg.Auth.secrets(&fc.Password, nil); err != nil {
				return nil, err
			}
			return remote.DialFTP(ctx, fc)
		}
	}
}

func (s *SecureSocket) mode() string {
	if s == nil {
		return ""
	}
	return s.Mode
}

func (a *Auth) secureSocket() *SecureSocket {
	if a == nil {
		return nil
	}
	return a.SecureSocket
}

// sftpDialer connects over SFTP with the configured credentials and the
// known_hosts file.
func sftpDialer(cfg ListenerConfig, addr, user, password string, timeout time.Duration, log *slog.Logger) remote.Dialer {
	sc := remote.SFTPConfig{Addr: addr, User: user, Password: password, KnownHostsPath: cfg.SftpSshKnownHosts,
		InsecureIgnoreHostKey: cfg.InsecureIgnoreHostKey, ConnectTimeout: timeout, IdleTimeout: cfg.idleTimeout(),
		MaxListEntries: cfg.MaxListingEntries, Logger: log, TrustOnFirstUse: cfg.SftpTrustOnFirstUse, Proxy: cfg.proxy()}
	if cfg.SftpAlgorithms != nil {
		sc.Algorithms = *cfg.SftpAlgorithms
	}
	if cfg.Auth != nil {
		sc.PreferredMethods = cfg.Auth.PreferredMethods
	}
	if cfg.Auth != nil && cfg.Auth.PrivateKey != nil {
		sc.PrivateKeyPath, sc.PrivateKeyPassphrase = cfg.Auth.PrivateKey.Path, cfg.Auth.PrivateKey.Password
	}
	return func(ctx context.Context) (remote.Conn, error) {
		sc := sc
		if err := cfg.Auth.secrets(&sc.Password, &sc.PrivateKeyPassphrase); err != nil {
			return nil, err
		}
		return remote.DialSFTP(ctx, sc)
	}
}

func sortFiles(f []FileInfo) {
	slices.SortFunc(f, func(a, b FileInfo) int {
		if a.LastModifiedTimestamp != b.LastModifiedTimestamp {
			return int(a.LastModifiedTimestamp - b.LastModifiedTimestamp)
		}
		return strings.Compare(a.Path, b.Path)
	})
}

func sortStrings(s []string) { slices.Sort(s) }

// proxy is the configured proxy for the remote layer, or nil.
func (c ListenerConfig) proxy() *remote.Proxy {
	p := c.Proxy
	if p == nil {
		return nil
	}
	rp := &remote.Proxy{Type: strings.ToUpper(p.Type), Addr: net.JoinHostPort(p.Host, strconv.Itoa(p.Port))}
	if rp.Type == "" {
		rp.Type = "HTTP" // Ballerina's default
	}
	if p.Auth != nil {
		rp.User, rp.Password = p.Auth.Username, p.Auth.Password
	}
	return rp
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// ftpSocketTimeout and ftpDataTimeout with Ballerina's defaults.
func (s *SocketConfig) ftpSocketTimeout() float64 {
	if s == nil || s.FtpSocketTimeout == nil {
		return defaultFtpSocketTimeout
	}
	return *s.FtpSocketTimeout
}

func (s *SocketConfig) ftpDataTimeout() float64 {
	if s == nil || s.FtpDataTimeout == nil {
		return defaultFtpDataTimeout
	}
	return *s.FtpDataTimeout
}
