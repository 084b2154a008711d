package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/ftpcoord/ftpcoord/core/listener"
	"github.com/ftpcoord/ftpcoord/core/remote"
	"github.com/ftpcoord/ftpcoord/schema"
	"github.com/ftpcoord/ftpcoord/taskcompat"
)

// Exit codes, documented in docs/command.md ("Exit codes").
const (
	ExitOK       = 0 // done
	ExitFailure  = 1 // anything else: a file operation that found nothing to do, an I/O error
	ExitUsage    = 2 // unknown command or flag, missing argument
	ExitConfig   = 3 // the configuration file is missing, does not parse or is invalid; its memberId is in use by another live process
	ExitDatabase = 4 // the database is unreachable, refuses us, or lacks a table
	ExitRemote   = 5 // the file server refused us: credentials, certificate, host key
	ExitInactive = 6 // status: no member of the group is active
	ExitLost     = 7 // demo: a file was lost or processed twice
)

// exitError carries an exit code with the message for the user.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func withCode(code int, err error) error {
	if err == nil {
		return nil
	}
	return &exitError{code: code, err: err}
}

func usageError(format string, args ...any) error {
	return withCode(ExitUsage, fmt.Errorf(format, args...))
}

// exitCode classifies an error.
func exitCode(err error) int {
	var ee *exitError
	var se *schema.Error
	var fe *listener.FieldError
	var tfe *taskcompat.FieldError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &ee):
		return ee.code
	case errors.Is(err, flag.ErrHelp):
		return ExitOK
	case errors.As(err, &se), errors.Is(err, taskcompat.ErrDatabase):
		return ExitDatabase
	case errors.As(err, &fe), errors.As(err, &tfe), errors.Is(err, taskcompat.ErrDuplicateMember):
		return ExitConfig
	case errors.Is(err, remote.ErrRefused), errors.Is(err, remote.ErrHostKey):
		return ExitRemote
	}
	return ExitFailure
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
	if code == ExitUsage {
		fmt.Fprintln(stderr, `ftpcoord: run "ftpcoord help" for usage`)
	}
	return code
}
