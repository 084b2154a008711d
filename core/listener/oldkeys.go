package listener

import (
	"context"

	"github.com/ftpcoord/ftpcoord/core/ledger"
)

// knownUnderListedTime drops from files the versions the ledger holds
// under the key of their time as listed. Ledgers written before versions
// were kept at the server's grain (see versionTimes) keyed LIST files on
// that time, read as UTC: the minute, or midnight for a file listed with
// its day. Such a version is known, not new: it is not entered again, and
// what was seen is remembered. One primary-key read per batch, and only for
// files whose time was settled to another than the listed one, or that a
// serverTimeZone reads otherwise than UTC (on LIST-only servers: files
// listed with their day when the server has MDTM, every new file when it
// has none or lists local time); MLSD and SFTP listings never need it.
func (l *Listener) knownUnderListedTime(ctx context.Context, lg *ledger.Ledger, added []listed, files []ledger.File) []ledger.File {
	if l.cfg.VersionKey == "path" {
		return files
	}
	listedAt := map[string][]int64{}
	for _, a := range added {
		settled := a.entry.ModTime.UnixMilli()
		var at []int64
		for _, ms := range []int64{a.listedMS, l.times.readAsUTC(a.listedMS)} {
			if ms != settled && (len(at) == 0 || at[0] != ms) {
				at = append(at, ms)
			}
		}
		if len(at) > 0 {
			listedAt[joinPath(a.dir, a.entry.Name)] = at
		}
	}
	if len(listedAt) == 0 {
		return files
	}
	var old []ledger.File
	var at []int // old[j] is a version of files[at[j]]
	for i, f := range files {
		for _, ms := range listedAt[f.Path] {
			old = append(old, ledger.File{Path: f.Path, Size: f.Size, MTime: ms})
			at = append(at, i)
		}
	}
	known, err := lg.Known(ctx, old)
	if err != nil {
		// Entering them under their new keys is what a ledger without
		// old rows does: the worst is one more run of an old version.
		l.log.Warn("listener: could not look up versions entered by earlier releases", "err", err)
		return files
	}
	drop := map[int]bool{}
	for j, k := range known {
		if k {
			drop[at[j]] = true
		}
	}
	if len(drop) == 0 {
		return files
	}
	kept := files[:0]
	var gone []ledger.File
	for i, f := range files {
		if drop[i] {
			gone = append(gone, f)
		} else {
			kept = append(kept, f)
		}
	}
	l.remember(gone)
	return kept
}
