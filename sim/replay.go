package sim

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// ReplayReport is what Replay produced for one seed.
type ReplayReport struct {
	Class Class
	Seed  uint64
	// Hash is the trace hash of the replay; it equals the sweep's
	// Result.Hash for the same class and seed (same code).
	Hash   uint64
	Result *Result
	// Dir holds the artifacts; Paths lists them (trace.txt,
	// timeline.html, and history.html for a failed, visualizable
	// linearizability check).
	Dir   string
	Paths []string
}

// String summarizes the replay: the result, the trace hash and the files.
func (r *ReplayReport) String() string {
	var b strings.Builder
	status := "PASS"
	if r.Result.Failed() {
		status = "FAIL"
	}
	fmt.Fprintf(&b, "replay %s class=%s seed=%d trace=%016x events=%d\n", status, r.Class, r.Seed, r.Hash, r.Result.Events)
	b.WriteString(r.Result.Summary())
	for _, p := range r.Paths {
		fmt.Fprintf(&b, "  wrote %s\n", p)
	}
	return b.String()
}

// Replay re-runs one seed of a class exactly as the sweep does
// (RunSeed with the default options), writing the text trace to
// dir/trace.txt as it runs, then the timeline and, for a failed
// linearizability check, porcupine's history visualization.
func Replay(class Class, seed uint64, dir string) (*ReplayReport, error) {
	return ReplayWith(class, seed, dir, Options{})
}

// ReplayWith is Replay of a seed run with opts' Detector and Nodes (the
// flags Setup.ReplayFlags names); its other fields are ignored.
func ReplayWith(class Class, seed uint64, dir string, opts Options) (*ReplayReport, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	tracePath := filepath.Join(dir, "trace.txt")
	f, err := os.Create(tracePath)
	if err != nil {
		return nil, err
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	res, s := RunSeedSim(class, seed, Options{Trace: bw, Record: true, Detector: opts.Detector, Nodes: opts.Nodes})
	if err := bw.Flush(); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	rep := &ReplayReport{Class: class, Seed: seed, Hash: s.TraceHash(), Result: res, Dir: dir, Paths: []string{tracePath}}
	var lin = &res.Lin
	if !res.LinChecked {
		lin = nil
	}
	paths, err := s.writeArtifacts(dir, lin, false)
	rep.Paths = append(rep.Paths, paths...)
	if err != nil {
		return rep, err
	}
	return rep, nil
}

// SelfCheck runs a seed twice with its text trace captured and compares
// the trace hashes (the determinism self-check). When they differ it
// returns the first differing line: its number and both versions.
func SelfCheck(class Class, seed uint64) (ok bool, firstDiff string) {
	return SelfCheckWith(class, seed, Options{})
}

// SelfCheckWith is SelfCheck of a seed run with opts' Detector and Nodes.
func SelfCheckWith(class Class, seed uint64, opts Options) (ok bool, firstDiff string) {
	var a, b bytes.Buffer
	ra := RunSeed(class, seed, Options{Trace: &a, Detector: opts.Detector, Nodes: opts.Nodes})
	rb := RunSeed(class, seed, Options{Trace: &b, Detector: opts.Detector, Nodes: opts.Nodes})
	if ra.Hash == rb.Hash && bytes.Equal(a.Bytes(), b.Bytes()) {
		return true, ""
	}
	return false, FirstTraceDiff(a.Bytes(), b.Bytes())
}

// FirstTraceDiff describes the first line where two text traces differ,
// e.g. "line 1234:\n  run 1: 1500000000 recv n1<-n2 heartbeat\n  run 2: ...".
// It returns "" when they are equal.
func FirstTraceDiff(a, b []byte) string {
	if bytes.Equal(a, b) {
		return ""
	}
	la := bytes.Split(bytes.TrimSuffix(a, []byte("\n")), []byte("\n"))
	lb := bytes.Split(bytes.TrimSuffix(b, []byte("\n")), []byte("\n"))
	for i := 0; i < max(len(la), len(lb)); i++ {
		var x, y []byte
		var hx, hy bool
		if i < len(la) {
			x, hx = la[i], true
		}
		if i < len(lb) {
			y, hy = lb[i], true
		}
		if hx && hy && bytes.Equal(x, y) {
			continue
		}
		show := func(has bool, l []byte) string {
			if !has {
				return "<end of trace>"
			}
			return string(l)
		}
		return fmt.Sprintf("line %d:\n  run 1: %s\n  run 2: %s", i+1, show(hx, x), show(hy, y))
	}
	return "traces differ only in their final newline"
}
