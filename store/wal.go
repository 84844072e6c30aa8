// Package store keeps a durable node's state on disk: the batches core
// emits in Ready.Persist, appended to a checksummed write-ahead log and
// folded into a snapshot file now and then (etcd's WAL + snap, in small).
//
// Why not bbolt: core already emits a log of deltas and the fold that
// turns them into a state (core.Snapshot.Apply), so a log is the natural
// shape. Appending one record per event-loop batch and syncing it is a
// sequential write and one fsync, where a B+tree rewrites a page per
// touched key and its meta page. And bbolt checksums only its meta pages,
// so a corrupted data page would be served; here every record and the
// snapshot carry a CRC-32C, so a torn final write is dropped and any
// other corruption is reported (core.ErrCorruptSnapshot), never served.
//
// Layout of the directory:
//
//	snap      the folded state: 8-byte header ("PHSN", CRC-32C of the body), JSON body
//	wal       records appended since snap was written: 4-byte length,
//	          4-byte CRC-32C, JSON of one core.PersistBatch
//	snap.tmp  a snapshot being written (ignored and removed at open)
//
// A crash between writing snap and truncating wal replays the whole wal
// on top of the new snapshot, which yields the same state: replaying a
// prefix of batches in order overwrites every key it touches with its
// last value, which the snapshot already holds.
package store

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"

	"github.com/phub/phub/core"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// ErrClosed is returned by Write after Close.
var ErrClosed = errors.New("store closed")

const (
	walName  = "wal"
	snapName = "snap"
	tmpName  = "snap.tmp"
	// maxRecordBytes bounds one record: a larger length in the log can
	// only be corruption.
	maxRecordBytes = 1 << 30
	// compactMinBytes: the log is folded into the snapshot once it is
	// larger than this and than the snapshot.
	compactMinBytes = 8 << 20
)

var snapMagic = [4]byte{'P', 'H', 'S', 'N'}

// WAL is a node's durable state in a directory. It is not safe for
// concurrent use: the runtime's event loop is its only user.
type WAL struct {
	dir      string
	wal      *os.File
	walBytes int64
	// state is everything written so far, folded (for compaction).
	state     *core.Snapshot
	snapBytes int64
	closed    bool
	// noSync skips fsync (benchmarks of the cost of durability only).
	noSync bool
}

// Open returns the store in dir, creating the directory if needed. Load
// must be called before Write.
func Open(dir string) (*WAL, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	_ = os.Remove(filepath.Join(dir, tmpName))
	return &WAL{dir: dir, state: core.NewSnapshot()}, nil
}

// Load reads the state: the snapshot, then the log folded on top. A torn
// last record of the log (a crash in mid-write: it was never synced, so
// never acknowledged) is dropped and the log truncated after the last
// whole record. Any other damage — a record or snapshot whose checksum
// does not match, or that does not decode — returns an error wrapping
// core.ErrCorruptSnapshot, leaving the files untouched for inspection;
// Reset then starts afresh.
func (w *WAL) Load() (*core.Snapshot, error) {
	if w.wal != nil {
		w.wal.Close()
		w.wal = nil
	}
	w.state, w.snapBytes, w.walBytes = core.NewSnapshot(), 0, 0
	if err := w.readSnap(); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(w.dir, walName), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	good, err := w.replay(f)
	if err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Truncate(good); err != nil { // drop a torn tail
		f.Close()
		return nil, fmt.Errorf("store: %w", err)
	}
	if _, err := f.Seek(good, io.SeekStart); err != nil {
		f.Close()
		return nil, fmt.Errorf("store: %w", err)
	}
	w.wal, w.walBytes, w.closed = f, good, false
	return cloneState(w.state), nil
}

// Reset discards the state (after Load reported it corrupt): the damaged
// files are kept beside it with the suffix ".corrupt" for inspection, and
// the store starts empty.
func (w *WAL) Reset() error {
	if w.wal != nil {
		w.wal.Close()
		w.wal = nil
	}
	for _, name := range []string{snapName, walName} {
		p := filepath.Join(w.dir, name)
		if _, err := os.Stat(p); err == nil {
			if err := os.Rename(p, p+".corrupt"); err != nil {
				return fmt.Errorf("store: reset: %w", err)
			}
		}
	}
	if err := syncDir(w.dir); err != nil {
		return err
	}
	_, err := w.Load()
	return err
}

// Dir returns the store's directory.
func (w *WAL) Dir() string { return w.dir }

func (w *WAL) readSnap() error {
	b, err := os.ReadFile(filepath.Join(w.dir, snapName))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("store: reading the snapshot: %w", err)
	}
	if len(b) < 8 || [4]byte(b[:4]) != snapMagic {
		return fmt.Errorf("store: %w: %s has no snapshot header", core.ErrCorruptSnapshot, filepath.Join(w.dir, snapName))
	}
	if crc32.Checksum(b[8:], castagnoli) != binary.BigEndian.Uint32(b[4:8]) {
		return fmt.Errorf("store: %w: snapshot checksum mismatch", core.ErrCorruptSnapshot)
	}
	s := core.NewSnapshot()
	if err := json.Unmarshal(b[8:], s); err != nil {
		return fmt.Errorf("store: %w: snapshot: %v", core.ErrCorruptSnapshot, err)
	}
	if s.Entries == nil {
		s.Entries = map[core.ChildID]core.Entry{}
	}
	if s.Local == nil {
		s.Local = map[core.ChildID]core.PersistedChild{}
	}
	w.state, w.snapBytes = s, int64(len(b))
	return nil
}

// replay folds the log's records into the state and returns the offset
// after the last whole record.
func (w *WAL) replay(f *os.File) (int64, error) {
	info, err := f.Stat()
	if err != nil {
		return 0, fmt.Errorf("store: %w", err)
	}
	size := info.Size()
	r := bufio.NewReaderSize(f, 1<<20)
	var off int64
	var hdr [8]byte
	for {
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return off, nil // end, or a torn header
			}
			return 0, fmt.Errorf("store: reading the log: %w", err)
		}
		n := int64(binary.BigEndian.Uint32(hdr[:4]))
		if n > maxRecordBytes {
			return 0, fmt.Errorf("store: %w: log record at offset %d claims %d bytes", core.ErrCorruptSnapshot, off, n)
		}
		body := make([]byte, n)
		if _, err := io.ReadFull(r, body); err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return off, nil // a torn last record
			}
			return 0, fmt.Errorf("store: reading the log: %w", err)
		}
		end := off + 8 + n
		if crc32.Checksum(body, castagnoli) != binary.BigEndian.Uint32(hdr[4:]) {
			if end == size {
				return off, nil // the last record, torn in mid-write
			}
			return 0, fmt.Errorf("store: %w: log record at offset %d: checksum mismatch", core.ErrCorruptSnapshot, off)
		}
		var b core.PersistBatch
		if err := json.Unmarshal(body, &b); err != nil {
			return 0, fmt.Errorf("store: %w: log record at offset %d: %v", core.ErrCorruptSnapshot, off, err)
		}
		w.state.Apply(&b)
		off = end
	}
}

// Write appends b to the log and syncs it: when Write returns nil, b
// survives a crash. It folds the log into a new snapshot when the log
// has grown past the snapshot. An error leaves the store unusable: the
// caller must stop (what reached the disk is unknown).
func (w *WAL) Write(b *core.PersistBatch) error {
	if w.closed || w.wal == nil {
		return ErrClosed
	}
	if b.Empty() {
		return nil
	}
	body, err := json.Marshal(b)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	rec := make([]byte, 8+len(body))
	binary.BigEndian.PutUint32(rec[:4], uint32(len(body)))
	binary.BigEndian.PutUint32(rec[4:8], crc32.Checksum(body, castagnoli))
	copy(rec[8:], body)
	if _, err := w.wal.Write(rec); err != nil {
		w.closed = true
		return fmt.Errorf("store: appending to the log: %w", err)
	}
	if !w.noSync {
		if err := w.wal.Sync(); err != nil {
			w.closed = true
			return fmt.Errorf("store: syncing the log: %w", err)
		}
	}
	w.walBytes += int64(len(rec))
	w.state.Apply(b)
	if w.walBytes > compactMinBytes && w.walBytes > w.snapBytes {
		if err := w.compact(); err != nil {
			w.closed = true
			return err
		}
	}
	return nil
}

// Compact folds the log into a new snapshot now (Write does it when the
// log outgrows the snapshot).
func (w *WAL) Compact() error {
	if w.closed || w.wal == nil {
		return ErrClosed
	}
	return w.compact()
}

// compact writes the folded state as the new snapshot and empties the log.
func (w *WAL) compact() error {
	body, err := json.Marshal(w.state)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	buf := make([]byte, 8+len(body))
	copy(buf[:4], snapMagic[:])
	binary.BigEndian.PutUint32(buf[4:8], crc32.Checksum(body, castagnoli))
	copy(buf[8:], body)
	tmp := filepath.Join(w.dir, tmpName)
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("store: snapshot: %w", err)
	}
	if _, err := f.Write(buf); err != nil {
		f.Close()
		return fmt.Errorf("store: snapshot: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("store: snapshot: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("store: snapshot: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(w.dir, snapName)); err != nil {
		return fmt.Errorf("store: snapshot: %w", err)
	}
	if err := syncDir(w.dir); err != nil {
		return err
	}
	if err := w.wal.Truncate(0); err != nil {
		return fmt.Errorf("store: truncating the log: %w", err)
	}
	if _, err := w.wal.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	if err := w.wal.Sync(); err != nil {
		return fmt.Errorf("store: truncating the log: %w", err)
	}
	w.walBytes, w.snapBytes = 0, int64(len(buf))
	return nil
}

// Bytes returns the store's size on disk: snapshot plus log.
func (w *WAL) Bytes() int64 { return w.snapBytes + w.walBytes }

// Close closes the log file. Everything Write returned nil for is on disk.
func (w *WAL) Close() error {
	w.closed = true
	f := w.wal
	w.wal = nil
	if f == nil {
		return nil
	}
	return f.Close()
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("store: syncing %s: %w", dir, err)
	}
	return nil
}

func cloneState(s *core.Snapshot) *core.Snapshot {
	c := core.NewSnapshot()
	c.Apply(s.Batch())
	return c
}
