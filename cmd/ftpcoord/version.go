package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"github.com/ftpcoord/ftpcoord/cmd/ftpcoord/internal/exitcode"
)

// version is the release, stamped at build time:
//
//	go build -ldflags "-X main.version=0.1.0" ./cmd/ftpcoord
//
// Without it the module's version from the build information is shown
// (v0.1.0 for `go install ...@v0.1.0`, "(devel)" for a build in a clone,
// with the commit).
var version = ""

// keyModules are the dependencies whose versions matter in a bug report:
// the database drivers, the FTP and SFTP clients, TLS/SSH.
var keyModules = []string{
	"github.com/jackc/pgx/v5",
	"github.com/go-sql-driver/mysql",
	"modernc.org/sqlite",
	"github.com/jlaffaye/ftp",
	"github.com/pkg/sftp",
	"golang.org/x/crypto",
}

// versionInfo is what `ftpcoord version` prints.
type versionInfo struct {
	Version  string            `json:"version"`
	Commit   string            `json:"commit,omitempty"`
	Time     string            `json:"commitTime,omitempty"`
	Modified bool              `json:"modified,omitempty"` // built from a tree with uncommitted changes
	Go       string            `json:"go"`
	Platform string            `json:"platform"`
	Modules  map[string]string `json:"modules"`
}

func readVersion(stamped string, bi *debug.BuildInfo, ok bool) versionInfo {
	v := versionInfo{Version: stamped, Go: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH, Modules: map[string]string{}}
	if !ok {
		if v.Version == "" {
			v.Version = "unknown"
		}
		return v
	}
	v.Go = bi.GoVersion
	if v.Version == "" {
		v.Version = bi.Main.Version
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			v.Commit = s.Value
		case "vcs.time":
			v.Time = s.Value
		case "vcs.modified":
			v.Modified = s.Value == "true"
		}
	}
	for _, d := range bi.Deps {
		for _, k := range keyModules {
			if d.Path == k {
				if d.Replace != nil {
					d = d.Replace
				}
				v.Modules[k] = d.Version
			}
		}
	}
	return v
}

// cmdVersion prints the command's version, the Go version that built it
// and the versions of the modules that matter.
func cmdVersion(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("ftpcoord version", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print JSON")
	if err := fs.Parse(args); err != nil {
		return exitcode.FlagError(err)
	}
	if fs.NArg() > 0 {
		return exitcode.Usagef("version: unexpected argument %q", fs.Arg(0))
	}
	bi, ok := debug.ReadBuildInfo()
	v := readVersion(version, bi, ok)
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	fmt.Fprintf(stdout, "ftpcoord %s\n", v.Version)
	if v.Commit != "" {
		mod := ""
		if v.Modified {
			mod = ", modified"
		}
		fmt.Fprintf(stdout, "commit   %s (%s%s)\n", v.Commit, v.Time, mod)
	}
	fmt.Fprintf(stdout, "go       %s %s\n", v.Go, v.Platform)
	for _, k := range keyModules {
		if m, ok := v.Modules[k]; ok {
			fmt.Fprintf(stdout, "module   %s %s\n", k, m)
		}
	}
	return nil
}
