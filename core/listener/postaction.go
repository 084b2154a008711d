package listener

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"
)

// afterwards applies an after-processing action to a file: delete it, or
// move it to a name that is free in the target directory.
func (l *Listener) afterwards(ctx context.Context, a *PostAction, f FileInfo) error {
	if a == nil {
		return nil
	}
	if a.Delete {
		return l.caller.Delete(ctx, f.Path)
	}
	dir := a.MoveTo
	if a.PreserveSubDirs {
		if rel, ok := strings.CutPrefix(path.Dir(f.Path), strings.TrimSuffix(l.cfg.Path, "/")); ok {
			dir = path.Join(dir, rel)
		}
	}
	if err := l.mkdirAll(ctx, dir); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	target, err := l.freeName(ctx, dir, f)
	if err != nil {
		return err
	}
	return l.caller.Rename(ctx, f.Path, target)
}

// freeName picks a name in dir not taken yet: the file's own, else with a
// part of its version key, else with a counter too. A clash never leaves
// the file where it would be listed again.
func (l *Listener) freeName(ctx context.Context, dir string, f FileInfo) (string, error) {
	ext := path.Ext(f.Name)
	base := strings.TrimSuffix(f.Name, ext)
	tag := f.IdempotencyKey
	if len(tag) > 12 {
		tag = tag[:12]
	}
	if tag == "" {
		tag = fmt.Sprint(f.LastModifiedTimestamp)
	}
	candidates := []string{f.Name, base + "." + tag + ext}
	for i := 1; i <= 100; i++ {
		candidates = append(candidates, fmt.Sprintf("%s.%s.%d%s", base, tag, i, ext))
	}
	for _, name := range candidates {
		p := path.Join(dir, name)
		ok, err := l.caller.Exists(ctx, p)
		if err != nil {
			return "", err
		}
		if !ok {
			return p, nil
		}
	}
	return "", fmt.Errorf("no free name for %s in %s", f.Name, dir)
}

// mkdirAll creates dir and its parents, taking "already there" for success.
func (l *Listener) mkdirAll(ctx context.Context, dir string) error {
	if ok, err := l.caller.IsDirectory(ctx, dir); err == nil && ok {
		return nil
	}
	if parent := path.Dir(dir); parent != dir && parent != "/" {
		if err := l.mkdirAll(ctx, parent); err != nil {
			return err
		}
	}
	err := l.caller.Mkdir(ctx, dir)
	if err != nil {
		if ok, serr := l.caller.IsDirectory(ctx, dir); serr == nil && ok {
			return nil // made meanwhile, or the server's answer was unclear
		}
		if errors.Is(err, fs.ErrPermission) {
			return err
		}
	}
	return err
}
