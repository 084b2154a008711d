package listener

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ftpcoord/ftpcoord/core/remote"
)

// The file forms decode, are checked at start naming the field, and never
// show the secret.
func TestPasswordFilesAreCheckedAtStart(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "password")
	require.NoError(t, os.WriteFile(good, []byte("hunter2-secret\n"), 0o600))

	c, err := DecodeConfig([]byte(`{"auth": {"credentials": {"username": "u", "passwordFile": "` + good + `"},
		"privateKey": {"path": "/k", "passwordFile": "` + good + `"}}}`))
	require.NoError(t, err)
	require.Equal(t, good, c.Auth.Credentials.PasswordFile)
	require.Equal(t, good, c.Auth.PrivateKey.PasswordFile)
	require.NoError(t, c.Validate())

	missing := filepath.Join(dir, "absent")
	err = ListenerConfig{Auth: &Auth{Credentials: &Credentials{Username: "u", PasswordFile: missing}}}.Validate()
	require.ErrorContains(t, err, "auth.credentials.passwordFile: ")
	require.ErrorContains(t, err, missing)
	require.ErrorContains(t, err, "give a readable file")

	err = ListenerConfig{Auth: &Auth{PrivateKey: &PrivateKey{Path: "/k", PasswordFile: dir}}}.Validate()
	require.ErrorContains(t, err, "auth.privateKey.passwordFile: ", "a directory is no secret file")

	err = ListenerConfig{Auth: &Auth{Credentials: &Credentials{Username: "u", Password: "inline-secret", PasswordFile: good}}}.Validate()
	require.ErrorContains(t, err, "auth.credentials.passwordFile: is given together with the inline password")
	require.NotContains(t, err.Error(), "inline-secret")
	require.NotContains(t, err.Error(), "hunter2")
}

// One trailing line end is dropped; the rest is the secret as written.
func TestSecretFileIsReadAtEachCall(t *testing.T) {
	p := filepath.Join(t.TempDir(), "pw")
	a := &Auth{Credentials: &Credentials{Username: "u", PasswordFile: p}, PrivateKey: &PrivateKey{Path: "/k", PasswordFile: p}}
	for content, want := range map[string]string{"s1\n": "s1", "s2\r\n": "s2", " s3 \n\n": " s3 \n", "s4": "s4"} {
		require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
		var pw, phrase string
		require.NoError(t, a.secrets(&pw, &phrase))
		require.Equal(t, want, pw)
		require.Equal(t, want, phrase)
	}
	require.NoError(t, os.Remove(p))
	var pw string
	err := a.secrets(&pw, nil)
	require.ErrorIs(t, err, remote.ErrRefused, "a missing file is not mended by retrying at once")
	require.ErrorContains(t, err, "auth.credentials.passwordFile: ")
}
