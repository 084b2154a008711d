package demo

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/ftpcoord/ftpcoord/cmd/ftpcoord/internal/exitcode"
)

// Handler is `ftpcoord demo-handler`, the demo members' --exec handler
// (hidden): it reads the file from stdin, checks its size, works a little
// and appends one line per outcome to a shared log, which the demo reads to
// prove that every file was processed once. Files named *-flaky.* fail their first attempt, to show
// retries.
//
//	<unix ns> <start|end|fail> <member> <attempt> <idempotency key> <path>
func Handler(args []string, stdin io.Reader, stderr io.Writer) error {
	fs := flag.NewFlagSet("ftpcoord demo-handler", flag.ContinueOnError)
	fs.SetOutput(stderr)
	logPath := fs.String("log", "", "handler log to append to")
	work := fs.Duration("work", 150*time.Millisecond, "time each file takes")
	if err := fs.Parse(args); err != nil {
		return exitcode.FlagError(err)
	}
	if *logPath == "" {
		return exitcode.Usagef("demo-handler: --log is required")
	}
	log, err := os.OpenFile(*logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer log.Close()
	path, member, key := os.Getenv("FTPCOORD_PATH"), os.Getenv("FTPCOORD_MEMBER_ID"), os.Getenv("FTPCOORD_IDEMPOTENCY_KEY")
	attempt, _ := strconv.Atoi(os.Getenv("FTPCOORD_ATTEMPT"))
	line := func(what string) {
		// One write per line with O_APPEND: lines of concurrent handlers never mix.
		fmt.Fprintf(log, "%d %s %s %d %s %s\n", time.Now().UnixNano(), what, member, attempt, key, path)
	}
	line("start")
	n, err := io.Copy(io.Discard, stdin)
	if err != nil {
		return err
	}
	if want, _ := strconv.ParseInt(os.Getenv("FTPCOORD_SIZE"), 10, 64); n != want {
		line("fail")
		return fmt.Errorf("read %d bytes of %d", n, want)
	}
	time.Sleep(*work)
	if strings.Contains(path, "-flaky") && attempt == 1 {
		line("fail")
		return errors.New("simulated failure of the first attempt (a flaky file)")
	}
	line("end")
	return nil
}
