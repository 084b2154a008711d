package remote

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// stallingFTP is a scripted FTP server that logs anyone in and then stops
// answering: on the control connection at the command named stallAt, or,
// with stallAt "", on the data connection of a LIST (it opens it and sends
// nothing). It stands for a server that hangs (socketConfig's case).
func stallingFTP(t *testing.T, stallAt string) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	done := make(chan struct{})
	t.Cleanup(func() { close(done); ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				var data net.Listener
				r := bufio.NewReader(c)
				fmt.Fprint(c, "220 stalling\r\n")
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					cmd, _, _ := strings.Cut(strings.TrimSpace(line), " ")
					cmd = strings.ToUpper(cmd)
					if cmd == stallAt {
						<-done
						return
					}
					switch cmd {
					case "USER":
						fmt.Fprint(c, "331 password\r\n")
					case "PASS":
						fmt.Fprint(c, "230 in\r\n")
					case "EPSV":
						data, _ = net.Listen("tcp", "127.0.0.1:0")
						fmt.Fprintf(c, "229 Entering Extended Passive Mode (|||%d|)\r\n", data.Addr().(*net.TCPAddr).Port)
					case "LIST":
						fmt.Fprint(c, "150 here it comes\r\n")
						if data != nil {
							dc, err := data.Accept()
							if err == nil {
								defer dc.Close()
							}
							data.Close()
						}
						<-done // never sends the listing
						return
					case "QUIT":
						fmt.Fprint(c, "221 bye\r\n")
						return
					default:
						fmt.Fprint(c, "200 ok\r\n") // FEAT, TYPE, OPTS...
					}
				}
			}()
		}
	}()
	return ln.Addr().String()
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) || errors.As(err, &ne) && ne.Timeout()
}

// socketConfig's ftpSocketTimeout and ftpDataTimeout: a server that stops
// answering fails the command with a timeout instead of holding it forever.
func TestFTPSocketTimeouts(t *testing.T) {
	t.Run("control", func(t *testing.T) {
		cfg := FTPConfig{Addr: stallingFTP(t, "EPSV"), User: "u", Password: "p", ControlTimeout: 200 * time.Millisecond}
		c, err := DialFTP(context.Background(), cfg)
		require.NoError(t, err)
		defer c.Close()
		err = c.List(context.Background(), "/", func(Entry) error { return nil })
		require.Error(t, err)
		assert.True(t, isTimeout(err), "want a timeout, got %v", err)
	})
	t.Run("data", func(t *testing.T) {
		cfg := FTPConfig{Addr: stallingFTP(t, ""), User: "u", Password: "p", DataTimeout: 200 * time.Millisecond, ControlTimeout: time.Second, DisableMLSD: true}
		c, err := DialFTP(context.Background(), cfg)
		require.NoError(t, err)
		defer c.Close()
		err = c.List(context.Background(), "/", func(Entry) error { return nil })
		require.Error(t, err)
		assert.True(t, isTimeout(err), "want a timeout, got %v", err)
	})
	t.Run("greeting", func(t *testing.T) {
		// A server that accepts and never greets.
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		defer ln.Close()
		go func() {
			c, err := ln.Accept()
			if err == nil {
				defer c.Close()
				bufio.NewReader(c).ReadString('\n')
			}
		}()
		_, err = DialFTP(context.Background(), FTPConfig{Addr: ln.Addr().String(), ControlTimeout: 200 * time.Millisecond})
		require.Error(t, err)
		assert.True(t, isTimeout(err), "want a timeout, got %v", err)
	})
}
