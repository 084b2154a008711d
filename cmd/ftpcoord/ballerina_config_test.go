package main

import (
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ftpcoord/ftpcoord/core/listener"
)

// A ballerina/ftp 2.18 FTPS listener written as TOML, with Ballerina's
// key and trust stores ({path, password}), loads unchanged.
func TestBallerinaTOMLLoads(t *testing.T) {
	raw, err := os.ReadFile("../../core/listener/testdata/ballerina-2.18-ftps.toml")
	require.NoError(t, err)
	c, err := parseConfig(raw, true)
	require.NoError(t, err)
	s := c.Auth.SecureSocket
	assert.Equal(t, &listener.KeyStore{Path: "/etc/ballerina/client-keystore.p12", Password: "ballerina"}, s.Key)
	assert.Equal(t, listener.TrustStore{Path: "/etc/ballerina/client-truststore.p12", Password: "ballerina"}, s.Cert)
	assert.Equal(t, "PRIVATE", s.DataChannelProtection)
	assert.Equal(t, 15.0, *c.SocketConfig.FtpSocketTimeout)
	assert.Equal(t, 2, *c.FileDependencyConditions[0].RequiredFileCount)
	assert.True(t, c.AfterProcess.PreserveSubDirs, "Ballerina's default")
	// Every field here is honoured; the listener has no path (a 2.18
	// listener's is in @ftp:ServiceConfig), which is said.
	notes := c.Unhonoured()
	require.Len(t, notes, 1, "%q", notes)
	assert.Contains(t, notes[0], "path: not set, so / is watched")
}

// A trust store of the wrong shape is named in TOML's words, with its line.
func TestBallerinaTrustStoreShapeError(t *testing.T) {
	_, err := parseConfig([]byte("protocol = \"FTPS\"\n[auth.secureSocket]\ncert = [\"/a.pem\"]\n"), true)
	require.Error(t, err)
	assert.Equal(t, `line 3: auth.secureSocket.cert: want a PEM file's path or a trust store { path = "/trust.p12", password = "..." }, got a list`, err.Error())
}
