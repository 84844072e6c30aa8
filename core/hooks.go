package core

// HookKind names a hook event. The names are ProcessHub's hook keys
// (NOTES.md §2.7); each is emitted as an output event in Ready.Hooks.
type HookKind string

// Hook kinds, in ProcessHub's names.
const (
	HookPreClusterJoin          HookKind = "pre_cluster_join"
	HookPostClusterJoin         HookKind = "post_cluster_join"
	HookPreClusterLeave         HookKind = "pre_cluster_leave"
	HookPostClusterLeave        HookKind = "post_cluster_leave"
	HookRegistryInsert          HookKind = "registry_pid_insert"
	HookRegistryRemove          HookKind = "registry_pid_remove"
	HookChildrenMigrated        HookKind = "children_migrated"
	HookForwardedMigration      HookKind = "forwarded_migration"
	HookPriorityStateUpdated    HookKind = "priority_state_updated"
	HookPreNodesRedistribution  HookKind = "pre_nodes_redistribution"
	HookPostNodesRedistribution HookKind = "post_nodes_redistribution"
	HookPreChildrenStart        HookKind = "pre_children_start"
	HookPostChildrenStart       HookKind = "post_children_start"
	HookPreChildrenRedist       HookKind = "pre_children_redistribution"
	HookCoordinatorShutdown     HookKind = "coordinator_shutdown"
	HookProcessStartups         HookKind = "process_startups"
	HookChildPidUpdate          HookKind = "child_process_pid_update"
)

// AllHooks lists every hook kind in a stable order.
var AllHooks = []HookKind{
	HookPreClusterJoin, HookPostClusterJoin, HookPreClusterLeave, HookPostClusterLeave,
	HookRegistryInsert, HookRegistryRemove, HookChildrenMigrated, HookForwardedMigration,
	HookPriorityStateUpdated, HookPreNodesRedistribution, HookPostNodesRedistribution,
	HookPreChildrenStart, HookPostChildrenStart, HookPreChildrenRedist,
	HookCoordinatorShutdown, HookProcessStartups, HookChildPidUpdate,
}

// Hook is one hook event. Node is the node the event is about (joined,
// left, target of a migration); IDs are the children concerned.
type Hook struct {
	Kind HookKind
	Node NodeID
	IDs  []ChildID
	// Detail carries a short reason (e.g. "up", "down", "partitioned").
	Detail string
}

func (n *Node) hook(kind HookKind, node NodeID, ids []ChildID, detail string) {
	n.out.Hooks = append(n.out.Hooks, Hook{Kind: kind, Node: node, IDs: ids, Detail: detail})
}
