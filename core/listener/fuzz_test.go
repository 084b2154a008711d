package listener

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzDecodeConfig feeds hostile JSON to the configuration decoder: it
// never panics, an accepted configuration validates and survives a round
// trip through its own JSON, and a refusal always says something.
func FuzzDecodeConfig(f *testing.F) {
	for _, seed := range []string{
		`{}`,
		`{"protocol": "FTP", "host": "127.0.0.1", "port": 2121, "path": "/in", "fileNamePattern": "(.*)\\.csv",
		  "auth": {"credentials": {"username": "u", "password": "p"}}, "pollingInterval": 0.5}`,
		`{"protocol": "SFTP", "sftpSshKnownHosts": "/k", "auth": {"credentials": {"username": "u"}, "privateKey": {"path": "/id"}}}`,
		`{"protocol": "FTPS", "auth": {"secureSocket": {"cert": "/ca.pem", "mode": "IMPLICIT"}}}`,
		`{"coordination": {"databaseConfig": {"type": "postgresql", "user": "u", "database": "d"}, "memberId": "a", "coordinationGroup": "g"},
		  "mode": "shared", "workers": 4, "maxTries": 3, "afterProcess": "DELETE", "afterError": {"moveTo": "/err", "preserveSubDirs": true}}`,
		`{"fileDependencyConditions": [{"targetPattern": "(.*)\\.csv", "requiredFiles": ["$1.done"], "matchingMode": "ALL"}]}`,
		`{"fileNamePattern": "(?<=a)b"}`,
		`{"fileAgeFilter": {"minAge": -1}}`,
		`{"port": 1e400}`,
		`[1, 2]`,
		`{"include": ["*.csv"], "exclude": ["[" ]}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := DecodeConfig(data)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("an empty error")
			}
			return
		}
		require.NoError(t, cfg.Validate(), "accepted, yet Validate says")
		again, err := json.Marshal(cfg)
		require.NoError(t, err, "accepted, yet cannot be written back")
		_, err = DecodeConfig(again)
		require.NoError(t, err, "accepted %s, yet its own JSON %s is refused", data, again)
	})
}
