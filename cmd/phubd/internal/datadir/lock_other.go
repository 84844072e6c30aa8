//go:build !unix

package datadir

import (
	"errors"
	"os"
)

var errWouldBlock = errors.New("would block")

// lockFile is not implemented outside unix systems.
func lockFile(*os.File) error { return errors.New("locking needs a unix system") }
