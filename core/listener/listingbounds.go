package listener

import (
	"errors"
	"fmt"

	"github.com/ftpcoord/ftpcoord/core/remote"
)

// A listing is input from the server, and a server can make it endless (a
// directory that keeps growing, a data connection that never closes, a
// loop of subdirectories). One poll's listing therefore holds at most
// maxListingEntries entries and walks at most maxListingDirectories
// directories. Past either bound the listing is cut and handled as a
// truncated one (remote.ErrTruncated): reported loudly, what it found is
// processed, and nothing missing from it is taken as deleted. The defaults
// leave room for 200,000 files with a margin.
const (
	DefaultMaxListingEntries     = 500_000
	DefaultMaxListingDirectories = 10_000
)

// ListingLimitError is a listing cut at one of its bounds; it matches
// remote.ErrTruncated.
type ListingLimitError struct {
	Field string // maxListingEntries or maxListingDirectories
	Limit int
	Path  string // the watched directory
}

func (e *ListingLimitError) Error() string {
	return fmt.Sprintf("listener: the listing of %s passed %s (%d) and was cut there: files past it wait, nothing missing is taken as deleted; raise %s if the directory really holds that many",
		e.Path, e.Field, e.Limit, e.Field)
}

// Is makes the cut a truncated listing.
func (e *ListingLimitError) Is(target error) bool { return target == remote.ErrTruncated }

// listingBudget counts one poll's listing against the bounds.
type listingBudget struct {
	entries, dirs int
	cfg           *ListenerConfig
	err           error // the bound passed, once passed
}

// entry counts one listed entry; past the bound it returns the cut.
func (b *listingBudget) entry() error {
	if b.err == nil {
		if b.entries++; b.entries > b.cfg.MaxListingEntries {
			b.err = &ListingLimitError{Field: "maxListingEntries", Limit: b.cfg.MaxListingEntries, Path: b.cfg.Path}
		}
	}
	return b.err
}

// dir counts one directory about to be listed; past the bound it returns
// the cut.
func (b *listingBudget) dir() error {
	if b.err == nil {
		if b.dirs++; b.dirs > b.cfg.MaxListingDirectories {
			b.err = &ListingLimitError{Field: "maxListingDirectories", Limit: b.cfg.MaxListingDirectories, Path: b.cfg.Path}
		}
	}
	return b.err
}

// cut names the configuration's bound in a listing the session cut at it
// (remote.ErrTooManyEntries: the session holds the same bound, so that a
// server cannot fill the memory before an entry reaches the listener).
func (b *listingBudget) cut(err error) error {
	if errors.Is(err, remote.ErrTooManyEntries) && b.err == nil {
		b.err = &ListingLimitError{Field: "maxListingEntries", Limit: b.cfg.MaxListingEntries, Path: b.cfg.Path}
	}
	if errors.Is(err, remote.ErrTooManyEntries) {
		return b.err
	}
	return err
}
