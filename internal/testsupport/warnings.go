package testsupport

import "sync"

// WarningRecorder keeps the admission warnings the API server passes on, as kubectl prints
// them. Set it as a rest.Config's WarningHandler; it is safe for concurrent use.
type WarningRecorder struct {
	mu   sync.Mutex
	list []string
}

// HandleWarningHeader records one warning (client-go's rest.WarningHandler).
func (w *WarningRecorder) HandleWarningHeader(_ int, _ string, text string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.list = append(w.list, text)
}

// Take returns and forgets the warnings recorded so far.
func (w *WarningRecorder) Take() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	l := w.list
	w.list = nil
	return l
}
