package demo

import (
	"crypto/tls"
	"errors"
	"io"
	"log/slog"

	ftpserver "github.com/fclairamb/ftpserverlib"
	"github.com/spf13/afero"
)

// ftpServer is the demo's in-process FTP server: ftpserverlib over a
// local directory, one user, on a free loopback port.
type ftpServer struct {
	fs         afero.Fs
	user, pass string
	srv        *ftpserver.FtpServer
}

func startFTPServer(root, user, pass string) (*ftpServer, error) {
	d := &ftpServer{fs: afero.NewBasePathFs(afero.NewOsFs(), root), user: user, pass: pass}
	d.srv = ftpserver.NewFtpServer(d)
	d.srv.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	if err := d.srv.Listen(); err != nil {
		return nil, err
	}
	go d.srv.Serve()
	return d, nil
}

// Addr is host:port.
func (d *ftpServer) Addr() string { return d.srv.Addr() }

func (d *ftpServer) Stop() { d.srv.Stop() }

// The ftpserverlib.MainDriver methods.

func (d *ftpServer) GetSettings() (*ftpserver.Settings, error) {
	return &ftpserver.Settings{ListenAddr: "127.0.0.1:0", PublicHost: "127.0.0.1", Banner: "ftpcoord demo",
		DefaultTransferType: ftpserver.TransferTypeBinary, DisableActiveMode: true}, nil
}

func (d *ftpServer) ClientConnected(ftpserver.ClientContext) (string, error) {
	return "ftpcoord demo server", nil
}

func (d *ftpServer) ClientDisconnected(ftpserver.ClientContext) {}

func (d *ftpServer) AuthUser(_ ftpserver.ClientContext, user, pass string) (ftpserver.ClientDriver, error) {
	if user != d.user || pass != d.pass {
		return nil, errors.New("bad credentials")
	}
	return d.fs, nil
}

func (d *ftpServer) GetTLSConfig() (*tls.Config, error) {
	return nil, errors.New("the demo server has no TLS")
}
