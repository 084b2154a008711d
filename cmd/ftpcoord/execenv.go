package main

import (
	"strings"
)

// execEnv decides which of the member's environment variables an --exec
// command inherits. The member's secrets stay with the member: every
// variable the configuration refers to as ${NAME} (its passwords, as
// deploy/ sets them) and every FTPCOORD_* variable (the member's own
// namespace, e.g. FTPCOORD_FTP_PASSWORD and FTPCOORD_DB_PASSWORD) are
// withheld, unless named with --exec-env NAME.
type execEnv struct {
	withheld map[string]bool
	pass     map[string]bool
}

// newExecEnv reads the ${NAME} references of a configuration file's text.
func newExecEnv(config []byte, pass []string) execEnv {
	e := execEnv{withheld: map[string]bool{}, pass: map[string]bool{}}
	for _, name := range tracingSecrets {
		e.withheld[name] = true
	}
	for _, m := range envRef.FindAllSubmatch(config, -1) {
		if len(m[1]) > 0 {
			e.withheld[string(m[1])] = true
		}
	}
	for _, name := range pass {
		e.pass[name] = true
	}
	return e
}

// tracingSecrets are the OTLP exporter's headers (an API key, often):
// the member's, like its passwords.
var tracingSecrets = []string{"OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_TRACES_HEADERS"}

// secretEnvPrefix is the member's namespace of variables.
const secretEnvPrefix = "FTPCOORD_"

// handlerEnv is environ without the variables e withholds.
func handlerEnv(environ []string, e execEnv) []string {
	out := make([]string, 0, len(environ))
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if !e.pass[name] && (e.withheld[name] || strings.HasPrefix(name, secretEnvPrefix)) {
			continue
		}
		out = append(out, kv)
	}
	return out
}

// nameList is a repeatable flag.
type nameList []string

func (n *nameList) String() string { return strings.Join(*n, ",") }

func (n *nameList) Set(v string) error {
	*n = append(*n, v)
	return nil
}
