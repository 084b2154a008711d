package listener

import (
	"fmt"
	"sync"
)

// A version superseded under its transfer (more bytes came than were
// listed, or fewer and the server now gives another size) loses its ledger
// row; the lister must then forget it too, or the next listing, which may
// show the very same path, size and time (a symlink on vsftpd lists the
// link's size and sends the target's bytes), finds it "seen" and never
// records it again: a file silently never processed. So the next listing
// records it again. A version superseded a second time, unchanged in
// between, is not the server changing it but the listing not describing
// what the server sends: that attempt fails, a try counted, so the file
// ends REJECTED with the reason instead of looping unseen.

// supersededSet is the versions superseded, by path; safe for the workers.
type supersededSet struct {
	mu sync.Mutex
	m  map[string]*supersededVersion
}

type supersededVersion struct {
	size, mtime int64
	forgotten   bool // the lister dropped it from seen
}

// add notes a version superseded.
func (s *supersededSet) add(path string, size, mtime int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]*supersededVersion{}
	}
	s.m[path] = &supersededVersion{size: size, mtime: mtime}
}

// again reports whether this exact version was superseded before.
func (s *supersededSet) again(path string, size, mtime int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := s.m[path]
	return v != nil && v.size == size && v.mtime == mtime
}

// forgetSuperseded drops the superseded versions from seen, so that the
// listing about to run records them again, and ends the memory of those
// whose path no longer shows that version. Called under polling.
func (l *Listener) forgetSuperseded() {
	s := &l.superseded
	s.mu.Lock()
	defer s.mu.Unlock()
	for p, v := range s.m {
		f := l.seen[p]
		same := f != nil && f.size == v.size && f.mtime == v.mtime
		switch {
		case !v.forgotten:
			if same {
				delete(l.seen, p)
			}
			v.forgotten = true
		case !same:
			delete(s.m, p) // another version since, or gone
		}
	}
}

// supersededAgain is the error of a version superseded a second time.
func supersededAgain(cause error) error {
	return fmt.Errorf("%v; the listing showed this very version again after its last transfer did the same, so the listing does not describe what the server sends (a symbolic link listed with its own size?)", cause)
}
