// Package benchenv holds what the benchmark commands share: reading the
// test servers' settings from the environment and failing loudly.
package benchenv

import (
	"fmt"
	"os"
)

// Need returns the value of a variable tests/services/start.sh exports, or
// exits with a hint.
func Need(name string) string {
	v := os.Getenv(name)
	if v == "" {
		Fatal(fmt.Errorf("%s is not set: eval \"$(tests/services/start.sh)\" first, or run make bench", name))
	}
	return v
}

// Fatal prints err and exits non-zero.
func Fatal(err error) {
	fmt.Fprintln(os.Stderr, "bench:", err)
	os.Exit(1)
}
