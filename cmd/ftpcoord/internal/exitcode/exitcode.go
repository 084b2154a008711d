// Package exitcode holds the ftpcoord command's exit codes and the error
// that carries one, for the command and the packages of its subcommands.
package exitcode

import (
	"errors"
	"flag"
	"fmt"
)

// Exit codes, documented in docs/command.md ("Exit codes").
const (
	OK       = 0 // done
	Failure  = 1 // anything else: a file operation that found nothing to do, an I/O error
	Usage    = 2 // unknown command or flag, missing argument
	Config   = 3 // the configuration file is missing, does not parse or is invalid; its memberId is in use by another live process
	Database = 4 // the database is unreachable, refuses us, or lacks a table
	Remote   = 5 // the file server refused us: credentials, certificate, host key
	Inactive = 6 // status: no member of the group is active
	Lost     = 7 // demo: a file was lost or processed twice
)

// Error carries an exit code with the message for the user.
type Error struct {
	Code int
	Err  error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// With gives err the exit code; a nil err stays nil.
func With(code int, err error) error {
	if err == nil {
		return nil
	}
	return &Error{Code: code, Err: err}
}

// Usagef is a usage error (exit code Usage).
func Usagef(format string, args ...any) error {
	return With(Usage, fmt.Errorf(format, args...))
}

// FlagError is a usage error for what flag.FlagSet.Parse returned; -h
// stays flag.ErrHelp.
func FlagError(err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return err
	}
	return With(Usage, err)
}
