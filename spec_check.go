package phub

import (
	"errors"
	"fmt"

	"github.com/phub/phub/core"
)

// checkSpecs refuses, at the node that receives a start, what can start
// nowhere: a spec whose kind has no factory in Config.Kinds, or one its
// kind's factory rejects as invalid (an error wrapping ErrInvalidSpec,
// e.g. an exec command not found in PATH). Other factory errors are left
// to the node that starts the child, where they are ErrStartFailed.
func (h *Hub) checkSpecs(specs []core.ChildSpec) error {
	for _, s := range specs {
		f, ok := h.cfg.Kinds[s.Kind]
		if !ok {
			return fmt.Errorf("%w: child %q: %w %q", ErrInvalidSpec, s.ID, ErrUnknownKind, s.Kind)
		}
		if _, err := safeFactory(f, s); err != nil && errors.Is(err, ErrInvalidSpec) {
			return err
		}
	}
	return nil
}
