package cli

import (
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/wsguard/wsguard/defaults"
)

// verdict is what the webhook would do with one object.
type verdict struct {
	// judged is true for objects of a kind the engine judges, in a namespace that the webhook
	// configurations intercept and that opted in.
	judged bool
	// namespace is the namespace the object was judged in ("" when it names none and -n is
	// not given).
	namespace string
	websocket bool
	// reason says why the object was recognised as WebSocket.
	reason defaults.Reason
	// hints are weak signs that an object not recognised as WebSocket might be (--explain).
	hints []defaults.Hint
	mode  defaults.Enforcement
	// changes are the defaults the mutating webhook would inject.
	changes []defaults.Change
	// violations and warnings are what the validating webhook would find in the object with the
	// defaults applied.
	violations []defaults.Violation
	warnings   []defaults.Warning
	// fixed is the object with the changes applied.
	fixed *unstructured.Unstructured
	// err reports a panic of the engine: a bug, reported as an error instead of a crash.
	err *InputError
}

// denied reports whether the validating webhook would deny the object.
func (v *verdict) denied() bool {
	return len(v.violations) > 0 && v.mode == defaults.Enforce
}

// reportable reports whether there is anything to say about the object.
func (v *verdict) reportable() bool {
	return len(v.changes) > 0 || len(v.violations) > 0 || len(v.warnings) > 0
}

// judgeOne fills in an object's verdict the way the two webhooks decide in sequence: the
// mutating one evaluates the object as written and injects the changes; the validating one
// evaluates the result and denies or warns. The engine is idempotent, so the second evaluation
// only differs from the first in what the defaults fixed. judgeOne only writes o.verdict, so it
// runs for many objects at once.
func judgeOne(o *object, facts *factIndex, policy defaults.Policy, explain bool) {
	v := &o.verdict
	v.fixed = o.obj
	defer func() {
		// The webhook recovers from a panic in the engine too (WithRecoverPanic); here one
		// object must not take down the report on ten thousand.
		if p := recover(); p != nil {
			*v = verdict{fixed: o.obj, err: &InputError{File: o.doc.file.name, Document: o.doc.index, Line: o.doc.contentLine,
				Message: fmt.Sprintf("internal error while judging %s %s: %v; please report this", o.obj.GetKind(), o.obj.GetName(), p)}}
		}
	}()
	if !defaults.Supports(o.obj.GroupVersionKind().GroupKind()) {
		return
	}
	v.namespace = facts.namespaceOf(o.obj)
	ns := facts.namespace(v.namespace)
	if excludedNamespaces[v.namespace] || !defaults.OptedIn(ns) {
		return
	}
	v.judged = true
	f := facts.factsFor(v.namespace, o.obj.GroupVersionKind())
	// What the two webhooks would do, in sequence: the same verdict check --cluster and the
	// background audit give (defaults.Judge).
	jv := defaults.Judge(o.obj, policy, f)
	v.mode, v.websocket, v.reason = jv.Mode, jv.WebSocket, jv.Reason
	v.changes, v.fixed = jv.Changes, jv.Fixed
	v.violations, v.warnings = jv.Violations, jv.Warnings
	if explain && !jv.WebSocket {
		v.hints = defaults.Hints(o.obj)
	}
}
