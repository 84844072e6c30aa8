package bench

import (
	"bufio"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// processHubTSV is ProcessHub's measured points as shipped with phubd
// (processhub.tsv, which says where they come from).
//
//go:embed processhub.tsv
var processHubTSV string

// ErrReferenceFormat reports a results file of reference points that does
// not follow processhub.tsv's format.
var ErrReferenceFormat = errors.New("bad reference results file")

// RefPoint is one measured point of another library: the median of Figure
// at Children children, in Unit, from the named sitting.
type RefPoint struct {
	Figure   string
	Children int
	Median   float64
	Unit     string
	Sitting  string
}

// refUnits names the figures a results file may hold and the unit of each.
var refUnits = map[string]string{
	"start":          "ms",
	"stop":           "ms",
	"registry":       "B",
	"lookup":         "ns",
	"redistribution": "ms",
}

// maxRefPoints bounds a results file.
const maxRefPoints = 1000

// ProcessHubPoints returns the ProcessHub points shipped with phubd.
func ProcessHubPoints() []RefPoint {
	p, err := ReadRefPoints(strings.NewReader(processHubTSV))
	if err != nil {
		panic("bench: processhub.tsv: " + err.Error()) // TestShippedProcessHubPointsParse
	}
	return p
}

// ReadRefPoints parses a results file: one point per line, tab-separated
// figure, children, median, unit and sitting; blank lines and lines
// starting with # are skipped. A malformed line is an error wrapping
// ErrReferenceFormat that names the line; nothing is returned then.
func ReadRefPoints(r io.Reader) ([]RefPoint, error) {
	var out []RefPoint
	sc := bufio.NewScanner(r)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		bad := func(format string, a ...any) error {
			return fmt.Errorf("%w: line %d: %s", ErrReferenceFormat, line, fmt.Sprintf(format, a...))
		}
		f := strings.Split(text, "\t")
		if len(f) != 5 {
			return nil, bad("%d tab-separated fields, want 5 (figure, children, median, unit, sitting)", len(f))
		}
		unit, known := refUnits[f[0]]
		if !known {
			return nil, bad("unknown figure %q (want start, stop, registry, lookup or redistribution)", f[0])
		}
		n, err := strconv.Atoi(f[1])
		if err != nil || n < 1 {
			return nil, bad("children %q is not a positive integer", f[1])
		}
		v, err := strconv.ParseFloat(f[2], 64)
		if err != nil || v <= 0 || math.IsInf(v, 0) {
			return nil, bad("median %q is not a positive number", f[2])
		}
		if f[3] != unit {
			return nil, bad("unit %q for %s, want %s", f[3], f[0], unit)
		}
		if len(out) == maxRefPoints {
			return nil, bad("more than %d points", maxRefPoints)
		}
		out = append(out, RefPoint{Figure: f[0], Children: n, Median: v, Unit: f[3], Sitting: f[4]})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: line %d: %v", ErrReferenceFormat, line+1, err)
	}
	return out, nil
}

// refSeries draws one figure of the reference points as a series, ordered
// by children; scale converts the file's value to the panel's unit.
func refSeries(points []RefPoint, figure, name, color string, scale func(RefPoint) float64) Series {
	s := Series{Name: name, Color: color, Dashed: true}
	for _, p := range points {
		if p.Figure == figure {
			s.X, s.Y = append(s.X, float64(p.Children)), append(s.Y, scale(p))
		}
	}
	sortSeries(&s)
	return s
}
