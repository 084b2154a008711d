package listener

import (
	"regexp"
	"strings"
	"time"

	"github.com/ftpcoord/ftpcoord/core/remote"
)

// filterChain is every rule that decides which listed files a poll reports,
// composed once from the configuration (as Spring's FileListFilter
// composes), and applied by the one listing every poll makes (list, then
// listReporting), whether the in-memory set or the ledger tracks what it
// finds. In order:
//
//  1. by name: hidden entries (directories too), fileNamePattern,
//     include/exclude;
//  2. by directory: fileDependencyConditions, once the whole directory is
//     listed;
//  3. then, for a version the tracking has not reported yet: fileAgeFilter
//     and stableListings (last, as it counts the listings it lets pass);
//  4. after the listing: the listed times made comparable (versiontime.go)
//     and the guard against files still being written (settle.go).
type filterChain struct {
	visible  nameFilter // nil: hidden entries too
	names    []nameFilter
	pattern  *regexp.Regexp // fileNamePattern, whole names; nil: any
	deps     dependencies
	versions []versionFilter
}

// nameFilter accepts a file by its name alone.
type nameFilter func(name string) bool

// versionFilter accepts a new version (key: its path) or holds it back
// for a later poll.
type versionFilter func(key []byte, e remote.Entry, now time.Time) bool

// newFilterChain composes the filters the configuration asks for; cfg has
// been validated.
func (l *Listener) newFilterChain(cfg ListenerConfig) filterChain {
	var f filterChain
	if !cfg.IncludeHidden {
		f.visible = func(name string) bool { return !strings.HasPrefix(name, ".") }
	}
	if cfg.FileNamePattern != "" {
		f.pattern = regexp.MustCompile(`^(?:` + cfg.FileNamePattern + `)$`) // checked by Validate
		f.names = append(f.names, f.pattern.MatchString)
	}
	if len(cfg.Include) > 0 || len(cfg.Exclude) > 0 {
		f.names = append(f.names, cfg.globsAllow)
	}
	f.deps = compileDependencies(cfg.FileDependencyConditions) // checked by Validate
	if cfg.FileAgeFilter != nil {
		f.versions = append(f.versions, func(_ []byte, e remote.Entry, now time.Time) bool { return l.oldEnough(now, e.ModTime) })
	}
	if cfg.StableListings > 1 {
		f.versions = append(f.versions, func(key []byte, e remote.Entry, _ time.Time) bool { return l.stable(key, e) })
	}
	return f
}

// shows tells whether an entry, file or directory, is listed at all.
func (f *filterChain) shows(name string) bool { return f.visible == nil || f.visible(name) }

// named tells whether a file's name passes the name filters.
func (f *filterChain) named(name string) bool {
	for _, ok := range f.names {
		if !ok(name) {
			return false
		}
	}
	return true
}

// admits tells whether a new version is reported now, or waits.
func (f *filterChain) admits(key []byte, e remote.Entry, now time.Time) bool {
	for _, ok := range f.versions {
		if !ok(key, e, now) {
			return false
		}
	}
	return true
}

// oldEnough applies fileAgeFilter: too young waits for a later poll.
func (l *Listener) oldEnough(now, mtime time.Time) bool {
	f := l.cfg.FileAgeFilter
	if f == nil {
		return true
	}
	age := now.Sub(mtime).Seconds()
	return age >= f.MinAge && (f.MaxAge == 0 || age <= f.MaxAge)
}
