package defaults

import (
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Change is one default the engine injects, as a JSON-patch operation tagged with its rule.
type Change struct {
	// Rule is the ID of the rule that made the change.
	Rule string `json:"rule"`
	// Op is the JSON-patch operation: "add" or "replace".
	Op string `json:"op"`
	// Path is the JSON pointer of the changed field.
	Path string `json:"path"`
	// Value is the value written at Path.
	Value any `json:"value"`
	// Message says what was set and why, for admission warnings and CLI output.
	Message string `json:"message"`
}

// Violation is a value that breaks WebSocket traffic. The validating webhook denies it in
// enforce mode and reports it as a warning in warn mode.
type Violation struct {
	Rule string `json:"rule"`
	// Field is the field path, as Kubernetes prints it (spec.template.spec.containers[0].name).
	Field string `json:"field"`
	// Value is the offending value as the user wrote it ("" when the problem is a missing value).
	Value string `json:"value,omitempty"`
	// Reason says why the value breaks WebSockets.
	Reason string `json:"reason"`
	// Fix says what to write instead.
	Fix string `json:"fix"`
}

// Message renders the violation as one sentence that names the field, the reason and the fix.
func (v Violation) Message() string {
	if v.Value != "" {
		return fmt.Sprintf("%s: %q %s; %s", v.Field, v.Value, v.Reason, v.Fix)
	}
	return fmt.Sprintf("%s: %s; %s", v.Field, v.Reason, v.Fix)
}

// Warning is advice that never blocks an object: a setting that does nothing, or a risk the
// engine cannot fix by itself.
type Warning struct {
	Rule    string `json:"rule"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

// Result is what Evaluate found for one object.
type Result struct {
	// WebSocket reports whether the object was recognised as carrying WebSocket traffic.
	// When false, the other fields are empty and Object is the input.
	WebSocket bool
	// Object is the object with Changes applied. It is the input object itself when there
	// are no changes; otherwise a copy, and the input is left as it was.
	Object *unstructured.Unstructured
	// Changes are the defaults to inject, in the order they must be applied.
	Changes []Change
	// Violations are the values that break WebSocket traffic.
	Violations []Violation
	// Warnings are advice that never blocks.
	Warnings []Warning
}

// ChangedBy lists the IDs of the rules that made changes, in order and without repeats.
func (r *Result) ChangedBy() []string {
	var ids []string
	seen := map[string]bool{}
	for _, c := range r.Changes {
		if !seen[c.Rule] {
			seen[c.Rule] = true
			ids = append(ids, c.Rule)
		}
	}
	return ids
}

// How findings are worded to users. The webhooks and the CLI both use these, so that a message
// seen in CI is the message kubectl prints.

// DenialHeader opens the validating webhook's denial; one DenialLine per violation follows.
const DenialHeader = "wsguard: this object would break WebSocket traffic:"

// RuleAppliedRules is the engine's bookkeeping change (AnnotationAppliedRules); it is patched
// like any default but not announced.
const RuleAppliedRules = "applied-rules"

// AdmissionWarning announces an injected default.
func (c Change) AdmissionWarning() string {
	return fmt.Sprintf("wsguard [%s]: %s", c.Rule, c.Message)
}

// AdmissionWarning words a warning, with its field when it has one.
func (w Warning) AdmissionWarning() string {
	if w.Field != "" {
		return fmt.Sprintf("wsguard [%s]: %s: %s", w.Rule, w.Field, w.Message)
	}
	return fmt.Sprintf("wsguard [%s]: %s", w.Rule, w.Message)
}

// DenialLine is the violation as one line of a denial (enforce mode).
func (v Violation) DenialLine() string {
	return fmt.Sprintf("[%s] %s", v.Rule, v.Message())
}

// WarnModeWarning is the violation as an admission warning in warn mode.
func (v Violation) WarnModeWarning() string {
	return fmt.Sprintf("wsguard [%s] (warn mode, would deny): %s", v.Rule, v.Message())
}
