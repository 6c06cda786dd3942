package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"

	"github.com/wsguard/wsguard/defaults"
)

// The JSON report of `wsguard check -o json`. docs/cli.md documents it field by field. Within
// one ReportAPIVersion fields are only ever added, never renamed or removed; lists are always
// present (empty, never null), so consumers need no null checks.

// ReportAPIVersion and ReportKind identify the schema of the JSON report.
const (
	ReportAPIVersion = "cli.wsguard.io/v1"
	ReportKind       = "CheckReport"
)

// Report is the whole JSON output of `wsguard check -o json`.
type Report struct {
	// APIVersion and Kind are ReportAPIVersion and ReportKind.
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	// Summary counts what the run found.
	Summary Summary `json:"summary"`
	// Objects lists every object that wsguard judged (a kind the engine judges, in a namespace
	// that opted in), in input order, whether or not there is something to report about it.
	Objects []ObjectReport `json:"objects"`
	// Errors lists input that could not be read; any error makes the exit code 2.
	Errors []InputError `json:"errors"`
}

// Summary counts the objects of a run.
type Summary struct {
	// Files counts the files read; SkippedFiles those among them, found in directories, that
	// hold no Kubernetes objects (CI configuration, Helm values) and were left out.
	Files        int `json:"files"`
	SkippedFiles int `json:"skippedFiles"`
	// Objects counts the objects read, of every kind, List items one by one.
	Objects int `json:"objects"`
	// Judged objects are those listed in Report.Objects.
	Judged int `json:"judged"`
	// WebSocket counts the judged objects recognised as carrying WebSocket traffic.
	WebSocket int `json:"websocket"`
	// Changed objects would get at least one default.
	Changed int `json:"changed"`
	// Denied objects have violations in enforce mode: the webhook would refuse them.
	Denied int `json:"denied"`
	// Warned objects have warnings, or violations in warn mode.
	Warned int `json:"warned"`
	// Errors counts the entries of Report.Errors.
	Errors int `json:"errors"`
}

// ObjectReport is what the webhooks would do with one object.
type ObjectReport struct {
	// File, Document, Item and Line say where the object is. Item is the index in the items of
	// a List document, and absent otherwise.
	File     string `json:"file"`
	Document int    `json:"document"`
	Item     *int   `json:"item,omitempty"`
	Line     int    `json:"line"`

	// APIVersion, Kind and Name are as written.
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Name       string `json:"name"`
	// Namespace is the namespace the object was judged in: its own, else -n; "" for neither.
	Namespace string `json:"namespace"`

	// WebSocket reports whether wsguard recognised the object as carrying WebSocket traffic.
	WebSocket bool `json:"websocket"`
	// Reason says why the object was recognised as WebSocket; absent when it was not.
	Reason *defaults.Reason `json:"reason,omitempty"`
	// Hints are weak signs that an object not recognised as WebSocket might be (--explain only).
	Hints []defaults.Hint `json:"hints,omitempty"`
	// Enforcement is the mode of the object's namespace: "enforce" or "warn".
	Enforcement string `json:"enforcement"`
	// Denied is true when the validating webhook would refuse the object.
	Denied bool `json:"denied"`

	// Changes are the defaults the mutating webhook would inject, as a JSON patch (RFC 6902)
	// against the object, each operation tagged with its rule.
	Changes []ChangeReport `json:"changes"`
	// Violations are the values that break WebSocket traffic.
	Violations []ViolationReport `json:"violations"`
	// Warnings are advice that never blocks.
	Warnings []WarningReport `json:"warnings"`
}

// ChangeReport is one JSON-patch operation with the rule that makes it. The path is relative to
// the object, also for an item of a List.
type ChangeReport struct {
	// Op is "add" or "replace"; Path is a JSON pointer (RFC 6901); Value is what is written.
	Op    string `json:"op"`
	Path  string `json:"path"`
	Value any    `json:"value"`
	// Rule is the ID of the rule that makes the change (docs/rules.md).
	Rule string `json:"rule"`
	// Message says what was set and why, as the admission warning does.
	Message string `json:"message"`
}

// ViolationReport is one value that breaks WebSocket traffic.
type ViolationReport struct {
	// Rule is the ID of the rule that found the violation.
	Rule string `json:"rule"`
	// Field is the field path as Kubernetes prints it (spec.ports[0].name).
	Field string `json:"field"`
	// Value is the offending value; absent when the problem is a missing value.
	Value string `json:"value,omitempty"`
	// Reason says why the value breaks WebSockets; Fix says what to write instead.
	Reason string `json:"reason"`
	Fix    string `json:"fix"`
	// Message is the whole sentence, as the webhook's denial words it.
	Message string `json:"message"`
}

// WarningReport is one piece of advice.
type WarningReport struct {
	// Rule is the ID of the rule that gives the advice.
	Rule string `json:"rule"`
	// Field is the field the advice is about; absent when it concerns the whole object.
	Field string `json:"field,omitempty"`
	// Message is the advice.
	Message string `json:"message"`
}

// reportHead is the report of a run without its objects.
func reportHead(r *run) Report {
	rep := Report{APIVersion: ReportAPIVersion, Kind: ReportKind, Summary: r.summary(), Objects: []ObjectReport{}, Errors: []InputError{}}
	for _, e := range r.errors {
		rep.Errors = append(rep.Errors, *e)
	}
	return rep
}

func objectReport(o *object) ObjectReport {
	v := &o.verdict
	or := ObjectReport{
		APIVersion: o.apiVersion, Kind: o.kind, Namespace: v.namespace, Name: o.name,
		WebSocket: v.websocket, Enforcement: string(v.mode), Denied: v.denied(),
		Changes: []ChangeReport{}, Violations: []ViolationReport{}, Warnings: []WarningReport{},
	}
	if o.doc != nil { // nil for an object read from a cluster
		or.File, or.Document, or.Line = o.doc.file.name, o.doc.index, o.doc.contentLine
	}
	if o.item >= 0 {
		item := o.item
		or.Item = &item
	}
	or.Hints = v.hints
	if v.reason.Signal != "" {
		reason := v.reason
		or.Reason = &reason
	}
	for _, c := range v.changes {
		or.Changes = append(or.Changes, ChangeReport{Op: c.Op, Path: c.Path, Value: c.Value, Rule: c.Rule, Message: c.Message})
	}
	for _, x := range v.violations {
		or.Violations = append(or.Violations, ViolationReport{Rule: x.Rule, Field: x.Field(), Value: x.Value, Reason: x.Reason, Fix: x.Fix, Message: x.Message()})
	}
	for _, w := range v.warnings {
		or.Warnings = append(or.Warnings, WarningReport{Rule: w.Rule, Field: w.Field, Message: w.Message})
	}
	return or
}

// writeJSON prints the report, indented for people and diff tools.
func writeJSON(w io.Writer, rep Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(rep)
}

// writeReport prints the report of a run as writeJSON does, byte for byte, one object at a
// time: the report on a large input is many times its size.
func writeReport(w io.Writer, r *run) error {
	var head bytes.Buffer
	if err := writeJSON(&head, reportHead(r)); err != nil {
		return err
	}
	// The objects go into the list the head leaves empty. A newline inside a string is
	// escaped, so this is the report's own field, two spaces in.
	const empty = "\n  \"objects\": []"
	before, after, ok := bytes.Cut(head.Bytes(), []byte(empty))
	if !ok {
		return errors.New("internal error: the JSON report has no objects field; please report this")
	}
	b := bufio.NewWriterSize(w, 64<<10)
	b.Write(before)
	b.WriteString(empty[:len(empty)-1])
	var obj bytes.Buffer
	enc := json.NewEncoder(&obj)
	enc.SetIndent("    ", "  ")
	enc.SetEscapeHTML(false)
	n := 0
	for _, o := range r.objects {
		if !o.verdict.judged {
			continue
		}
		obj.Reset()
		if err := enc.Encode(objectReport(o)); err != nil {
			return err
		}
		if n > 0 {
			b.WriteByte(',')
		}
		b.WriteString("\n    ")
		b.Write(bytes.TrimSuffix(obj.Bytes(), []byte("\n")))
		n++
	}
	if n > 0 {
		b.WriteString("\n  ")
	}
	b.WriteByte(']')
	b.Write(after)
	return b.Flush()
}

// warned reports whether an object has warnings, counting violations in warn mode.
func warned(v *verdict) bool {
	return len(v.warnings) > 0 || (len(v.violations) > 0 && v.mode == defaults.Warn)
}
