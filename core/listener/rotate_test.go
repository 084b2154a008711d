package listener

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ftpcoord/ftpcoord/core/remote"
	"github.com/ftpcoord/ftpcoord/internal/k8ssecret"
	"github.com/ftpcoord/ftpcoord/internal/pureftpuser"
	"github.com/ftpcoord/ftpcoord/internal/sharedfile"
)

// TestPasswordFileRotationOnPureFTPd: the password is read from a mounted
// Secret at each new connection. A connection made after the server's
// password changed but before the Secret is updated is refused as a login
// failure; once the Secret is swapped the next connection logs in, with
// no restart; the session opened before the rotation keeps working.
func TestPasswordFileRotationOnPureFTPd(t *testing.T) {
	cfg, local := pureDir(t)
	user, setPassword := pureftpuser.New(t)
	setPassword("first-pw")
	secret := k8ssecret.New(t, map[string]string{"password": "first-pw\n"})
	cfg.Auth = &Auth{Credentials: &Credentials{Username: user, PasswordFile: secret.Path("password")}}
	rec := newRecorder()
	l := newListener(t, cfg, rec)
	ctx := context.Background()

	write(t, local, "a.txt", "a", time.Hour)
	poll(t, l)
	require.Equal(t, 1, rec.delivered())

	// The session opened before the rotation, held so that the next
	// poll has to dial.
	before, err := l.pool.Get(ctx)
	require.NoError(t, err)

	setPassword("second-pw")
	write(t, local, "b.txt", "b", time.Hour)
	err = l.PollOnce(ctx)
	require.ErrorIs(t, err, remote.ErrRefused, "the old password after the server's change")
	require.ErrorContains(t, err, "refused the login")
	require.NotContains(t, err.Error(), "first-pw")

	secret.Update(map[string]string{"password": "second-pw"})
	poll(t, l)
	require.Equal(t, 2, rec.delivered(), "the next connection uses the new password")

	// The session logged in before the rotation was not broken.
	require.NoError(t, before.List(ctx, cfg.Path, func(remote.Entry) error { return nil }))
	l.pool.Put(before, nil)
	write(t, local, "c.txt", "c", time.Hour)
	poll(t, l)
	require.Equal(t, 3, rec.delivered())
}

// TestKeyFileRotationOnOpenSSH: the SFTP private key is read at each new
// connection from a Secret-style mount. Swapping in a key the server does
// not know yet refuses the next connection as a login failure; once the
// server authorizes it, the next connection logs in, with no restart.
func TestKeyFileRotationOnOpenSSH(t *testing.T) {
	host, p := hostPort(t, "FTPCOORD_TEST_SFTP_ADDR")
	_, local := testDir(t, env(t, "FTPCOORD_TEST_SFTP_ROOT"))
	// The authorized test key, encrypted here so that its passphrase
	// rotates with it; both come from the Secret.
	oldKey, err := os.ReadFile(env(t, "FTPCOORD_TEST_SFTP_KEY"))
	require.NoError(t, err)
	oldFile := filepath.Join(t.TempDir(), "old")
	require.NoError(t, os.WriteFile(oldFile, oldKey, 0o600))
	out, err := exec.Command("ssh-keygen", "-q", "-p", "-P", "", "-N", "first", "-f", oldFile).CombinedOutput()
	require.NoError(t, err, "ssh-keygen -p: %s", out)
	oldKey, err = os.ReadFile(oldFile)
	require.NoError(t, err)
	secret := k8ssecret.New(t, map[string]string{"id": string(oldKey), "passphrase": "first"})
	cfg := ListenerConfig{Protocol: SFTP, Host: host, Port: p, Path: local, SftpSshKnownHosts: env(t, "FTPCOORD_TEST_SFTP_KNOWN_HOSTS"),
		Auth: &Auth{Credentials: &Credentials{Username: env(t, "FTPCOORD_TEST_SFTP_USER")},
			PrivateKey: &PrivateKey{Path: secret.Path("id"), PasswordFile: secret.Path("passphrase")}}}
	rec := newRecorder()
	l := newListener(t, cfg, rec)
	ctx := context.Background()
	write(t, local, "a.txt", "a", time.Hour)
	poll(t, l)
	require.Equal(t, 1, rec.delivered())
	before, err := l.pool.Get(ctx)
	require.NoError(t, err)

	keyFile := filepath.Join(t.TempDir(), "new")
	out, err = exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "rotated", "-f", keyFile).CombinedOutput()
	require.NoError(t, err, "ssh-keygen: %s", out)
	newKey, err := os.ReadFile(keyFile)
	require.NoError(t, err)
	pub, err := os.ReadFile(keyFile + ".pub")
	require.NoError(t, err)
	secret.Update(map[string]string{"id": string(newKey), "passphrase": "rotated\n"})

	write(t, local, "b.txt", "b", time.Hour)
	err = l.PollOnce(ctx)
	require.ErrorIs(t, err, remote.ErrRefused, "a key the server does not know yet")
	require.ErrorContains(t, err, "refused the login")

	authorize(t, filepath.Join(filepath.Dir(env(t, "FTPCOORD_TEST_SFTP_KNOWN_HOSTS")), "authorized_keys"), strings.TrimSpace(string(pub)))
	poll(t, l)
	require.Equal(t, 2, rec.delivered(), "the next connection uses the new key")

	require.NoError(t, before.List(ctx, local, func(remote.Entry) error { return nil }), "the session opened before the rotation")
	l.pool.Put(before, nil)
}

// authorize adds a key to the shared authorized_keys file and removes it
// at the end, keeping the other lines.
func authorize(t *testing.T, file, key string) {
	edit := func(add bool) {
		line := ""
		if add {
			line = key
		}
		sharedfile.Edit(t, file, func(l string) bool { return l == key }, line)
	}
	edit(true)
	t.Cleanup(func() { edit(false) })
}
