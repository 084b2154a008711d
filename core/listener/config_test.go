package listener

import (
	"errors"
	"strings"
	"testing"
)

func TestDecodeBallerinaConfig(t *testing.T) {
	c, err := DecodeConfig([]byte(`{
		"protocol": "FTP", "host": "ftp.example.com", "port": 2121,
		"auth": {"credentials": {"username": "u", "password": "p"}},
		"path": "/inbox", "fileNamePattern": "order-\\d+\\.csv", "pollingInterval": 2.5,
		"fileAgeFilter": {"minAge": 10, "maxAge": 3600},
		"connectTimeout": 5, "retryConfig": {"count": 5, "interval": 0.5, "backOffFactor": 1.5, "maxWaitInterval": 10},
		"coordination": {"databaseConfig": {"type": "postgresql", "user": "x", "database": "coord"},
		                 "memberId": "node-1", "coordinationGroup": "orders"}
	}`))
	if err != nil {
		t.Fatal(err)
	}
	if c.Host != "ftp.example.com" || c.Port != 2121 || c.Path != "/inbox" || c.PollingInterval != 2.5 ||
		c.FileAgeFilter.MinAge != 10 || c.RetryConfig.Count != 5 || c.Coordination.MemberID != "node-1" ||
		c.Auth.Credentials.Username != "u" {
		t.Fatalf("decoded %+v", c)
	}
	d := ListenerConfig{}.WithDefaults()
	if d.Protocol != "FTP" || d.Host != "127.0.0.1" || d.Port != 21 || d.Path != "/" || d.PollingInterval != 60 ||
		d.ConnectTimeout != 30 || d.RetryConfig.Count != 3 || d.RetryConfig.Interval != 1 || d.RetryConfig.BackOffFactor != 2 ||
		d.RetryConfig.MaxWaitInterval != 30 || d.MaxConnections != 4 {
		t.Fatalf("defaults %+v", d)
	}
	if p := (ListenerConfig{Protocol: "sftp"}).WithDefaults().Port; p != 22 {
		t.Fatalf("SFTP default port %d", p)
	}
}

func TestDecodeErrorsNameTheProblem(t *testing.T) {
	cases := map[string]string{
		`{"protocl": "FTP"}`:                                                    `listener config: protocl: unknown field; did you mean "protocol"?`,
		"{\n  \"port\": 21,\n  \"path\": \"/\" oops}":                           "line 3",
		`{"port": "twenty-one"}`:                                                "port",
		`{"protocol": "HTTP"}`:                                                  "protocol:",
		`{"port": 70000}`:                                                       "port:",
		`{"path": "inbox"}`:                                                     "path:",
		`{"pollingInterval": -1}`:                                               "pollingInterval:",
		`{"fileNamePattern": "(?!tmp).*"}`:                                      "fileNamePattern:",
		`{"fileAgeFilter": {"minAge": 10, "maxAge": 5}}`:                        "fileAgeFilter.maxAge:",
		`{"protocol": "SFTP", "auth": {"credentials": {"username": "u"}}}`:      "sftpSshKnownHosts:",
		`{"protocol": "FTPS", "auth": {"secureSocket": {"mode": "SOMETIMES"}}}`: "auth.secureSocket.mode:",
		`{"coordination": {"databaseConfig": {"user": "u", "database": "d"}, "coordinationGroup": "g"}}`: "coordination.memberId:",
	}
	for in, want := range cases {
		_, err := DecodeConfig([]byte(in))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want it to mention %q", in, err, want)
		}
	}
	_, err := DecodeConfig([]byte(`{"protocol": "HTTP"}`))
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Field != "protocol" {
		t.Errorf("not a FieldError: %v", err)
	}
}

func TestPatternsMatchWholeNamesAndRefuseJavaOnlySyntax(t *testing.T) {
	for _, bad := range []string{`(?=a).*`, `(?<!x)y`, `a*+`, `(?>ab)`, `\h+`, `(?U)\w+`, `(a)\1`} {
		if err := CheckPattern(bad); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
	l, err := New(ListenerConfig{FileNamePattern: `.*\.csv`})
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]bool{"a.csv": true, "a.csv.tmp": false, "x.CSV": false, ".csv": true} {
		if got := l.pattern.MatchString(name); got != want {
			t.Errorf("%q matched %v, want %v", name, got, want)
		}
	}
}

func TestPasswordsStayHidden(t *testing.T) {
	c := Credentials{Username: "u", Password: "hunter2"}
	k := PrivateKey{Path: "/k", Password: "hunter3"}
	if s := c.String() + k.String(); strings.Contains(s, "hunter") {
		t.Fatalf("shown: %s", s)
	}
}

func TestDependencyConditionValidation(t *testing.T) {
	for in, want := range map[string]string{
		`{"fileDependencyConditions": [{"requiredFiles": ["x"]}]}`:                                               "fileDependencyConditions[0].targetPattern",
		`{"fileDependencyConditions": [{"targetPattern": "a", "requiredFiles": []}]}`:                            "fileDependencyConditions[0].requiredFiles",
		`{"fileDependencyConditions": [{"targetPattern": "a", "requiredFiles": ["(?=x)"]}]}`:                     "fileDependencyConditions[0].requiredFiles[0]",
		`{"fileDependencyConditions": [{"targetPattern": "a", "requiredFiles": ["b"], "matchingMode": "MOST"}]}`: "fileDependencyConditions[0].matchingMode",
		`{"stableListings": -1}`: "stableListings",
	} {
		if _, err := DecodeConfig([]byte(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want it to mention %s", in, err, want)
		}
	}
}
