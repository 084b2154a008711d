package remote

import (
	"encoding/binary"
	"errors"
	"io"
	"sync/atomic"
)

// sftpWatch sits between the SFTP subsystem's output and pkg/sftp's reader:
// it passes every byte through and notes, per packet, that the server is
// alive (the idle timer) and, during a listing, how many names its NAME
// packets carry. pkg/sftp's ReadDir gathers a whole directory before it
// returns; past the listing's bound the stream fails instead, so a listing
// that never ends cannot fill the memory.
type sftpWatch struct {
	r    io.Reader
	idle *idleTimer

	// Used by the one goroutine that reads (pkg/sftp's receive loop).
	hdr  [13]byte // length, type, id, and a NAME packet's count
	hn   int
	left uint32 // bytes of the current packet still to pass after its header

	limit atomic.Int64 // names allowed in the listing under way; 0: no listing
	names atomic.Int64
	cut   atomic.Bool
}

// errListCut ends the stream of a listing past its bound.
var errListCut = errors.New("sftp: listing cut at its bound")

const sshFxpName = 104

// listing starts counting names against max (0: no bound); done stops it.
func (w *sftpWatch) listing(max int) (done func()) {
	w.names.Store(0)
	w.cut.Store(false)
	if max <= 0 {
		return func() {}
	}
	w.limit.Store(int64(max))
	return func() { w.limit.Store(0) }
}

func (w *sftpWatch) Read(p []byte) (int, error) {
	if w.cut.Load() {
		return 0, errListCut
	}
	n, err := w.r.Read(p)
	if n > 0 {
		w.idle.seen()
		if w.scan(p[:n]) {
			w.cut.Store(true)
			return 0, errListCut
		}
	}
	return n, err
}

// scan follows the packets in b; it reports a listing past its bound.
func (w *sftpWatch) scan(b []byte) (over bool) {
	for len(b) > 0 {
		if w.left > 0 {
			k := uint32(min(len(b), int(min(w.left, 1<<30))))
			b, w.left = b[k:], w.left-k
			continue
		}
		if w.hn < 4 {
			k := copy(w.hdr[w.hn:4], b)
			b, w.hn = b[k:], w.hn+k
			if w.hn < 4 {
				continue
			}
		}
		length := binary.BigEndian.Uint32(w.hdr[:4])
		need := 4 + int(min(length, 9))
		k := copy(w.hdr[w.hn:need], b)
		b, w.hn = b[k:], w.hn+k
		if w.hn < need {
			continue
		}
		if length >= 9 && w.hdr[4] == sshFxpName {
			count := int64(binary.BigEndian.Uint32(w.hdr[9:13]))
			if max := w.limit.Load(); max > 0 && w.names.Add(count) > max {
				over = true
			}
		}
		w.left, w.hn = length-uint32(need-4), 0
	}
	return over
}
