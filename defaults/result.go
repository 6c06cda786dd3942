package defaults

import (
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/validation/field"
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
// enforce mode and reports it as a warning in warn mode. It is a Kubernetes field error (a type
// and a path) whose detail is wsguard's: the value, why it breaks WebSockets, and the fix.
type Violation struct {
	Rule string
	// Type is the field error type: FieldValueInvalid, FieldValueRequired (the problem is a
	// missing value) or FieldValueNotSupported (a value from a set that cannot carry WebSockets).
	Type field.ErrorType
	// Path is the offending field; nil when the object as a whole cannot be read.
	Path *field.Path
	// Value is the offending value as the user wrote it ("" when the problem is a missing value).
	Value string
	// Reason says why the value breaks WebSockets.
	Reason string
	// Fix says what to write instead.
	Fix string
}

// Field is the field path as Kubernetes prints it (spec.template.spec.containers[0].name).
func (v Violation) Field() string {
	if v.Path == nil {
		return "<object>"
	}
	return v.Path.String()
}

// Detail is the violation without its field: the value, the reason and the fix.
func (v Violation) Detail() string {
	if v.Value != "" {
		return fmt.Sprintf("%q %s; %s", v.Value, v.Reason, v.Fix)
	}
	return fmt.Sprintf("%s; %s", v.Reason, v.Fix)
}

// Message renders the violation as one sentence that names the field, the reason and the fix.
func (v Violation) Message() string {
	return v.Field() + ": " + v.Detail()
}

// FieldError is the violation as a Kubernetes field error. Its detail names the rule once, for
// wsguard.io/skip-rules, and does not repeat the field, which clients print beside it.
func (v Violation) FieldError() *field.Error {
	return &field.Error{Type: v.Type, Field: v.Field(), BadValue: v.Value, Detail: fmt.Sprintf("[%s] %s", v.Rule, v.Detail())}
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
	// When false, the other fields are empty and Object is the input, except for an object
	// opted out with wsguard.io/websocket: "false": its Changes take back the values wsguard
	// had injected (see AnnotationDefaults).
	WebSocket bool
	// Reason says why the object was recognised as WebSocket (empty when it was not).
	Reason Reason
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
