package netfault

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// netTopo is the test's network. One namespace holds a bridge; each node
// has its own namespace with eth0 (10.213.0.(11+i)/24) plugged into the
// bridge through a veth. Every bridge port shares one tc filter block on
// its ingress, and packets the block's filters redirect to the veth "bh",
// which is never set up, are dropped. A fault's filters are added in one
// `tc -batch` and the heal deletes the whole block in one command, so no
// partial (non-transitive) topology exists while a fault is put in place
// or healed. Only these namespaces are touched; the host's network is left
// alone.
type netTopo struct {
	prefix string // "pnf<pid>m<k>" (nsPrefix, the test process, the k-th topology of the process)
	bridge string
	nodes  []*nodeNet // the cluster's nodes, then the spare namespaces
}

// nodeNet is one node's namespace.
type nodeNet struct {
	ns    string
	ip    string
	fd    *os.File // /run/netns/<ns>, entered to dial the node's admin API
	inode uint64   // the namespace's inode: maps a /proc process to its node
}

// ipCmd runs ip or tc and returns its combined output in the error.
func ipCmd(name string, args ...string) error {
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %v: %s", name, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// requireNetns skips the test unless it runs as root with working
// network namespaces, ip and tc.
func requireNetns(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("netfault: starts real processes in network namespaces (not in -short)")
	}
	if os.Geteuid() != 0 {
		t.Skip("netfault: needs root for network namespaces (CI runs as root)")
	}
	for _, tool := range []string{"ip", "tc"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("netfault: %s not installed: %v", tool, err)
		}
	}
	if _, err := nsPrefix(); err != nil {
		t.Fatal(err)
	}
	probe := fmt.Sprintf("%s%dprobe", mustNSPrefix(), os.Getpid())
	if err := ipCmd("ip", "netns", "add", probe); err != nil {
		t.Skipf("netfault: ip netns add does not work here: %v", err)
	}
	_ = ipCmd("ip", "netns", "del", probe)
}

var staleNS = regexp.MustCompile(`^([a-z]+?)(\d+)(?:m\d+)?(b|n\d+|probe)$`)

// nsPrefix is the prefix of every namespace a run creates: "pnf", or
// PHUB_NETFAULT_NS (1 to 6 lower-case letters), so that people sharing a
// machine can tell their namespaces apart.
func nsPrefix() (string, error) {
	v := os.Getenv("PHUB_NETFAULT_NS")
	if v == "" {
		return "pnf", nil
	}
	if !regexp.MustCompile(`^[a-z]{1,6}$`).MatchString(v) {
		return "", fmt.Errorf("PHUB_NETFAULT_NS=%q: want 1 to 6 lower-case letters", v)
	}
	return v, nil
}

func mustNSPrefix() string {
	p, err := nsPrefix()
	if err != nil {
		panic(err) // requireNetns has refused it already
	}
	return p
}

// removeStale deletes <prefix><pid>* namespaces of test processes that no longer
// run, after killing what still runs inside them.
func removeStale(t *testing.T) {
	out, err := exec.Command("ip", "netns", "list").Output()
	if err != nil {
		return
	}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		m := staleNS.FindStringSubmatch(f[0])
		if m == nil || m[1] != mustNSPrefix() {
			continue
		}
		pid, _ := strconv.Atoi(m[2])
		if pid == os.Getpid() || testProcessAlive(pid) {
			continue
		}
		killNamespace(f[0])
		if err := ipCmd("ip", "netns", "del", f[0]); err != nil {
			t.Logf("netfault: stale namespace %s: %v", f[0], err)
		} else {
			t.Logf("netfault: removed stale namespace %s of dead test process %d", f[0], pid)
		}
	}
}

// testProcessAlive reports whether pid is a running Go test binary (so a
// reused pid of an unrelated process does not protect stale namespaces).
func testProcessAlive(pid int) bool {
	comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	return err == nil && strings.HasSuffix(strings.TrimSpace(string(comm)), ".test")
}

// killNamespace SIGKILLs every process inside the namespace.
func killNamespace(ns string) {
	out, _ := exec.Command("ip", "netns", "pids", ns).Output()
	for _, f := range strings.Fields(string(out)) {
		if pid, err := strconv.Atoi(f); err == nil && pid > 1 {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// topologies numbers the topologies of this test process, so clusters
// that run side by side have namespaces of their own.
var topologies atomic.Int64

// newTopology builds the bridge and n node namespaces (the cluster's
// nodes and spares, e.g. for an impostor with a duplicate name) and registers
// their removal (with every process left inside) as a cleanup.
func newTopology(t *testing.T, n int) *netTopo {
	t.Helper()
	removeStale(t)
	nt := &netTopo{prefix: fmt.Sprintf("%s%dm%d", mustNSPrefix(), os.Getpid(), topologies.Add(1))}
	nt.bridge = nt.prefix + "b"
	t.Cleanup(nt.remove)
	must := func(name string, args ...string) {
		t.Helper()
		if err := ipCmd(name, args...); err != nil {
			t.Fatalf("netfault: topology: %v", err)
		}
	}
	must("ip", "netns", "add", nt.bridge)
	must("ip", "-n", nt.bridge, "link", "add", "br0", "type", "bridge")
	must("ip", "-n", nt.bridge, "link", "set", "br0", "up")
	must("ip", "-n", nt.bridge, "link", "add", "bh", "type", "veth", "peer", "name", "bhp")
	for i := 0; i < n; i++ {
		nn := &nodeNet{ns: fmt.Sprintf("%sn%d", nt.prefix, i+1), ip: fmt.Sprintf("10.213.0.%d", 11+i)}
		nt.nodes = append(nt.nodes, nn)
		veth := fmt.Sprintf("v%d", i+1)
		must("ip", "netns", "add", nn.ns)
		must("ip", "-n", nn.ns, "link", "set", "lo", "up")
		must("ip", "-n", nt.bridge, "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", nn.ns)
		must("ip", "-n", nt.bridge, "link", "set", veth, "master", "br0", "up")
		must("tc", "-n", nt.bridge, "qdisc", "add", "dev", veth, "ingress_block", filterBlock, "clsact")
		must("ip", "-n", nn.ns, "addr", "add", nn.ip+"/24", "dev", "eth0")
		must("ip", "-n", nn.ns, "link", "set", "eth0", "up")
		f, err := os.Open("/run/netns/" + nn.ns)
		if err != nil {
			t.Fatalf("netfault: %v", err)
		}
		nn.fd = f
		var st syscall.Stat_t
		if err := syscall.Fstat(int(f.Fd()), &st); err != nil {
			t.Fatalf("netfault: stat %s: %v", nn.ns, err)
		}
		nn.inode = st.Ino
	}
	return nt
}

// remove kills every process in the namespaces and deletes them.
func (nt *netTopo) remove() {
	for _, nn := range nt.nodes {
		killNamespace(nn.ns)
		if nn.fd != nil {
			nn.fd.Close()
		}
		_ = ipCmd("ip", "netns", "del", nn.ns)
	}
	_ = ipCmd("ip", "netns", "del", nt.bridge)
}

// filterBlock is the tc block shared by every bridge port's ingress.
const filterBlock = "1"

// cutRules returns the filters that drop every IP packet between nodes a
// and b, both ways.
func (nt *netTopo) cutRules(a, b int) []string {
	var out []string
	for _, p := range [][2]int{{a, b}, {b, a}} {
		out = append(out, fmt.Sprintf("filter add block %s protocol ip prio 1 u32 match ip src %s/32 match ip dst %s/32 action mirred egress redirect dev bh",
			filterBlock, nt.nodes[p[0]].ip, nt.nodes[p[1]].ip))
	}
	return out
}

// lossRule drops about one IP packet in eight crossing the bridge: those
// whose IP ID ends in binary 111. The kernel here has no netem or gact,
// but Linux numbers a connected socket's packets sequentially, so this is
// a steady 12.5% loss in which a retransmission (a new ID) usually passes;
// unconnected packets (SYN-ACK, RST) carry ID 0 and always pass.
func lossRule() string {
	return "filter add block " + filterBlock + " protocol ip prio 2 u32 match u16 0x0007 0x0007 at 4 action mirred egress redirect dev bh"
}

// apply adds the filters in one tc process.
func (nt *netTopo) apply(rules []string) error {
	cmd := exec.Command("tc", "-n", nt.bridge, "-batch", "-")
	cmd.Stdin = strings.NewReader(strings.Join(rules, "\n") + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("tc -batch %q: %v: %s", rules, err, strings.TrimSpace(string(out)))
	}
	return nil
}

// setLink sets node i's eth0 up or down.
func (nt *netTopo) setLink(i int, up bool) error {
	state := "down"
	if up {
		state = "up"
	}
	return ipCmd("ip", "-n", nt.nodes[i].ns, "link", "set", "eth0", state)
}

// healAll removes every filter at once, then sets every link up.
func (nt *netTopo) healAll() error {
	if err := ipCmd("tc", "-n", nt.bridge, "filter", "del", "block", filterBlock); err != nil {
		return err
	}
	for i := range nt.nodes {
		if err := nt.setLink(i, true); err != nil {
			return err
		}
	}
	return nil
}

// nodeOf returns the index of the node whose namespace has inode ino, or -1.
func (nt *netTopo) nodeOf(ino uint64) int {
	for i, nn := range nt.nodes {
		if nn.inode == ino {
			return i
		}
	}
	return -1
}

// dial opens a TCP connection from inside the node's namespace: the
// admin API listens on the namespace's loopback, which partitions and
// link faults never touch, so clients always reach it. The socket is
// created on a thread that entered the namespace; if the thread cannot
// return to the host namespace it stays locked and dies with its
// goroutine.
func (nn *nodeNet) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	type result struct {
		c   net.Conn
		err error
	}
	ch := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		host, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			runtime.UnlockOSThread()
			ch <- result{nil, err}
			return
		}
		defer host.Close()
		if err := unix.Setns(int(nn.fd.Fd()), unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			ch <- result{nil, fmt.Errorf("setns %s: %w", nn.ns, err)}
			return
		}
		var d net.Dialer
		c, err := d.DialContext(ctx, network, addr)
		if unix.Setns(int(host.Fd()), unix.CLONE_NEWNET) == nil {
			runtime.UnlockOSThread()
		}
		ch <- result{c, err}
	}()
	r := <-ch
	return r.c, r.err
}
