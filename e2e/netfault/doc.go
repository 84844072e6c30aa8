// Package netfault runs real phubd processes in Linux network namespaces
// and injects real network faults: full partitions, majority/minority
// splits, non-transitive cuts, kill -9 and restart, SIGSTOP/SIGCONT of a
// daemon (a paused process), packet loss, an impostor, and links set down.
// Clients record a history through the admin API, which the project's own
// checks judge (porcupine on the registry model), and the OS is asked
// which child processes run (every ~150 ms, from /proc) to count
// duplicates, orphans, lost and resurrected children.
//
// The test needs root and working `ip netns`; it skips with a message
// otherwise. Every namespace it creates is named pnf<pid>... (the prefix is
// PHUB_NETFAULT_NS if set), so parallel runs never collide, and leftovers
// of dead runs are removed at start.
// The default run uses a fixed seed and runs majority quorum and strict
// mode side by side (each cluster in namespaces of its own), 40 s of
// chaos each: about a minute plus the build. PHUB_NETFAULT=long (or a
// chaos duration such as 5m) runs a longer chaos phase with majority
// quorum, strict and divergence; every run prints the per-mode
// reliability table of the README; PHUB_NETFAULT=canfail adds
// the run against a deliberately broken node; PHUB_NETFAULT=off skips;
// PHUB_NETFAULT_FAULTS=kill,split,... picks the fault kinds.
package netfault
