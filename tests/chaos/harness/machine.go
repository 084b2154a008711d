package harness

import (
	"fmt"
	"os"
	"runtime"
	"strings"
)

// Machine describes this machine for the reports: OS, CPUs, CPU model,
// memory and Go version.
func Machine() string {
	model := ""
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "model name") {
				_, model, _ = strings.Cut(l, ":")
				model = strings.TrimSpace(model)
				break
			}
		}
	}
	mem := "?"
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		l, _, _ := strings.Cut(string(b), "\n")
		if f := strings.Fields(l); len(f) > 1 {
			mem = strings.Join(f[1:], " ")
		}
	}
	return fmt.Sprintf("%s/%s, %d CPUs (%s), %s RAM, %s", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), model, mem, runtime.Version())
}
