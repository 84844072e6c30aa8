// Command phubd runs a phub node, controls a running cluster through its
// admin API, and demonstrates a three-node cluster in one process.
//
//	phubd run [flags]        run one node (see phubd run -h)
//	phubd ctl <command> ...  call a node's admin API (see phubd ctl -h)
//	phubd demo               start a 3-node cluster on loopback and show migration
//	phubd sim [flags]        run simulator seeds or scenario files and check them
//	phubd replay ...         replay one seed exactly and write trace, timeline, history
//	phubd bench [flags]      measure a 3-node cluster over TCP on loopback
//
// See cmd/phubd/README.md for the configuration and API reference.
package main

import (
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/phub/phub/cmd/phubd/internal/cli"
	"github.com/phub/phub/kinds"
)

const usage = `usage: phubd <command> [arguments]

commands:
  run     run one node (flags, PHUB_* environment, --config JSON file)
  ctl     call a node's admin API (start, stop, get, list, which, members, ring, ...)
  demo    start a 3-node cluster on loopback, place counters, stop a node, show handover
  sim     run simulator seeds (--class, --seeds, --shard i/n, --self-check) or scenario files
  bench   measure a 3-node cluster over TCP on loopback (start/stop/redistribute/lookup/memory)
  replay  replay one seed (--class C --seed N) with trace, timeline and history, or a rapid .fail file

Run "phubd <command> -h" for a command's flags.

Exit status: 0 success, 1 runtime failure, 2 bad usage or configuration.
`

func main() {
	os.Exit(realMain(os.Args[1:], os.Stdout, os.Stderr))
}

func realMain(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "run":
		return runCmd(args[1:], stderr)
	case "ctl":
		return ctlCmd(args[1:], stdout, stderr)
	case "demo":
		return demoCmd(args[1:], stdout, stderr)
	case "sim":
		return simCmd(args[1:], stdout, stderr)
	case "replay":
		return replayCmd(args[1:], stdout, stderr)
	case "bench":
		return benchCmd(args[1:], stdout, stderr)
	case kinds.FenceGuardArg: // hidden: started by a strict-mode node
		return fenceGuardCmd(args[1:], stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	return cli.Usage(stderr, "phubd", fmt.Errorf("unknown command %q", args[0]))
}

// fenceGuardCmd runs the fence guard of the phubd whose pid is the only
// argument (kinds.RunFenceGuard): it reads deadlines from stdin.
func fenceGuardCmd(args []string, stderr io.Writer) int {
	parent, err := strconv.Atoi(firstArg(args))
	if err != nil || len(args) != 1 || parent <= 1 {
		fmt.Fprintf(stderr, "phubd %s: want the pid of the node it guards, got %q\n", kinds.FenceGuardArg, args)
		return 2
	}
	if err := kinds.RunFenceGuard(os.Stdin, parent, stderr); err != nil {
		fmt.Fprintf(stderr, "phubd fence guard: %v\n", err)
		return 1
	}
	return 0
}

func firstArg(args []string) string {
	if len(args) == 0 {
		return ""
	}
	return args[0]
}
