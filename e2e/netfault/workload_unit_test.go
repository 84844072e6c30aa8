package netfault

import (
	"errors"
	"testing"

	"github.com/phub/phub/checks"
)

// TestOutcomeOfAnswers pins how an admin API answer becomes a history
// outcome: only a refusal before anything was applied is a failure;
// everything the client cannot be sure of is unknown.
func TestOutcomeOfAnswers(t *testing.T) {
	for _, tc := range []struct {
		name    string
		dialErr bool
		err     error
		want    checks.Outcome
	}{
		{"ok", false, nil, checks.OutcomeOK},
		{"connection refused", true, errors.New("dial: refused"), checks.OutcomeFailed},
		{"reset mid-request", false, errors.New("read: connection reset"), checks.OutcomeUnknown},
		{"already started", false, &apiError{Status: 409, Code: "already_started"}, checks.OutcomeAlreadyStarted},
		{"not found", false, &apiError{Status: 404, Code: "not_found"}, checks.OutcomeNotFound},
		{"partitioned", false, &apiError{Status: 503, Code: "partitioned"}, checks.OutcomeFailed},
		{"limit exceeded", false, &apiError{Status: 413, Code: "limit_exceeded"}, checks.OutcomeFailed},
		{"too many pending", false, &apiError{Status: 429, Code: "too_many_pending"}, checks.OutcomeFailed},
		{"shutting down (a closing hub answers pending calls so)", false, &apiError{Status: 503, Code: "shutting_down"}, checks.OutcomeUnknown},
		{"rolled back", false, &apiError{Status: 409, Code: "rolled_back"}, checks.OutcomeUnknown},
		{"4xx without a code", false, &apiError{Status: 404}, checks.OutcomeUnknown},
		{"start failed", false, &apiError{Status: 422, Code: "start_failed"}, checks.OutcomeUnknown},
		{"timeout", false, &apiError{Status: 504, Code: "timeout"}, checks.OutcomeUnknown},
		{"node down", false, &apiError{Status: 503, Code: "node_down"}, checks.OutcomeUnknown},
		{"internal error", false, &apiError{Status: 500, Code: "error"}, checks.OutcomeUnknown},
	} {
		if got, _, _ := outcomeOf(tc.dialErr, tc.err, opBody{}); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}
