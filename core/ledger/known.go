package ledger

import (
	"context"
	"fmt"
)

// Known tells, for each file, whether its version (under the ledger's
// version mode) is recorded, whatever its state: one primary-key read per
// batch.
func (l *Ledger) Known(ctx context.Context, files []File) ([]bool, error) {
	out := make([]bool, len(files))
	for start := 0; start < len(files); start += l.cfg.BatchSize {
		batch := files[start:min(len(files), start+l.cfg.BatchSize)]
		index := make(map[string][]int, len(batch))
		keys := make([]string, 0, len(batch))
		for i, f := range batch {
			k := VersionKey(l.cfg.GroupID, l.cfg.Version, f)
			if index[k] == nil {
				keys = append(keys, k)
			}
			index[k] = append(index[k], start+i)
		}
		if err := l.knownKeys(ctx, keys, func(k string) {
			for _, i := range index[k] {
				out[i] = true
			}
		}); err != nil {
			return out, err
		}
	}
	return out, nil
}

func (l *Ledger) knownKeys(ctx context.Context, keys []string, found func(string)) error {
	ctx, cancel := l.bound(ctx)
	defer cancel()
	in, args := l.keyIn(keys)
	rows, err := l.cfg.DB.QueryContext(ctx, l.q(`SELECT version_key FROM ftpcoord_file WHERE group_id = ? AND `+in), append([]any{l.cfg.GroupID}, args...)...)
	if err != nil {
		return fmt.Errorf("ledger: known: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return fmt.Errorf("ledger: known: %w", err)
		}
		found(k)
	}
	return rows.Err()
}
