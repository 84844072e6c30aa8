package kinds

// ReapReport says what ReapLeftovers did.
type ReapReport struct {
	// Groups is the number of process groups killed, Processes the number
	// of live processes they held, Killed their records.
	Groups, Processes int
	Killed            []ProcessRecord
	// Stale counts records whose processes were already gone.
	Stale int
}
