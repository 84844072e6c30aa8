//go:build !unix

package main

import "os/exec"

// killGroup is a no-op where process groups are not available; the
// context still kills the go command itself.
func killGroup(*exec.Cmd) {}
