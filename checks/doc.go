// Package checks turns a simulated run into verdicts.
//
// The simulator (package sim) records two things and hands them here in
// simulator-agnostic form (plain strings for node and child ids):
//
//   - the client History: every start, stop and owner lookup a client
//     issued, with its call and return instants and its outcome, including
//     requests whose outcome the client never learned (OutcomeUnknown);
//   - the global Truth: every child instance that ever ran (where, when, with
//     which epoch), the live nodes, and what each live node's registry says.
//
// CheckLinearizable checks the History against a sequential model of the
// registry with porcupine, one partition per child id. The invariant checks
// (Singularity, Replication, NoLostChildren, NoResurrection, Convergence,
// EpochsIncrease, Quorum, Bounded) are exact because the Truth is exact; each
// returns a sorted, deterministic list of Violations, empty when the
// guarantee holds. A guarantee of phub is claimed only where one of these
// checks enforces it (see DESIGN.md, "What the checks promise").
//
// Time is virtual: every instant is an int64 count of nanoseconds on the
// simulator's clock, and every interval [Start, End) of an instance is
// half-open. Nothing here reads a clock, except that the porcupine checker's
// timeout is wall-clock time.
package checks
