package admin

import (
	"context"
	"time"

	"github.com/phub/phub"
	"github.com/phub/phub/core"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// metrics exposes the hub's state in Prometheus' exposition format. Hook
// counts come from hook handlers; the rest is read at scrape time.
type metrics struct {
	reg   *prometheus.Registry
	hooks *prometheus.CounterVec
}

func newMetrics(h *phub.Hub, traffic Traffic) (*metrics, error) {
	m := &metrics{reg: prometheus.NewRegistry()}
	m.hooks = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "phub_hooks_total",
		Help: "Hook events emitted by the core, by hook kind."}, []string{"kind"})
	redist := prometheus.NewCounter(prometheus.CounterOpts{Name: "phub_redistributions_total",
		Help: "Completed redistributions of children after a membership change (post_nodes_redistribution hooks)."})
	migrated := prometheus.NewCounter(prometheus.CounterOpts{Name: "phub_children_migrated_total",
		Help: "Children that migrated away from this node to another (children_migrated hooks, summed over their ids)."})
	for _, k := range core.AllHooks {
		m.hooks.WithLabelValues(string(k))
		kind := k
		if err := h.RegisterHook(kind, "phubd-metrics", func(hk core.Hook) {
			m.hooks.WithLabelValues(string(kind)).Inc()
			switch kind {
			case core.HookPostNodesRedistribution:
				redist.Inc()
			case core.HookChildrenMigrated:
				migrated.Add(float64(len(hk.IDs)))
			}
		}); err != nil {
			return nil, err
		}
	}
	c := &hubCollector{hub: h, traffic: traffic}
	for _, col := range []prometheus.Collector{m.hooks, redist, migrated, c,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})} {
		if err := m.reg.Register(col); err != nil {
			return nil, err
		}
	}
	return m, nil
}

var (
	descLocal       = prometheus.NewDesc("phub_local_children", "Children running on this node.", nil, nil)
	descByNode      = prometheus.NewDesc("phub_registry_children", "Running instances per node in this node's registry replica.", []string{"node"}, nil)
	descEntries     = prometheus.NewDesc("phub_registry_entries", "Live entries in the registry replica.", nil, nil)
	descTombstones  = prometheus.NewDesc("phub_registry_tombstones", "Tombstones (stopped children) in the registry replica.", nil, nil)
	descTable       = prometheus.NewDesc("phub_core_table_size", "Sizes of the core's bounded tables.", []string{"table"}, nil)
	descMembers     = prometheus.NewDesc("phub_members", "Known members by status.", []string{"status"}, nil)
	descPartitioned = prometheus.NewDesc("phub_partitioned", "1 if this node has lost quorum.", nil, nil)
	descDropped     = prometheus.NewDesc("phub_hooks_dropped_total", "Hook events dropped because the hook queue was full.", nil, nil)
	descSent        = prometheus.NewDesc("phub_messages_sent_total", "Peer messages queued for sending, by message kind.", []string{"kind"}, nil)
	descReceived    = prometheus.NewDesc("phub_messages_received_total", "Peer messages received, by message kind.", []string{"kind"}, nil)
	descSendErrors  = prometheus.NewDesc("phub_send_errors_total", "Peer messages the transport refused (unknown peer, full queue).", nil, nil)
	descDigestWait  = prometheus.NewDesc("phub_digest_answers_waited_total", "Mismatching anti-entropy digests whose answer, the whole registry, waited because a large registry had writes in flight (core/syncquiet.go).", nil, nil)
	descDigestForce = prometheus.NewDesc("phub_digest_answers_forced_total", "Waiting digest answers sent because the wait reached its bound (4 sync intervals).", nil, nil)
	descDigestSent  = prometheus.NewDesc("phub_digest_exchanges_total", "Registries sent whole in answer to a mismatching digest, at once or after a wait (forced ones included).", nil, nil)
	descUnsendable  = prometheus.NewDesc("phub_messages_unsendable_total", "Peer messages that cannot be sent at all (frame over the transport's limit, not encodable, invalid); each is also logged at error level.", nil, nil)
)

type hubCollector struct {
	hub     *phub.Hub
	traffic Traffic
}

func (c *hubCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descLocal, descByNode, descEntries, descTombstones, descTable,
		descMembers, descPartitioned, descDropped, descSent, descReceived, descSendErrors, descUnsendable,
		descDigestWait, descDigestForce, descDigestSent} {
		ch <- d
	}
}

func (c *hubCollector) Collect(ch chan<- prometheus.Metric) {
	h := c.hub
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, labels...)
	}
	gauge(descLocal, float64(len(h.WhichChildrenLocal().Children)))
	byNode := map[string]int{}
	for _, m := range h.Members() {
		if m.Status == core.StatusAlive {
			byNode[string(m.Name)] = 0
		}
	}
	for _, e := range h.List() {
		for _, r := range e.Replicas {
			byNode[string(r.Node)]++
		}
	}
	for n, v := range byNode {
		gauge(descByNode, float64(v), n)
	}
	statuses := map[string]int{"alive": 0, "down": 0, "left": 0}
	for _, m := range h.Members() {
		statuses[m.Status.String()]++
	}
	for s, v := range statuses {
		gauge(descMembers, float64(v), s)
	}
	part := 0.0
	if h.Partitioned() {
		part = 1
	}
	gauge(descPartitioned, part)
	counter(descDropped, float64(h.DroppedHooks()))
	counter(descUnsendable, float64(h.UnsendableMessages()))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if st, err := h.Stats(ctx); err == nil {
		gauge(descEntries, float64(st.Entries))
		gauge(descTombstones, float64(st.Tombstones))
		for name, v := range map[string]int{"claims": st.Claims, "members": st.Members, "local": st.Local,
			"pending": st.Pending, "owner_ops": st.OwnerOps, "done": st.Done, "stash": st.Stash, "gossip_refs": st.GossipRefs, "assemblies": st.Assemblies} {
			gauge(descTable, float64(v), name)
		}
		counter(descDigestWait, float64(st.DigestAnswersWaited))
		counter(descDigestForce, float64(st.DigestAnswersForced))
		counter(descDigestSent, float64(st.DigestExchanges))
	}
	if c.traffic != nil {
		sent, recv, errs := c.traffic()
		for k, v := range sent {
			counter(descSent, float64(v), k)
		}
		for k, v := range recv {
			counter(descReceived, float64(v), k)
		}
		counter(descSendErrors, float64(errs))
	}
}
