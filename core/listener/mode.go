package listener

import (
	"fmt"

	"github.com/ftpcoord/ftpcoord/core/ledger"
)

// Mode says who processes files with the ledger; it is parsed from the
// configuration's mode once, by Validate, and the pipeline asks it rather
// than comparing strings.
type Mode int

const (
	// WarmBackup: only the active member lists and processes (default).
	WarmBackup Mode = iota
	// Shared: the active member lists, every member processes.
	Shared
)

// modeNames are the configuration's spellings, by Mode.
var modeNames = [...]string{WarmBackup: "warm-backup", Shared: "shared"}

func (m Mode) String() string { return modeNames[m] }

// ledgerMode is the ledger's name for the same mode.
func (m Mode) ledgerMode() ledger.Mode {
	if m == Shared {
		return ledger.Shared
	}
	return ledger.WarmBackup
}

// parseMode reads the configuration's mode; empty is the default.
func parseMode(s string) (Mode, error) {
	if s == "" {
		return WarmBackup, nil
	}
	for m, name := range modeNames {
		if s == name {
			return Mode(m), nil
		}
	}
	return WarmBackup, fmt.Errorf("%q is not %s or %s", s, WarmBackup, Shared)
}
