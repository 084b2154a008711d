package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/ftpcoord/ftpcoord/cmd/ftpcoord/internal/exitcode"
	"github.com/ftpcoord/ftpcoord/core/listener"
	"github.com/ftpcoord/ftpcoord/core/remote"
	"github.com/ftpcoord/ftpcoord/schema"
	"github.com/ftpcoord/ftpcoord/taskcompat"
)

// exitCode classifies an error.
func exitCode(err error) int {
	var ee *exitcode.Error
	var se *schema.Error
	var fe *listener.FieldError
	var tfe *taskcompat.FieldError
	switch {
	case err == nil:
		return exitcode.OK
	case errors.As(err, &ee):
		return ee.Code
	case errors.Is(err, flag.ErrHelp):
		return exitcode.OK
	case errors.As(err, &se), errors.Is(err, taskcompat.ErrDatabase):
		return exitcode.Database
	case errors.As(err, &fe), errors.As(err, &tfe), errors.Is(err, taskcompat.ErrDuplicateMember):
		return exitcode.Config
	case errors.Is(err, remote.ErrRefused), errors.Is(err, remote.ErrHostKey):
		return exitcode.Remote
	}
	return exitcode.Failure
}

// report prints err for a person, with the fix when one is known, and
// returns the exit code.
func report(err error, stderr io.Writer) int {
	code := exitCode(err)
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return code
	}
	msg := err.Error()
	var se *schema.Error
	if errors.As(err, &se) {
		// The library's fix names Go functions; say what a command user
		// can do instead. (Wrapping errors hold their text already made.)
		was := se.Error()
		switch {
		case errors.Is(se, schema.ErrMissingTable):
			se.Fix = "create the tables with: ftpcoord schema apply --config " + configPath +
				" (or run the SQL that ftpcoord schema print --config " + configPath + " writes)"
		case errors.Is(se, schema.ErrMissingColumn):
			se.Fix = "the table must have the columns of ballerina/task; drop it and run ftpcoord schema apply --config " + configPath + ", or alter it to match"
		}
		msg = strings.Replace(msg, was, se.Error(), 1)
	}
	fmt.Fprintln(stderr, "ftpcoord:", msg)
	if code == exitcode.Usage {
		fmt.Fprintln(stderr, `ftpcoord: run "ftpcoord help" for usage`)
	}
	return code
}
