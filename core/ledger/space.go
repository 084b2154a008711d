package ledger

import (
	"fmt"
	"regexp"
)

// A listener with several services keeps each service's file versions in
// a key space of its own within the group: the same file watched by two
// services (overlapping paths) is two versions, each processed once, and a
// service's claims never take another's files. The coordination (the
// token, the term that fences writes, the heartbeats) stays the group's.
// The group's own rows are the space of a service without a name, so a
// listener with one service keeps the rows it always had.

// spaceName is what a space may be called: it is part of group_id.
var spaceName = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// CheckSpace tells whether name can name a key space: 1 to 64 letters,
// digits, '.', '_' or '-'; and whether the group_id it makes fits the
// ledger's column (255 characters).
func CheckSpace(group, name string) error {
	if !spaceName.MatchString(name) {
		return fmt.Errorf("%q: use 1 to 64 letters, digits, '.', '_' or '-'", name)
	}
	if n := len(SpaceID(group, name)); n > 255 {
		return fmt.Errorf("%q: with the groupId it makes a ledger group of %d characters; at most 255 fit", name, n)
	}
	return nil
}

// SpaceID is the group_id of a space's rows: the group's own for "", else
// group#space.
func SpaceID(group, space string) string {
	if space == "" {
		return group
	}
	return group + "#" + space
}
