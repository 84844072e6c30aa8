package main

import (
	"io"
	"os"

	"github.com/phub/phub/cmd/phubd/internal/ctl"
)

func ctlCmd(args []string, stdout, stderr io.Writer) int {
	return ctl.Run(args, os.Getenv, stdout, stderr)
}
