package listener

import (
	"sync/atomic"
	"time"

	"github.com/ftpcoord/ftpcoord/core/ledger"
)

// unentered is the part of a warm-backup poll's listing that is not in the
// ledger yet: the active member enters new versions a batch at a time, as
// its workers need them (listing.justInTime), so the ledger's PENDING rows
// leave the rest out. The backlog this member reports adds it, so that the
// files waiting on the server count whatever the size of a batch.
type unentered struct {
	files    atomic.Int64
	listedAt atomic.Int64 // unix nanoseconds of the listing that found them
}

// set records what a listing left to enter, n versions found at listedAt.
func (u *unentered) set(n int, listedAt time.Time) {
	u.listedAt.Store(listedAt.UnixNano())
	u.files.Store(int64(n))
}

// left updates the count as batches are entered.
func (u *unentered) left(n int) { u.files.Store(int64(n)) }

// clear: the poll's listing is entered or dropped.
func (u *unentered) clear() { u.files.Store(0) }

// addTo counts the versions not entered yet as pending, each as old as the
// listing that found them (a version that an earlier, interrupted poll had
// listed counts from this listing).
func (u *unentered) addTo(b *ledger.Backlog, now time.Time) {
	n := u.files.Load()
	if n <= 0 {
		return
	}
	b.Pending.Files += int(n)
	age := max(now.Sub(time.Unix(0, u.listedAt.Load())).Seconds(), 0)
	b.Pending.OldestSeconds = max(b.Pending.OldestSeconds, age)
}
