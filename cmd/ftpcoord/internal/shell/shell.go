// Package shell quotes words for /bin/sh, for the command lines the
// ftpcoord command builds (the demo's --exec handler) and its tests.
package shell

import "strings"

// Quote quotes s for /bin/sh.
func Quote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
