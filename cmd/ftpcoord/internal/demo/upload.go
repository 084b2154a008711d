package demo

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ftpcoord/ftpcoord/core/remote"
)

// uploader puts files on the server: each written under a hidden name and
// renamed, as careful senders do, so no member sees half a file.
func (d *demo) upload(ctx context.Context, n int, every time.Duration, uploaded chan<- string) error {
	defer close(uploaded)
	host, port := splitHostPort(d.server.Addr())
	c, err := remote.DialFTP(ctx, remote.FTPConfig{Addr: fmt.Sprintf("%s:%d", host, port), User: d.server.user, Password: d.server.pass})
	if err != nil {
		return fmt.Errorf("demo uploader: %w", err)
	}
	defer c.Close()
	for i := range n {
		name := fmt.Sprintf("invoice-%03d.csv", i)
		if i%9 == 4 {
			name = fmt.Sprintf("invoice-%03d-flaky.csv", i)
		}
		body := strings.Repeat(fmt.Sprintf("%d,item,%d.00\n", i, i*7), 20+i)
		if err := c.Write(ctx, "/inbox/."+name+".part", strings.NewReader(body)); err != nil {
			return fmt.Errorf("demo uploader: %w", err)
		}
		if err := c.Rename(ctx, "/inbox/."+name+".part", "/inbox/"+name); err != nil {
			return fmt.Errorf("demo uploader: %w", err)
		}
		uploaded <- "/inbox/" + name
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(every):
		}
	}
	return nil
}
