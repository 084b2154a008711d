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
	if s.buf.Len() == 0 {
		t.Fatal("nothing was captured: the test proves nothing")
	}
	for _, sec := range secrets {
		if sec != "" && bytes.Contains(s.buf.Bytes(), []byte(sec)) {
			t.Fatalf("a secret leaked into what users see:\n%s", s.buf.String())
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
	if err := os.MkdirAll(local, 0o777); err != nil {
		t.Fatal(err)
	}
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
		if err != nil {
			t.Fatal(err)
		}
		l.Attach(&service{s: s})
		err = l.PollOnce(context.Background())
		if err == nil || !errors.Is(err, remote.ErrRefused) {
			t.Fatalf("PollOnce with a wrong password: %v, want a refusal", err)
		}
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
			if err != nil {
				t.Fatal(err)
			}
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
		if err == nil {
			t.Fatal("connected to port 1")
		}
		s.add("new: %v | %+v | %#v", err, err, err)
		s.mustNotShow(t, dbPw)
	})

	t.Run("wrong key passphrase", func(t *testing.T) {
		s := &sink{}
		key := filepath.Join(t.TempDir(), "id")
		if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", keyPw, "-f", key).CombinedOutput(); err != nil {
			t.Fatalf("ssh-keygen: %v %s", err, out)
		}
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
		if err == nil {
			t.Fatal("a wrong passphrase was accepted")
		}
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
			if err == nil {
				t.Fatalf("%s: accepted", raw)
			}
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
		if err != nil {
			t.Fatal(err)
		}
		svc := &service{s: s, files: make(chan string, 1)}
		l.Attach(svc)
		if err := l.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		defer l.Stop(context.Background())
		for done := false; !done; {
			if err := l.PollOnce(context.Background()); err != nil && !errors.Is(err, listener.ErrPollInProgress) {
				t.Fatal(err)
			}
			select {
			case <-svc.files:
				done = true
			case <-time.After(50 * time.Millisecond):
			}
		}
		st, err := l.Status(context.Background())
		if err != nil {
			t.Fatal(err)
		}
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
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Start(ctx); err != nil {
			t.Fatal(err)
		}
		defer c.Stop(ctx)
		term, active := c.FencingToken()
		if !active {
			t.Fatalf("the only member is not active: %+v", c.State())
		}
		db := testdb.Open(t, cfg, "UTC")
		lg, err := ledger.New(ctx, ledger.Config{DB: db, Dialect: d, GroupID: group, MemberID: member})
		if err != nil {
			t.Fatal(err)
		}
		paths := []string{`/in/a'; DROP TABLE ftpcoord_file; --.csv`, `/in/b"); DELETE FROM token_holder; --`,
			`/in/../../etc/passwd`, `/in/c\'d.csv`, "/in/ünï 📦 `x`;.csv"}
		var files []ledger.File
		for i, p := range paths {
			files = append(files, ledger.File{Path: p, Size: int64(i), MTime: 1})
		}
		if n, err := lg.Record(ctx, files); err != nil || n != len(files) {
			t.Fatalf("record: %d, %v", n, err)
		}
		claims, err := lg.Claim(ctx, 10, time.Minute, term)
		if err != nil || len(claims) != len(files) {
			t.Fatalf("claim: %d, %v", len(claims), err)
		}
		if lost, err := lg.CommitAll(ctx, claims); err != nil || len(lost) != 0 {
			t.Fatalf("commit: lost %d, %v", len(lost), err)
		}
		for _, p := range paths {
			rows, err := lg.Get(ctx, p)
			if err != nil || len(rows) != 1 || rows[0].Status != ledger.Done {
				t.Fatalf("%q: %+v, %v", p, rows, err)
			}
		}
		var holder string
		var n int
		if err := db.QueryRow(`SELECT task_id FROM token_holder`).Scan(&holder); err != nil || holder != member {
			t.Fatalf("token_holder: %q, %v", holder, err)
		}
		if err := db.QueryRow(`SELECT count(*) FROM health_check`).Scan(&n); err != nil || n != 1 {
			t.Fatalf("health_check rows %d, %v", n, err)
		}
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
	if _, err := listener.DecodeConfig(b); err == nil || !strings.Contains(err.Error(), "sftpSshKnownHosts") {
		t.Fatalf("SFTP without known_hosts: %v, want an error naming sftpSshKnownHosts", err)
	}
	empty := filepath.Join(t.TempDir(), "known_hosts")
	os.WriteFile(empty, nil, 0o600)
	sftp.SftpSshKnownHosts = empty
	sftp.RetryConfig = &remote.RetryConfig{Count: 1, Interval: 0.01, BackOffFactor: 1, MaxWaitInterval: 0.01}
	l, err := listener.New(sftp)
	if err != nil {
		t.Fatal(err)
	}
	l.Attach(&service{s: &sink{}})
	if err := l.PollOnce(context.Background()); !errors.Is(err, remote.ErrHostKey) || !strings.Contains(err.Error(), "ssh-keyscan") {
		t.Fatalf("unknown host key: %v, want remote.ErrHostKey with the ssh-keyscan fix", err)
	}

	vhost, vport, _ := strings.Cut(env(t, "FTPCOORD_TEST_VSFTPD_ADDR"), ":")
	vp, _ := strconv.Atoi(vport)
	ftps := listener.ListenerConfig{Protocol: "FTPS", Host: vhost, Port: vp, Path: "/inbox", // no secureSocket.cert: the system pool
		RetryConfig: &remote.RetryConfig{Count: 1, Interval: 0.01, BackOffFactor: 1, MaxWaitInterval: 0.01}}
	l, err = listener.New(ftps)
	if err != nil {
		t.Fatal(err)
	}
	l.Attach(&service{s: &sink{}})
	if err := l.PollOnce(context.Background()); !errors.Is(err, remote.ErrRefused) || !strings.Contains(err.Error(), "not trusted") {
		t.Fatalf("self-signed FTPS certificate: %v, want a refusal that says it is not trusted", err)
	}
}
