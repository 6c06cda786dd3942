package audit

import (
	"encoding/json"
	"time"

	reportsv1alpha1 "github.com/openreports/reports-api/apis/openreports.io/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/wsguard/wsguard/defaults"
)

// The background audit publishes its findings as OpenReports Reports (openreports.io/v1alpha1,
// the API Kyverno's policy reports moved to and Policy Reporter reads), one per judged object
// with something to say, in the object's namespace, with scope naming the object, as Kyverno
// writes its per-resource reports. docs/audit.md shows one.
const (
	// ReportSource is the source of every report and the policy of every result.
	ReportSource = "wsguard"
	// LabelManagedBy marks wsguard's reports, so that it lists, rewrites and deletes only its own.
	LabelManagedBy   = "app.kubernetes.io/managed-by"
	ManagedByWSGuard = "wsguard"
	// reportNamePrefix keeps wsguard's report of an object apart from other producers' reports
	// about the same object, some of which are named by its UID alone.
	reportNamePrefix = "wsguard-"
	// reportCategory groups wsguard's results in Policy Reporter.
	reportCategory = "WebSocket"
)

// Properties of a result: the field it is about (a JSON pointer for a default, the field path as
// Kubernetes prints it otherwise), what admission would do (an Outcome*), and the value.
const (
	PropertyField   = "field"
	PropertyOutcome = "outcome"
	PropertyValue   = "value"
)

// ReportName is the name of the report about the object with uid.
func ReportName(uid types.UID) string { return reportNamePrefix + string(uid) }

// reportFor is the report about one judged object, or nil when there is nothing to report: an
// object not recognised as WebSocket and without violations. The results say what admission
// would do if the object were applied again now: fail for what it would deny, warn for a
// violation in warn mode, a warning, or a default the stored object lacks, error when the
// engine could not judge it, and one pass for a WebSocket object with nothing to report (so
// that Policy Reporter counts it as checked). Every result carries now as its timestamp.
func reportFor(f Finding, now time.Time) *reportsv1alpha1.Report {
	ts := metav1.Timestamp{Seconds: now.Unix()}
	result := func(rule string, r reportsv1alpha1.Result, sev reportsv1alpha1.ResultSeverity, msg string, props map[string]string) reportsv1alpha1.ReportResult {
		return reportsv1alpha1.ReportResult{
			Source: ReportSource, Policy: ReportSource, Rule: rule, Category: reportCategory,
			Severity: sev, Timestamp: ts, Result: r, Description: msg, Properties: props,
		}
	}
	var results []reportsv1alpha1.ReportResult
	v := &f.Verdict
	switch {
	case f.Err != nil:
		results = append(results, result("", reportsv1alpha1.Result("error"), "", f.Err.Error(), nil))
	case !v.WebSocket && len(v.Violations) == 0:
		return nil
	default:
		for _, x := range v.Violations {
			props := map[string]string{PropertyField: x.Field()}
			if x.Value != "" {
				props[PropertyValue] = x.Value
			}
			if v.Denied() {
				props[PropertyOutcome] = OutcomeDenied
				results = append(results, result(x.Rule, "fail", "high", x.Message(), props))
			} else {
				props[PropertyOutcome] = OutcomeWarned
				results = append(results, result(x.Rule, "warn", "medium", x.Message(), props))
			}
		}
		for _, w := range v.Warnings {
			props := map[string]string{PropertyOutcome: OutcomeWarned}
			if w.Field != "" {
				props[PropertyField] = w.Field
			}
			results = append(results, result(w.Rule, "warn", "low", w.Message, props))
		}
		for _, c := range v.Changes {
			if c.Rule == defaults.RuleAppliedRules {
				continue
			}
			props := map[string]string{PropertyField: c.Path, PropertyOutcome: OutcomeDefaulted}
			if b, err := json.Marshal(c.Value); err == nil {
				props[PropertyValue] = string(b)
			}
			results = append(results, result(c.Rule, "warn", "low", c.Message, props))
		}
		if len(results) == 0 {
			msg := "nothing to default, deny or warn about"
			if s := v.Reason.Sentence(); s != "" {
				msg = s + "; " + msg
			}
			results = append(results, result("", "pass", "", msg, nil))
		}
	}
	obj := f.Object
	r := &reportsv1alpha1.Report{
		TypeMeta: metav1.TypeMeta{APIVersion: reportsv1alpha1.GroupVersion.String(), Kind: "Report"},
		ObjectMeta: metav1.ObjectMeta{
			Name:      ReportName(obj.GetUID()),
			Namespace: obj.GetNamespace(),
			Labels:    map[string]string{LabelManagedBy: ManagedByWSGuard},
			// The garbage collector deletes the report with its object; the next audit deletes
			// it too, where no garbage collector runs.
			OwnerReferences: []metav1.OwnerReference{{
				APIVersion: obj.GetAPIVersion(), Kind: obj.GetKind(), Name: obj.GetName(), UID: obj.GetUID(),
			}},
		},
		Source: ReportSource,
		Scope: &corev1.ObjectReference{
			APIVersion: obj.GetAPIVersion(), Kind: obj.GetKind(), Namespace: obj.GetNamespace(), Name: obj.GetName(), UID: obj.GetUID(),
		},
		Results: results,
	}
	for _, x := range results {
		switch x.Result {
		case "pass":
			r.Summary.Pass++
		case "fail":
			r.Summary.Fail++
		case "warn":
			r.Summary.Warn++
		case "error":
			r.Summary.Error++
		case "skip":
			r.Summary.Skip++
		}
	}
	return r
}
