package listener

import (
	"context"
	"io"
	"path"
	"strings"
	"time"

	"github.com/ftpcoord/ftpcoord/core/remote"
)

// FileInfo is ballerina/ftp's FileInfo.
type FileInfo struct {
	Path string `json:"path"`
	Size int64  `json:"size"`
	// LastModifiedTimestamp is milliseconds since the epoch, as Ballerina's.
	LastModifiedTimestamp int64  `json:"lastModifiedTimestamp"`
	Name                  string `json:"name"`
	IsFolder              bool   `json:"isFolder"`
	IsFile                bool   `json:"isFile"`
	Extension             string `json:"extension"`
	IsHidden              bool   `json:"isHidden"`
	// PathDecoded is Path; Ballerina has both.
	PathDecoded string `json:"pathDecoded"`
	// Readable and Writable are unknown over FTP listings; always true here.
	Readable bool `json:"readable"`
	Writable bool `json:"writable"`
	// URI is protocol://host:port/path, without credentials.
	URI string `json:"uri"`
	// IdempotencyKey identifies this version of the file in its group
	// (group + path + version); the same on every attempt. Set when files
	// go through the ledger (coordination configured).
	IdempotencyKey string `json:"idempotencyKey,omitempty"`
	// Attempt counts the attempts at this version, this one included.
	Attempt int `json:"attempt,omitempty"`
	// LocalPath is the staged local copy, with stagingDir configured.
	LocalPath string `json:"localPath,omitempty"`
}

// ModTime is LastModifiedTimestamp as a time.
func (f FileInfo) ModTime() time.Time { return time.UnixMilli(f.LastModifiedTimestamp).UTC() }

// WatchEvent is what one poll found: new or changed files, and paths gone.
type WatchEvent struct {
	AddedFiles   []FileInfo `json:"addedFiles"`
	DeletedFiles []string   `json:"deletedFiles"`
}

func fileInfo(dir string, e remote.Entry, uriPrefix string) FileInfo {
	f := fileInfoAt(joinPath(dir, e.Name), e.Size, e.ModTime.UnixMilli(), uriPrefix)
	f.IsFolder, f.IsFile = e.IsDir, !e.IsDir
	return f
}

// fileInfoAt describes the file at path p.
func fileInfoAt(p string, size, mtimeMS int64, uriPrefix string) FileInfo {
	name := path.Base(p)
	ext := path.Ext(name)
	if ext != "" && ext != name {
		ext = ext[1:]
	} else {
		ext = ""
	}
	return FileInfo{
		Path: p, PathDecoded: p, Size: size, LastModifiedTimestamp: mtimeMS,
		Name: name, IsFile: true, Extension: ext,
		IsHidden: strings.HasPrefix(name, "."), Readable: true, Writable: true, URI: uriPrefix + p,
	}
}

// The services a user implements, any subset; Attach takes a value that
// implements at least one. They mirror ballerina/ftp's service methods.
// An error from OnFile or OnFileChange fails the attempt (with the ledger:
// retried after retryTimeout, REJECTED after maxTries); one that wraps
// ErrReject rejects the file at once, one that wraps ErrAbandoned gives it
// back uncounted.
type (
	// FileChangeService receives each poll's changes at once (Ballerina's
	// legacy onFileChange).
	FileChangeService interface {
		OnFileChange(ctx context.Context, ev WatchEvent, caller *Caller) error
	}
	// FileService receives each added file with its content, streamed.
	FileService interface {
		OnFile(ctx context.Context, file FileInfo, content io.Reader, caller *Caller) error
	}
	// FileDeleteService receives each deleted path.
	FileDeleteService interface {
		OnFileDelete(ctx context.Context, path string, caller *Caller) error
	}
	// ErrorService receives the errors of polls and handlers.
	ErrorService interface {
		OnError(ctx context.Context, err error)
	}
)
