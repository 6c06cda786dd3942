package defaults

import (
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Verdict is what wsguard's two webhooks do, in sequence, with one object of an opted-in
// namespace: the mutating one injects Changes, the validating one judges the object with them
// and denies (Mode Enforce) or warns about its Violations.
type Verdict struct {
	// WebSocket reports whether the object was recognised as carrying WebSocket traffic.
	WebSocket bool
	// Reason says why (empty when it was not).
	Reason Reason
	// Mode is what violations do in the object's namespace.
	Mode Enforcement
	// Changes are the defaults the mutating webhook injects, without its record of them
	// (AnnotationDefaults): that record is bookkeeping, not a finding.
	Changes []Change
	// Violations and Warnings are what the validating webhook finds in the object with the
	// Changes applied.
	Violations []Violation
	Warnings   []Warning
	// Fixed is the object with the Changes applied (the input itself when there are none).
	Fixed *unstructured.Unstructured
}

// Denied reports whether the validating webhook refuses the object.
func (v *Verdict) Denied() bool {
	return len(v.Violations) > 0 && v.Mode == Enforce
}

// Judge decides what the webhooks do with obj, admitted into facts.Namespace, which the caller
// has found opted in. The mutating webhook evaluates the object as given and injects the
// changes; the validating one evaluates the result. The engine is idempotent, so the second
// evaluation only differs from the first in what the defaults fixed. An object stored by the API
// server after wsguard defaulted it carries its defaults and their record, so it gets no
// Changes for them again.
//
// `wsguard check` on manifests and on a cluster (package audit) judge through this.
func Judge(obj *unstructured.Unstructured, policy Policy, facts Facts) Verdict {
	v := Verdict{Fixed: obj}
	mutated := Evaluate(obj, policy, facts)
	v.Mode = EnforcementFor(policy, facts.Namespace, mutated)
	if !mutated.WebSocket && len(mutated.Violations) == 0 {
		return v // both webhooks allow the object untouched
	}
	v.Changes, v.Fixed = withoutDefaultsRecord(obj, mutated)
	validated := mutated
	if len(mutated.Changes) > 0 {
		validated = Evaluate(mutated.Object, policy, facts)
	}
	v.WebSocket = mutated.WebSocket || validated.WebSocket
	v.Reason = mutated.Reason
	if v.Reason.Signal == "" {
		v.Reason = validated.Reason
	}
	if !validated.WebSocket && len(validated.Violations) == 0 {
		return v
	}
	v.Violations = validated.Violations
	v.Warnings = validated.Warnings
	return v
}

// defaultsRecordPointer is where the mutating webhook records the values it injected.
var defaultsRecordPointer = JSONPointer([]string{"metadata", "annotations", AnnotationDefaults})

// withoutDefaultsRecord drops the change to the record of injected values (AnnotationDefaults)
// from a result's changes, and keeps the input's record in the fixed object. The record tells
// wsguard's defaults from the user's values on later admissions; it is not something to report
// or to write into a manifest.
func withoutDefaultsRecord(in *unstructured.Unstructured, res Result) ([]Change, *unstructured.Unstructured) {
	var changes []Change
	for _, c := range res.Changes {
		if c.Path != defaultsRecordPointer {
			changes = append(changes, c)
		}
	}
	if len(changes) == len(res.Changes) {
		return res.Changes, res.Object
	}
	fixed := res.Object.DeepCopy()
	annotations := fixed.GetAnnotations()
	if v, ok := in.GetAnnotations()[AnnotationDefaults]; ok {
		annotations[AnnotationDefaults] = v
	} else {
		delete(annotations, AnnotationDefaults)
	}
	fixed.SetAnnotations(annotations)
	if len(changes) == 0 {
		return nil, in
	}
	return changes, fixed
}
