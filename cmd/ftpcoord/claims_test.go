package main

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/ftpcoord/ftpcoord/core/listener"
	"github.com/ftpcoord/ftpcoord/taskcompat"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The defaults docs/configuration.md states are the code's: every row whose
// default is a plain value (a number, a boolean or a quoted string) names
// the value an empty configuration gets, so that a figure measured "at the
// defaults" means what the reference says.
func TestConfigurationDefaultsAreTheCodes(t *testing.T) {
	b, err := os.ReadFile("../../docs/configuration.md")
	require.NoError(t, err)

	d := taskcompat.Config{}.WithDefaults()
	cfg := listener.ListenerConfig{}.WithDefaults()
	cfg.Coordination = &taskcompat.CoordinationConfig{DatabaseConfig: d.Database, LivenessCheckInterval: d.LivenessCheckInterval,
		HeartbeatFrequency: d.HeartbeatFrequency, SessionTimeZone: d.SessionTimeZone}
	js, err := json.Marshal(cfg)
	require.NoError(t, err)
	var actual map[string]any
	require.NoError(t, json.Unmarshal(js, &actual))

	// Defaults the code applies where the value is used, not in WithDefaults.
	appliedLater := map[string]bool{
		"auth.secureSocket.mode":   true, // at dial time, when secureSocket is set (core/listener/dial.go)
		"stableListings":           true, // 0 and 1 both report a version at its first listing
		"coordination.crashSignal": true, // unset means on (taskcompat.Config), as documented
		// Ballerina's fields (core/listener/ballerina.go): their defaults are
		// applied where they are used (dial.go, remote's SFTP client), or are
		// the only behaviour there is (Unhonoured warns about the others).
		"socketConfig.ftpDataTimeout":             true,
		"socketConfig.ftpSocketTimeout":           true,
		"socketConfig.sftpSessionTimeout":         true,
		"proxy.type":                              true,
		"auth.preferredMethods":                   true,
		"auth.secureSocket.dataChannelProtection": true,
		"fileTransferMode":                        true,
		"sftpCompression":                         true,
	}
	row := regexp.MustCompile("^\\| `([A-Za-z.]+)` \\|[^|]*\\| `([^`]+)`")
	checked := 0
	for _, line := range strings.Split(string(b), "\n") {
		m := row.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		var documented any
		if json.Unmarshal([]byte(m[2]), &documented) != nil {
			continue // not a plain value: "heartbeatFrequency", an object
		}
		if _, isObject := documented.(map[string]any); isObject || appliedLater[m[1]] {
			continue
		}
		got, ok := lookup(actual, m[1])
		if !ok { // left out when empty: the zero value
			switch documented.(type) {
			case float64:
				got = float64(0)
			case bool:
				got = false
			case string:
				got = ""
			}
		}
		assert.Equal(t, documented, got, "docs/configuration.md: the default of %s", m[1])
		checked++
	}
	assert.GreaterOrEqual(t, checked, 25, "rows with a plain default")
}

// lookup finds a dotted path in decoded JSON.
func lookup(v any, path string) (any, bool) {
	for _, k := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = m[k]; !ok {
			return nil, false
		}
	}
	return v, true
}
