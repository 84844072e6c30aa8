package main

import (
	"bufio"
	"fmt"
	"io"
	"os"

	"github.com/phub/phub/sim"
)

// openHashes opens the destination of --hashes: stdout for "-", else a
// new file (truncated). The returned close flushes and closes it.
func openHashes(path string, stdout io.Writer) (io.Writer, func() error, error) {
	if path == "-" {
		return stdout, func() error { return nil }, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, nil, fmt.Errorf("--hashes: %w", err)
	}
	bw := bufio.NewWriter(f)
	return bw, func() error {
		if err := bw.Flush(); err != nil {
			f.Close()
			return fmt.Errorf("--hashes: %w", err)
		}
		return f.Close()
	}, nil
}

// writeHash writes one seed's line of --hashes: "hash class=C seed=N
// trace=H events=E", the fields of phubd replay's summary, so two
// sweeps' files diff line by line and a differing seed replays with
// phubd replay --class C --seed N.
func writeHash(w io.Writer, res *sim.Result) {
	fmt.Fprintf(w, "hash class=%s seed=%d trace=%016x events=%d\n", res.Setup.Class, res.Setup.Seed, res.Hash, res.Events)
}
