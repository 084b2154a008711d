package main

import (
	"fmt"
	"slices"
	"sync"

	"github.com/ftpcoord/ftpcoord/core/listener"
)

// The host routes a file to one of its methods (Java's typed content, by
// Java regular expressions Go cannot read): it tells the bridge which
// (ftpcoord_event_method), and the listener applies that method's
// after-actions (services[].methods) when it runs them, after the commit or
// at the rejection.

// hostMethods are the methods a host may name.
var hostMethods = []string{"onFile", "onFileText", "onFileJson", "onFileXml", "onFileCsv"}

// methodsLimit bounds what is remembered: a version's method is needed
// once, at its after-action; one told and never asked for (a failed
// attempt retried by another member) must not pile up.
const methodsLimit = 10000

// methodsTold is the method that took each file version, as the host told.
type methodsTold struct {
	mu    sync.Mutex
	m     map[versionID]string
	order []versionID
}

type versionID struct {
	path        string
	size, mtime int64
}

func idOf(f listener.FileInfo) versionID { return versionID{f.Path, f.Size, f.LastModifiedTimestamp} }

func (t *methodsTold) set(f listener.FileInfo, method string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.m == nil {
		t.m = map[versionID]string{}
	}
	id := idOf(f)
	if _, ok := t.m[id]; !ok {
		t.order = append(t.order, id)
	}
	t.m[id] = method
	for len(t.order) > methodsLimit {
		delete(t.m, t.order[0])
		t.order = t.order[1:]
	}
}

// take returns the method told for f (onFile if none); the after-action
// runs once, so it is forgotten.
func (t *methodsTold) take(f listener.FileInfo) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	id := idOf(f)
	m, ok := t.m[id]
	if !ok {
		return "onFile"
	}
	delete(t.m, id)
	if i := slices.Index(t.order, id); i >= 0 {
		t.order = slices.Delete(t.order, i, i+1)
	}
	return m
}

// tookBy records that method took the file of event id.
func (b *bridge) tookBy(id int64, method string) error {
	if !slices.Contains(hostMethods, method) {
		return fmt.Errorf("method %q: want one of %v", method, hostMethods)
	}
	p, err := b.pendingEvent(id)
	if err != nil {
		return err
	}
	if p.file == nil {
		return fmt.Errorf("event %d is not a file event", id)
	}
	b.methods.set(*p.file, method)
	return nil
}
