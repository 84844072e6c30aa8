// Package datadir owns a phubd node's data directory: what one
// incarnation of a node leaves for the next. Layout, version 2:
//
//	<dir>/VERSION                 "2": the layout version; another version is refused
//	<dir>/lock                    locked (flock) by the running phubd; holds its pid
//	<dir>/children/<pid>.json     one kinds.ProcessRecord per running exec child
//	<dir>/state/                  the durable registry (package store: wal, snap),
//	                              when durable mode is on (version 2 added it)
//
// A record is written (to a temporary file, then renamed) right after its
// process started and removed once the process and its process group are
// gone, so the records left at boot are exactly the children a crashed or
// killed incarnation left behind. Records are not fsynced: they only
// matter when the node's process died and the machine did not (a machine
// crash ends every child too, and the boot id tells such records apart).
// Later layouts add files and raise the version; a phubd refuses a layout
// version it does not know.
package datadir

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/phub/phub/kinds"
)

// Version is the layout version this phubd writes and understands.
const Version = 2

// ErrOldLayout is returned by Open for a directory written by an older
// phubd (layout version 1, before the durable registry).
var ErrOldLayout = errors.New("data dir has an older layout")

// ErrInUse is returned by Open when another process holds the directory.
var ErrInUse = errors.New("data dir in use by another phubd")

// Dir is an open, exclusively locked data directory. It implements
// kinds.ProcessJournal.
type Dir struct {
	path string
	lock *os.File
}

var _ kinds.ProcessJournal = (*Dir)(nil)

// Default returns the default data directory of the node called name:
// $XDG_STATE_HOME/phubd/<name>, or ~/.local/state/phubd/<name>.
func Default(name string) (string, error) {
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, "/\\\x00") {
		return "", fmt.Errorf("data dir: node name %q cannot name a directory: set data_dir", name)
	}
	if base := os.Getenv("XDG_STATE_HOME"); base != "" && filepath.IsAbs(base) {
		return filepath.Join(base, "phubd", name), nil
	}
	home, err := os.UserHomeDir()
	if err != nil || home == "" {
		return "", fmt.Errorf("data dir: no default without a home directory (%v): set data_dir", err)
	}
	return filepath.Join(home, ".local", "state", "phubd", name), nil
}

// Open creates the directory if needed (mode 0700), checks its layout
// version and locks it. It returns an error wrapping ErrInUse, naming the
// holder's pid, if another phubd has it open.
func Open(path string) (*Dir, error) {
	if path == "" {
		return nil, errors.New("data dir: empty path")
	}
	if err := os.MkdirAll(filepath.Join(path, "children"), 0o700); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	lf, err := os.OpenFile(filepath.Join(path, "lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	if err := lockFile(lf); err != nil {
		holder, _ := os.ReadFile(lf.Name())
		lf.Close()
		if errors.Is(err, errWouldBlock) {
			return nil, fmt.Errorf("%w: %s (pid %s); two nodes cannot share a data dir", ErrInUse, path, strings.TrimSpace(string(holder)))
		}
		return nil, fmt.Errorf("data dir: lock %s: %w", lf.Name(), err)
	}
	d := &Dir{path: path, lock: lf}
	if err := d.checkVersion(); err != nil {
		d.Close()
		return nil, err
	}
	if err := lf.Truncate(0); err == nil {
		_, _ = lf.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return d, nil
}

// checkVersion writes VERSION into a new directory and refuses another
// layout version.
func (d *Dir) checkVersion() error {
	p := filepath.Join(d.path, "VERSION")
	b, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		return writeFile(p, []byte(strconv.Itoa(Version)+"\n"))
	}
	if err != nil {
		return fmt.Errorf("data dir: %w", err)
	}
	v := strings.TrimSpace(string(b))
	if v == "1" {
		return fmt.Errorf("%w: %s: layout version 1 (written by a phubd without the durable registry); this phubd uses version %d. "+
			"Stop every exec child the old phubd left (listed in %s), then move the directory away and start again",
			ErrOldLayout, p, Version, filepath.Join(d.path, "children"))
	}
	if v != strconv.Itoa(Version) {
		return fmt.Errorf("data dir: %s: layout version %q, this phubd understands %d", p, v, Version)
	}
	return nil
}

// StatePath returns the directory of the durable registry (store.Open).
func (d *Dir) StatePath() string { return filepath.Join(d.path, "state") }

// Path returns the directory's path.
func (d *Dir) Path() string { return d.path }

// Close releases the lock. Records stay.
func (d *Dir) Close() error { return d.lock.Close() }

func (d *Dir) recordPath(pid int) string {
	return filepath.Join(d.path, "children", strconv.Itoa(pid)+".json")
}

// Record stores r as children/<pid>.json.
func (d *Dir) Record(r kinds.ProcessRecord) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return writeFile(d.recordPath(r.Pid), append(b, '\n'))
}

// Forget removes the record of pid; a missing record is not an error.
func (d *Dir) Forget(pid int) error {
	if err := os.Remove(d.recordPath(pid)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// Leftovers returns the records found in the directory, sorted by pid:
// the exec children a previous incarnation did not see end. Temporary
// files of interrupted writes are removed. A record that does not parse
// is an error naming its file (remove it by hand after checking).
func (d *Dir) Leftovers() ([]kinds.ProcessRecord, error) {
	dir := filepath.Join(d.path, "children")
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	var out []kinds.ProcessRecord
	for _, e := range ents {
		p := filepath.Join(dir, e.Name())
		if strings.HasSuffix(e.Name(), ".tmp") {
			_ = os.Remove(p)
			continue
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("data dir: %w", err)
		}
		var r kinds.ProcessRecord
		dec := json.NewDecoder(strings.NewReader(string(b)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&r); err != nil {
			return nil, fmt.Errorf("data dir: record %s: %w", p, err)
		}
		if name := strconv.Itoa(r.Pid) + ".json"; r.Pid <= 1 || e.Name() != name {
			return nil, fmt.Errorf("data dir: record %s: pid %d does not match the file name", p, r.Pid)
		}
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Pid < out[j].Pid })
	return out, nil
}

// writeFile writes b to p through a temporary file and a rename, so a
// reader never sees a partial file.
func writeFile(p string, b []byte) error {
	tmp := p + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	if err := os.Rename(tmp, p); err != nil {
		_ = os.Remove(tmp)
		return err
	}
	return nil
}
