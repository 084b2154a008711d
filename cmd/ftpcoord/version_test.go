package main

import (
	"encoding/json"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// `ftpcoord version` names the build: the module's version in a clone, the
// Go version, and the drivers' and clients' versions (those this test was
// built with too); --json says the same.
func TestVersionCommand(t *testing.T) {
	bi, ok := debug.ReadBuildInfo()
	require.True(t, ok)
	want := map[string]string{}
	for _, d := range bi.Deps {
		for _, k := range keyModules {
			if d.Path == k {
				want[k] = d.Version
			}
		}
	}
	require.Len(t, want, len(keyModules), "the test binary's modules")

	r := ftpcoord(t, "version", "--json")
	require.Zero(t, r.code, "version --json: %s", r.stderr)
	var v versionInfo
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &v), "%s", r.stdout)
	assert.Equal(t, "(devel)", v.Version, "a build in the clone, unstamped")
	assert.Equal(t, runtime.Version(), v.Go)
	assert.Equal(t, runtime.GOOS+"/"+runtime.GOARCH, v.Platform)
	assert.Equal(t, want, v.Modules)

	r = ftpcoord(t, "--version")
	require.Zero(t, r.code, "--version: %s", r.stderr)
	assert.True(t, strings.HasPrefix(r.stdout, "ftpcoord (devel)\n"), "%s", r.stdout)
	assert.Contains(t, r.stdout, "go       "+runtime.Version()+" ")
	assert.Contains(t, r.stdout, "module   github.com/jackc/pgx/v5 "+want["github.com/jackc/pgx/v5"]+"\n")
}

// A version stamped with -ldflags "-X main.version=..." (the Dockerfile's
// VERSION) is the one shown.
func TestVersionStamped(t *testing.T) {
	bi, ok := debug.ReadBuildInfo()
	v := readVersion("0.1.0", bi, ok)
	assert.Equal(t, "0.1.0", v.Version)
	assert.Equal(t, "unknown", readVersion("", nil, false).Version)
}
