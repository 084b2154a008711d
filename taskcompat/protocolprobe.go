package taskcompat

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/ftpcoord/ftpcoord/schema"
)

// The two server protocols start differently: a MySQL server greets first
// (a packet whose payload starts with protocol version 10), a PostgreSQL
// server waits for the client and answers its SSLRequest with one byte, 'S'
// or 'N'. So a client of one dialect that reaches a server of the other
// learns it within a round trip, where the drivers would wait for their
// timeout (MySQL's) or say "received unexpected message" (PostgreSQL's).

// greetingWait is how long a MySQL client waits for the server's greeting
// before it asks whether the server speaks PostgreSQL.
const greetingWait = time.Second

// WrongProtocolError says that the database server speaks the protocol of
// another dialect than the configured one.
type WrongProtocolError struct {
	Addr       string
	Configured schema.Dialect
	Speaks     schema.Dialect
	Version    string // the server's version, when its greeting says it
}

func (e *WrongProtocolError) Error() string {
	speaks := map[schema.Dialect]string{schema.Postgres: "PostgreSQL", schema.MySQL: "MySQL"}
	v := ""
	if e.Version != "" {
		v = " (server " + e.Version + ")"
	}
	return fmt.Sprintf("the server at %s speaks the %s protocol%s, not %s: set databaseConfig.type = %q, or point databaseConfig.host and databaseConfig.port at a %s server",
		e.Addr, speaks[e.Speaks], v, speaks[e.Configured], e.Speaks, speaks[e.Configured])
}

// sslRequest is PostgreSQL's SSLRequest message: length 8, code 80877103.
var sslRequest = []byte{0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f}

// probeSpeaksPostgres opens a connection of its own and sends an
// SSLRequest: a one-byte 'S' or 'N' answer is a PostgreSQL server.
func probeSpeaksPostgres(ctx context.Context, network, addr string) bool {
	var d net.Dialer
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	c, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return false
	}
	defer c.Close()
	deadline, _ := ctx.Deadline()
	c.SetDeadline(deadline)
	if _, err := c.Write(sslRequest); err != nil {
		return false
	}
	b := make([]byte, 2)
	n, _ := c.Read(b)
	return n == 1 && (b[0] == 'S' || b[0] == 'N')
}

// probeMySQLGreeting reads a server's first packet on a connection of its
// own: a MySQL greeting (protocol 10) gives the server's version; ok is
// false for anything else.
func probeMySQLGreeting(ctx context.Context, addr string) (version string, ok bool) {
	var d net.Dialer
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return "", false
	}
	defer c.Close()
	deadline, _ := ctx.Deadline()
	c.SetDeadline(deadline)
	b := make([]byte, 256)
	n, _ := c.Read(b)
	return parseMySQLGreeting(b[:n])
}

// parseMySQLGreeting reads a MySQL handshake packet: a 3-byte length, the
// sequence number 0, protocol version 10 and the NUL-terminated version;
// an error packet (0xff, e.g. "host is blocked") is MySQL too.
func parseMySQLGreeting(b []byte) (version string, ok bool) {
	if len(b) < 5 || b[3] != 0 {
		return "", false
	}
	switch b[4] {
	case 10:
		v, _, _ := bytes.Cut(b[5:], []byte{0})
		return strings.ToValidUTF8(string(v), "?"), true
	case 0xff:
		return "", true
	}
	return "", false
}

// mysqlDial is the MySQL driver's dialer: it dials as the driver would,
// and when the server says nothing for greetingWait, it asks whether the
// server is a PostgreSQL one, so that the error says so at once rather
// than "cannot reach database" at the connect timeout.
func mysqlDial(ctx context.Context, network, addr string) (net.Conn, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	if greets, known := serverSpeaksFirst(ctx, c, greetingWait); known && !greets && probeSpeaksPostgres(ctx, network, addr) {
		c.Close()
		return nil, &WrongProtocolError{Addr: addr, Configured: schema.MySQL, Speaks: schema.Postgres}
	}
	return c, nil
}

// wrongProtocol explains a failed connection whose server speaks the
// other dialect's protocol; nil when that is not the cause.
func wrongProtocol(ctx context.Context, db DatabaseConfig, err error) error {
	var wp *WrongProtocolError
	if errors.As(err, &wp) {
		return wp
	}
	if d, _ := db.Dialect(); d == schema.Postgres && strings.Contains(err.Error(), "unexpected message") {
		if v, ok := probeMySQLGreeting(ctx, db.Address()); ok {
			return &WrongProtocolError{Addr: db.Address(), Configured: schema.Postgres, Speaks: schema.MySQL, Version: v}
		}
	}
	return nil
}
