// Package security holds the security pass: each promise of the README's
// "Secure by default" guarantee (the whole list is in docs/testing.md, "Tests
// and test servers") is a test here, against the real test servers.
package security

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ftpcoord/ftpcoord/core/ledger"
	"github.com/ftpcoord/ftpcoord/core/listener"
	"github.com/ftpcoord/ftpcoord/core/remote"
	"github.com/ftpcoord/ftpcoord/internal/testdb"
	"github.com/ftpcoord/ftpcoord/schema"
	"github.com/ftpcoord/ftpcoord/taskcompat"
	"github.com/stretchr/testify/require"
)

func env(t *testing.T, name string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		t.Fatalf("%s is not set: run `make services` (tests/services/start.sh) and export what it prints, or `make test`", name)
	}
	return v
}

func secret(prefix string) string {
	b := make([]byte, 8)
	rand.Read(b)
	return prefix + "-S3cr3t-" + hex.EncodeToString(b)
}

// sink collects everything a user or operator could see: log lines at
// every level, errors handed to OnError, events, status output.
type sink struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *sink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *sink) add(format string, args ...any) { fmt.Fprintf(s, format+"\n", args...) }

func (s *sink) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(s, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// mustNotShow fails if any of the secrets appears in what the sink saw.
func (s *sink) mustNotShow(t *testing.T, secrets ...string) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	require.NotZero(t, s.buf.Len(), "nothing was captured: the test proves nothing")
	for _, sec := range secrets {
		if sec != "" {
			require.NotContains(t, s.buf.String(), sec, "a secret leaked into what users see")
		}
	}
}

// service records errors and events into the sink.
type service struct {
	s     *sink
	files chan string
}

func (v *service) OnFile(_ context.Context, f listener.FileInfo, r io.Reader, _ *listener.Caller) error {
	b, _ := json.Marshal(f)
	v.s.add("event %s", b)
	io.Copy(io.Discard, r)
	v.files <- f.Name
	return nil
}

func (v *service) OnError(_ context.Context, err error) {
	v.s.add("onError %v | %+v | %#v", err, err, err)
}

func pureFTP(t *testing.T, password string) (listener.ListenerConfig, string) {
	t.Helper()
	host, port, _ := strings.Cut(env(t, "FTPCOORD_TEST_PUREFTPD_ADDR"), ":")
	p, _ := strconv.Atoi(port)
	dir := "sec-" + strings.ToLower(secret("d")[:12]) + strconv.FormatInt(time.Now().UnixNano(), 36)
	local := filepath.Join(env(t, "FTPCOORD_TEST_PUREFTPD_ROOT"), dir)
	require.NoError(t, os.MkdirAll(local, 0o777))
	os.Chmod(local, 0o777)
	t.Cleanup(func() { os.RemoveAll(local) })
	return listener.ListenerConfig{Protocol: "FTP", Host: host, Port: p, Path: "/" + dir, PollingInterval: 3600,
		ConnectTimeout: 5, RetryConfig: &remote.RetryConfig{Count: 1, Interval: 0.01, BackOffFactor: 1, MaxWaitInterval: 0.01},
		Auth: &listener.Auth{Credentials: &listener.Credentials{Username: env(t, "FTPCOORD_TEST_PUREFTPD_USER"), Password: password}}}, local
}

// Passwords and passphrases never reach logs, errors, events, status or
// formatted configurations, whatever fails: a refused FTP login, a refused
// database login on each server dialect, an unreachable database, a wrong
// key passphrase, bad JSON; nor in a run that works.
func TestSecretsAreNeverShown(t *testing.T) {
	ftpPw, dbPw, keyPw := secret("ftp"), secret("db"), secret("key")

	t.Run("refused FTP login", func(t *testing.T) {
		s := &sink{}
		cfg, _ := pureFTP(t, ftpPw)
		l, err := listener.New(cfg, listener.WithLogger(s.logger()))
		require.NoError(t, err)
		l.Attach(&service{s: s})
		err = l.PollOnce(context.Background())
		require.ErrorIs(t, err, remote.ErrRefused, "PollOnce with a wrong password: want a refusal")
		s.add("poll: %v | %+v | %#v", err, err, err)
		s.mustNotShow(t, ftpPw)
	})

	for _, d := range []schema.Dialect{schema.Postgres, schema.MySQL} {
		t.Run("refused database login/"+string(d), func(t *testing.T) {
			s := &sink{}
			db := testdb.New(t, d)
			db.Password = dbPw
			cfg, _ := pureFTP(t, env(t, "FTPCOORD_TEST_PUREFTPD_PASSWORD"))
			cfg.Coordination = &taskcompat.CoordinationConfig{DatabaseConfig: db, MemberID: "m", CoordinationGroup: "g"}
			l, err := listener.New(cfg, listener.WithLogger(s.logger()))
			require.NoError(t, err)
			l.Attach(&service{s: s})
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			err = l.Start(ctx)
			if err == nil {
				l.Stop(context.Background())
				t.Fatal("Start with a wrong database password succeeded")
			}
			s.add("start: %v | %+v | %#v", err, err, err)
			s.add("config: %v | %+v | %#v", cfg, cfg, cfg)
			s.add("database: %v | %+v | %#v", db, db, db)
			s.mustNotShow(t, dbPw)
		})
	}

	t.Run("unreachable database", func(t *testing.T) {
		s := &sink{}
		db := taskcompat.DatabaseConfig{Type: "postgresql", Host: "127.0.0.1", Port: 1, User: "u", Password: dbPw, Database: "x"}
		_, err := taskcompat.New(context.Background(), taskcompat.CoordinationConfig{DatabaseConfig: db, MemberID: "m",
			CoordinationGroup: "g"}.TaskConfig(), taskcompat.WithLogger(s.logger()))
		require.Error(t, err, "connected to port 1")
		s.add("new: %v | %+v | %#v", err, err, err)
		s.mustNotShow(t, dbPw)
	})

	t.Run("wrong key passphrase", func(t *testing.T) {
		s := &sink{}
		key := filepath.Join(t.TempDir(), "id")
		out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", keyPw, "-f", key).CombinedOutput()
		require.NoError(t, err, "ssh-keygen: %s", out)
		host, port, _ := strings.Cut(env(t, "FTPCOORD_TEST_SFTP_ADDR"), ":")
		p, _ := strconv.Atoi(port)
		cfg := listener.ListenerConfig{Protocol: "SFTP", Host: host, Port: p, Path: "/", PollingInterval: 3600,
			SftpSshKnownHosts: env(t, "FTPCOORD_TEST_SFTP_KNOWN_HOSTS"),
			RetryConfig:       &remote.RetryConfig{Count: 1, Interval: 0.01, BackOffFactor: 1, MaxWaitInterval: 0.01},
			Auth: &listener.Auth{Credentials: &listener.Credentials{Username: env(t, "FTPCOORD_TEST_SFTP_USER")},
				PrivateKey: &listener.PrivateKey{Path: key, Password: keyPw + "-wrong"}}}
		l, err := listener.New(cfg, listener.WithLogger(s.logger()))
		if err == nil {
			l.Attach(&service{s: s})
			err = l.PollOnce(context.Background())
		}
		require.Error(t, err, "a wrong passphrase was accepted")
		s.add("poll: %v | %+v | %#v", err, err, err)
		s.add("config: %v | %+v | %#v", cfg, cfg, cfg)
		s.mustNotShow(t, keyPw)
	})

	t.Run("bad JSON around a password", func(t *testing.T) {
		s := &sink{}
		for _, raw := range []string{
			`{"auth": {"credentials": {"username": "u", "password": "` + ftpPw + `", "pasword": "x"}}}`,
			`{"auth": {"credentials": {"username": "u", "password": "` + ftpPw + `"}}, "port": "21"}`,
			`{"auth": {"credentials": {"username": "u", "password": "` + ftpPw + `"}}, "coordination": {"databaseConfig": {"password": "` + dbPw + `", "type": "oracle"}}}`,
			`{"auth": {"credentials": {"username": "u", "password": "` + ftpPw + `"`,
		} {
			_, err := listener.DecodeConfig([]byte(raw))
			require.Error(t, err, "%s: accepted", raw)
			s.add("decode: %v", err)
		}
		s.mustNotShow(t, ftpPw, dbPw)
	})

	// A run that works: what it logs at debug level, its events and its
	// status hold neither the FTP nor the database password.
	t.Run("working member", func(t *testing.T) {
		s := &sink{}
		ftpReal := env(t, "FTPCOORD_TEST_PUREFTPD_PASSWORD")
		db := testdb.NewWithSchema(t, schema.Postgres)
		cfg, local := pureFTP(t, ftpReal)
		cfg.Coordination = &taskcompat.CoordinationConfig{DatabaseConfig: db, MemberID: "m", CoordinationGroup: "g",
			LivenessCheckInterval: 2, HeartbeatFrequency: taskcompat.Secs(0.25)}
		os.WriteFile(filepath.Join(local, "a.csv"), []byte("1"), 0o644)
		old := time.Now().Add(-time.Hour)
		os.Chtimes(filepath.Join(local, "a.csv"), old, old)
		l, err := listener.New(cfg, listener.WithLogger(s.logger()))
		require.NoError(t, err)
		svc := &service{s: s, files: make(chan string, 1)}
		l.Attach(svc)
		require.NoError(t, l.Start(context.Background()))
		defer l.Stop(context.Background())
		for done := false; !done; {
			if err := l.PollOnce(context.Background()); !errors.Is(err, listener.ErrPollInProgress) {
				require.NoError(t, err)
			}
			select {
			case <-svc.files:
				done = true
			case <-time.After(50 * time.Millisecond):
			}
		}
		st, err := l.Status(context.Background())
		require.NoError(t, err)
		b, _ := json.Marshal(st)
		s.add("status %s", b)
		s.mustNotShow(t, ftpReal, db.Password)
	})
}

// Member and group names and file paths with quotes, semicolons and SQL
// comments are stored and read back verbatim on every dialect: the SQL is
// parameterised, never assembled from them.
func TestHostileNamesAreParameters(t *testing.T) {
	testdb.EachDialect(t, func(t *testing.T, d schema.Dialect) {
		ctx := context.Background()
		cfg := testdb.NewWithSchema(t, d)
		member := `m'); DROP TABLE token_holder; --`
		group := `g"; DELETE FROM health_check WHERE '1'='1`
		c, err := taskcompat.New(ctx, taskcompat.CoordinationConfig{DatabaseConfig: cfg, MemberID: member,
			CoordinationGroup: group, LivenessCheckInterval: 2, HeartbeatFrequency: taskcompat.Secs(0.25)}.TaskConfig())
		require.NoError(t, err)
		require.NoError(t, c.Start(ctx))
		defer c.Stop(ctx)
		term, active := c.FencingToken()
		require.True(t, active, "the only member is not active: %+v", c.State())
		db := testdb.Open(t, cfg, "UTC")
		lg, err := ledger.New(ctx, ledger.Config{DB: db, Dialect: d, GroupID: group, MemberID: member})
		require.NoError(t, err)
		paths := []string{`/in/a'; DROP TABLE ftpcoord_file; --.csv`, `/in/b"); DELETE FROM token_holder; --`,
			`/in/../../etc/passwd`, `/in/c\'d.csv`, "/in/ünï 📦 `x`;.csv"}
		var files []ledger.File
		for i, p := range paths {
			files = append(files, ledger.File{Path: p, Size: int64(i), MTime: 1})
		}
		n, err := lg.Record(ctx, files)
		require.NoError(t, err, "record")
		require.Equal(t, len(files), n, "record: new versions")
		claims, err := lg.Claim(ctx, 10, time.Minute, term)
		require.NoError(t, err, "claim")
		require.Len(t, claims, len(files), "claim")
		lost, err := lg.CommitAll(ctx, claims)
		require.NoError(t, err, "commit")
		require.Empty(t, lost, "commit: lost")
		for _, p := range paths {
			rows, err := lg.Get(ctx, p)
			require.NoError(t, err, "%q", p)
			require.Len(t, rows, 1, "%q", p)
			require.Equal(t, ledger.Done, rows[0].Status, "%q: %+v", p, rows)
		}
		var holder string
		require.NoError(t, db.QueryRow(`SELECT task_id FROM token_holder`).Scan(&holder), "token_holder")
		require.Equal(t, member, holder, "token_holder")
		require.NoError(t, db.QueryRow(`SELECT count(*) FROM health_check`).Scan(&n), "health_check rows")
		require.Equal(t, 1, n, "health_check rows")
	})
}

// Host keys and certificates are verified unless a user turns that off by
// name: an SFTP listener needs a known_hosts file, a host key it does not
// list is refused with the fix, and an FTPS server whose certificate the
// system does not trust is refused.
func TestVerificationIsOnByDefault(t *testing.T) {
	host, port, _ := strings.Cut(env(t, "FTPCOORD_TEST_SFTP_ADDR"), ":")
	p, _ := strconv.Atoi(port)
	sftp := listener.ListenerConfig{Protocol: "SFTP", Host: host, Port: p, Path: "/",
		Auth: &listener.Auth{Credentials: &listener.Credentials{Username: env(t, "FTPCOORD_TEST_SFTP_USER")},
			PrivateKey: &listener.PrivateKey{Path: env(t, "FTPCOORD_TEST_SFTP_KEY")}}}
	b, _ := json.Marshal(sftp)
	_, err := listener.DecodeConfig(b)
	require.ErrorContains(t, err, "sftpSshKnownHosts", "SFTP without known_hosts: want an error naming sftpSshKnownHosts")
	empty := filepath.Join(t.TempDir(), "known_hosts")
	os.WriteFile(empty, nil, 0o600)
	sftp.SftpSshKnownHosts = empty
	sftp.RetryConfig = &remote.RetryConfig{Count: 1, Interval: 0.01, BackOffFactor: 1, MaxWaitInterval: 0.01}
	l, err := listener.New(sftp)
	require.NoError(t, err)
	l.Attach(&service{s: &sink{}})
	err = l.PollOnce(context.Background())
	require.ErrorIs(t, err, remote.ErrHostKey, "unknown host key")
	require.ErrorContains(t, err, "ssh-keyscan", "unknown host key: want the ssh-keyscan fix")

	vhost, vport, _ := strings.Cut(env(t, "FTPCOORD_TEST_VSFTPD_ADDR"), ":")
	vp, _ := strconv.Atoi(vport)
	ftps := listener.ListenerConfig{Protocol: "FTPS", Host: vhost, Port: vp, Path: "/inbox", // no secureSocket.cert: the system pool
		RetryConfig: &remote.RetryConfig{Count: 1, Interval: 0.01, BackOffFactor: 1, MaxWaitInterval: 0.01}}
	l, err = listener.New(ftps)
	require.NoError(t, err)
	l.Attach(&service{s: &sink{}})
	err = l.PollOnce(context.Background())
	require.ErrorIs(t, err, remote.ErrRefused, "self-signed FTPS certificate: want a refusal")
	require.ErrorContains(t, err, "not trusted", "self-signed FTPS certificate: want a refusal that says it is not trusted")
}
