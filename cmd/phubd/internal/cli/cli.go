// Package cli holds phubd's command-line conventions: exit statuses and
// how a command reports a bad flag.
//
// Exit status, for every phubd command:
//
//	0  success (including -h)
//	1  a runtime failure: the node failed or could not leave in time, the
//	   admin API reported an error, a simulated seed failed its checks
//	2  bad usage or configuration: an unknown or malformed flag, a bad
//	   value in the flags, environment or config file (a short secret, a
//	   missing secret or token file, a bad TLS file included); nothing
//	   was started
//
// A bad flag prints one line naming it and one line pointing at the
// command's -h, never the whole flag list.
package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
)

// Exit statuses of every phubd command (see the package doc).
const (
	ExitOK      = 0
	ExitFailure = 1
	ExitUsage   = 2
)

// Parse parses args into fs without letting the flag package print. On
// -h it prints fs's usage (fs.Usage, with fs's output set to w) and
// returns flag.ErrHelp; any other error is returned for Usage to report.
func Parse(fs *flag.FlagSet, args []string, w io.Writer) error {
	usage := fs.Usage
	fs.Usage = func() {}
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	fs.SetOutput(w)
	fs.Usage = usage
	if errors.Is(err, flag.ErrHelp) {
		if usage != nil {
			usage()
		} else {
			fs.PrintDefaults()
		}
	}
	return err
}

// Usage reports a usage or configuration error of command (e.g. "phubd
// run") on w: the error, then a one-line hint to the command's -h. It
// returns ExitUsage, or ExitOK for flag.ErrHelp (the usage was printed
// by Parse).
func Usage(w io.Writer, command string, err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return ExitOK
	}
	fmt.Fprintf(w, "%s: %v\n", command, err)
	fmt.Fprintf(w, "Run '%s -h' for usage.\n", command)
	return ExitUsage
}
