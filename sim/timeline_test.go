package sim

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/phub/phub/checks"
	"github.com/phub/phub/core"
)

// crashSeed finds a crash-class seed whose run really crashed a node.
func crashSeed(t *testing.T) uint64 {
	t.Helper()
	for seed := uint64(1); seed <= 20; seed++ {
		if Draw(ClassCrash, seed).Faults >= 2 {
			return seed
		}
	}
	return 1
}

func TestWriteTimeline(t *testing.T) {
	seed := crashSeed(t)
	res, s := RunSeedSim(ClassCrash, seed, Options{Record: true})
	dir := t.TempDir()
	paths, err := s.WriteArtifacts(dir, &res.Lin)
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) < 2 {
		t.Fatalf("paths %v", paths)
	}
	trace, err := os.ReadFile(filepath.Join(dir, "trace.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if traceHashOf(trace) != res.Hash {
		t.Fatalf("trace.txt hash %x, run hash %x", traceHashOf(trace), res.Hash)
	}
	b, err := os.ReadFile(filepath.Join(dir, "timeline.html"))
	if err != nil {
		t.Fatal(err)
	}
	page := string(b)
	for _, n := range s.NodeNames() {
		if !strings.Contains(page, `font-weight="bold" style="font-size:13px">`+string(n)+`</text>`) {
			t.Errorf("no lane label for %s", n)
		}
	}
	if got := strings.Count(page, `style="font-size:13px"`); got != len(s.NodeNames()) {
		t.Errorf("%d lanes, want %d", got, len(s.NodeNames()))
	}
	if !strings.Contains(page, `class="arr"`) || !strings.Contains(page, "marker-end=") {
		t.Error("no message arrow")
	}
	if !strings.Contains(page, "✖ crashed") || !strings.Contains(page, `fill="#e40000"`) {
		t.Error("no crash shading")
	}
	if !strings.Contains(page, `<g class="ib"><title>instance`) {
		t.Error("no instance bar")
	}
	if !regexp.MustCompile(`>c\d+ e\d+</text>`).MatchString(page) {
		t.Error("no instance bar label \"id e<epoch>\"")
	}
	for _, bad := range []string{"<script src", "<link ", "http://", "https://"} {
		if strings.Contains(strings.ReplaceAll(page, `xmlns="http://www.w3.org/2000/svg"`, ""), bad) {
			t.Errorf("page references an external resource (%q)", bad)
		}
	}
}

func TestTimelinePartitionAndCap(t *testing.T) {
	s := New(Options{Seed: 3, Record: true})
	for i := 1; i <= 3; i++ {
		s.AddNode(nodeName(i))
	}
	s.RunFor(2 * time.Second)
	s.Partition(s.NodeNames()[:1], s.NodeNames()[1:])
	s.RunFor(time.Second)
	s.Heal()
	s.Cut("n1", "n3")
	s.RunFor(time.Second)
	s.Heal()
	s.Leave("n2")
	s.RunFor(2 * time.Second)
	old := MaxTimelineArrows
	MaxTimelineArrows = 50
	defer func() { MaxTimelineArrows = old }()
	var b bytes.Buffer
	if err := WriteTimeline(&b, "cap", s.Recorded(), s.Instances(), s.NodeNames()); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	if got := strings.Count(page, `class="arr"`); got != 50 {
		t.Errorf("%d arrows drawn, want the cap 50", got)
	}
	if !strings.Contains(page, "arrows omitted") {
		t.Error("page does not say arrows were omitted")
	}
	for _, want := range []string{"partition [n1]|[n2 n3]", "cut n1–n3", ">left</text>", "leaving"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
}

func TestSampleArrowsHeartbeatsFirst(t *testing.T) {
	var evs []TraceEvent
	for i := 0; i < 100; i++ {
		evs = append(evs, TraceEvent{Kind: "recv", Msg: "heartbeat"})
		if i%4 == 0 {
			evs = append(evs, TraceEvent{Kind: "recv", Msg: "replicate"})
		}
	}
	got := sampleArrows(evs, 40)
	other := 0
	for _, ev := range got {
		if ev.Msg != "heartbeat" {
			other++
		}
	}
	if len(got) != 40 || other != 25 {
		t.Fatalf("kept %d arrows, %d non-heartbeats; want 40 and all 25", len(got), other)
	}
	if got := sampleArrows(evs[:10], 40); len(got) != 10 {
		t.Fatalf("kept %d of 10", len(got))
	}
	if got := sampleArrows(evs, 10); len(got) != 10 || got[0].Msg == "heartbeat" && got[1].Msg == "heartbeat" {
		t.Fatalf("kept %d", len(got))
	}
}

// TestTimelineScreenshot renders a crash-class timeline with headless
// chromium (skipped when /usr/bin/chromium is missing) and leaves the PNG
// in PHUB_SCREENSHOT_DIR when set, for a human look.
func TestTimelineScreenshot(t *testing.T) {
	const chromium = "/usr/bin/chromium"
	if _, err := os.Stat(chromium); err != nil {
		t.Skip("chromium not installed")
	}
	dir := t.TempDir()
	if d := os.Getenv("PHUB_SCREENSHOT_DIR"); d != "" {
		dir = d
	}
	res, s := RunSeedSim(ClassCrash, crashSeed(t), Options{Record: true})
	if _, err := s.WriteArtifacts(dir, &res.Lin); err != nil {
		t.Fatal(err)
	}
	png := filepath.Join(dir, "timeline.png")
	os.Remove(png)
	cmd := exec.Command(chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir="+t.TempDir(), "--screenshot="+png, "--window-size=1600,900",
		"file://"+filepath.Join(dir, "timeline.html"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("chromium: %v\n%s", err, out)
	}
	st, err := os.Stat(png)
	if err != nil || st.Size() < 10000 {
		t.Fatalf("screenshot missing or tiny: %v %v\n%s", st, err, out)
	}
	t.Logf("screenshot %s (%d bytes)", png, st.Size())
}

var _ = checks.LinOk

// TestTimelineModelFromStructuredEvents: the timeline is laid out from the
// events' fields, not their text: a cut shades both ends' lanes until the
// heal, a failed reply is marked as an error, a crash is shaded until the
// next boot, and lanes follow the given node order.
func TestTimelineModelFromStructuredEvents(t *testing.T) {
	evs := []TraceEvent{
		{At: 1e9, Kind: "boot", Node: "a", Text: "unparseable"},
		{At: 1e9, Kind: "boot", Node: "b"},
		{At: 2e9, Kind: "cut", Node: "a", Peer: "b", Text: "-"},
		{At: 3e9, Kind: "reply", Node: "a", Failed: true, Text: "err=<nil>"},
		{At: 3e9, Kind: "crash", Node: "b"},
		{At: 4e9, Kind: "heal"},
		{At: 5e9, Kind: "boot", Node: "b"},
	}
	tl := buildTimeline(evs, nil, []core.NodeID{"b", "a"})
	if tl.laneList[0].node != "b" || tl.laneList[1].node != "a" {
		t.Fatalf("lanes %s, %s; want b, a", tl.laneList[0].node, tl.laneList[1].node)
	}
	for _, n := range []string{"a", "b"} {
		if c := tl.cuts[n]; len(c) != 1 || c[0].start != 2e9 || c[0].end != 4e9 {
			t.Fatalf("cut spans of %s: %+v, want one from 2s to 4s", n, c)
		}
	}
	if c := tl.crashes["b"]; len(c) != 1 || c[0].start != 3e9 || c[0].end != 5e9 {
		t.Fatalf("crash spans of b: %+v, want one from 3s to 5s", c)
	}
	var kinds []string
	for _, m := range tl.markers {
		kinds = append(kinds, m.kind)
	}
	if !slices.Contains(kinds, "reply-err") || slices.Contains(kinds, "reply") {
		t.Fatalf("markers %v: the failed reply must be marked reply-err", kinds)
	}
}
