package kinds

// ProcessRecord identifies one running exec child process well enough to
// kill its process group after the node that started it died, without
// ever killing an unrelated process that reused the pid.
type ProcessRecord struct {
	// Child and Fence say which instance the process runs.
	Child string `json:"child"`
	Fence string `json:"fence"`
	// Epoch and Instance are the instance's fencing epoch and number.
	Epoch    uint64 `json:"epoch"`
	Instance uint64 `json:"instance"`
	// Pid is the process id; it is also the id of the process group the
	// child and everything it spawns run in.
	Pid int `json:"pid"`
	// StartTicks is the process start time (field 22 of /proc/<pid>/stat,
	// clock ticks since boot) and BootID the kernel's boot id: together
	// with Pid they name one process of one boot.
	StartTicks uint64 `json:"start_ticks"`
	BootID     string `json:"boot_id"`
	// Command is the program, for logs.
	Command string `json:"command"`
}

// ProcessJournal durably records the exec children a node runs, so that
// the next incarnation of the node can kill what a crashed one left
// behind (see ReapLeftovers). Record is called right after the process
// started (a start whose record fails is killed and fails); Forget once
// the process and its group are gone. Both are called concurrently for
// different pids.
type ProcessJournal interface {
	Record(ProcessRecord) error
	Forget(pid int) error
}
