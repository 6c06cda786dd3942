package audit

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr/funcr"
	"github.com/google/go-cmp/cmp"
	reportsv1alpha1 "github.com/openreports/reports-api/apis/openreports.io/v1alpha1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/wsguard/wsguard/defaults"
)

func judgedService() *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetAPIVersion("v1")
	u.SetKind("Service")
	u.SetNamespace("team")
	u.SetName("chat")
	u.SetUID("1234")
	return u
}

// TestReportFor: what admission would deny fails, warnings and the defaults a stored object
// lacks warn, an engine error is an error, a WebSocket object with nothing to report passes, and
// an object that is not WebSocket gets no report.
func TestReportFor(t *testing.T) {
	now := time.Unix(1700000000, 0)
	violation := defaults.Violation{Rule: "service-http2-port", Type: field.ErrorTypeInvalid, Path: field.NewPath("spec", "ports").Index(0).Child("appProtocol"), Value: "kubernetes.io/h2c", Reason: "breaks", Fix: "remove it"}
	for _, tc := range []struct {
		name    string
		finding Finding
		want    []reportsv1alpha1.ReportResult // nil: no report
		summary reportsv1alpha1.ReportSummary
	}{{
		name:    "not WebSocket",
		finding: Finding{Verdict: defaults.Verdict{Mode: defaults.Enforce}},
	}, {
		name:    "WebSocket, nothing to report",
		finding: Finding{Verdict: defaults.Verdict{WebSocket: true, Reason: defaults.Reason{Detail: "it says so"}}},
		want:    []reportsv1alpha1.ReportResult{{Result: "pass", Description: "recognised as WebSocket because it says so; nothing to default, deny or warn about"}},
		summary: reportsv1alpha1.ReportSummary{Pass: 1},
	}, {
		name: "enforce: denied, warned, defaulted",
		finding: Finding{Verdict: defaults.Verdict{
			WebSocket: true, Mode: defaults.Enforce,
			Violations: []defaults.Violation{violation},
			Warnings:   []defaults.Warning{{Rule: "service-workloads-without-defaults", Message: "no workload"}},
			Changes: []defaults.Change{
				{Rule: "service-session-affinity", Op: "add", Path: "/spec/sessionAffinity", Value: "ClientIP", Message: "set affinity"},
				{Rule: defaults.RuleAppliedRules, Op: "add", Path: "/metadata/annotations/x", Value: "y"},
			},
		}},
		want: []reportsv1alpha1.ReportResult{
			{Rule: "service-http2-port", Result: "fail", Severity: "high", Description: violation.Message(),
				Properties: map[string]string{PropertyField: "spec.ports[0].appProtocol", PropertyOutcome: OutcomeDenied, PropertyValue: "kubernetes.io/h2c"}},
			{Rule: "service-workloads-without-defaults", Result: "warn", Severity: "low", Description: "no workload",
				Properties: map[string]string{PropertyOutcome: OutcomeWarned}},
			{Rule: "service-session-affinity", Result: "warn", Severity: "low", Description: "set affinity",
				Properties: map[string]string{PropertyField: "/spec/sessionAffinity", PropertyOutcome: OutcomeDefaulted, PropertyValue: `"ClientIP"`}},
		},
		summary: reportsv1alpha1.ReportSummary{Fail: 1, Warn: 2},
	}, {
		name:    "warn mode: a violation warns",
		finding: Finding{Verdict: defaults.Verdict{WebSocket: true, Mode: defaults.Warn, Violations: []defaults.Violation{violation}}},
		want: []reportsv1alpha1.ReportResult{{Rule: "service-http2-port", Result: "warn", Severity: "medium", Description: violation.Message(),
			Properties: map[string]string{PropertyField: "spec.ports[0].appProtocol", PropertyOutcome: OutcomeWarned, PropertyValue: "kubernetes.io/h2c"}}},
		summary: reportsv1alpha1.ReportSummary{Warn: 1},
	}, {
		name:    "engine error",
		finding: Finding{Err: errors.New("internal error")},
		want:    []reportsv1alpha1.ReportResult{{Result: "error", Description: "internal error"}},
		summary: reportsv1alpha1.ReportSummary{Error: 1},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			tc.finding.Object = judgedService()
			r := reportFor(tc.finding, now)
			if tc.want == nil {
				if r != nil {
					t.Fatalf("a report for an object with nothing to report: %+v", r)
				}
				return
			}
			for i := range tc.want {
				w := &tc.want[i]
				w.Source, w.Policy, w.Category, w.Timestamp = ReportSource, ReportSource, reportCategory, metav1.Timestamp{Seconds: now.Unix()}
			}
			if diff := cmp.Diff(tc.want, r.Results); diff != "" {
				t.Errorf("results (-want +got):\n%s", diff)
			}
			if r.Summary != tc.summary {
				t.Errorf("summary %+v, want %+v", r.Summary, tc.summary)
			}
			if r.Name != "wsguard-1234" || r.Namespace != "team" || r.Labels[LabelManagedBy] != ManagedByWSGuard || r.Source != ReportSource {
				t.Errorf("report %s/%s labels %v source %q", r.Namespace, r.Name, r.Labels, r.Source)
			}
			if s := r.Scope; s == nil || s.Kind != "Service" || s.Name != "chat" || s.Namespace != "team" || s.UID != "1234" || s.APIVersion != "v1" {
				t.Errorf("scope %+v", s)
			}
			if o := r.OwnerReferences; len(o) != 1 || o[0].UID != "1234" || o[0].Kind != "Service" || o[0].Name != "chat" {
				t.Errorf("owner references %+v", o)
			}
		})
	}
}

// TestKeepTimestamps: an unchanged result keeps the time it was first found; a changed one
// gets the time of the audit that found it.
func TestKeepTimestamps(t *testing.T) {
	f := Finding{Object: judgedService(), Verdict: defaults.Verdict{WebSocket: true, Warnings: []defaults.Warning{{Rule: "a", Message: "a"}, {Rule: "b", Message: "b"}}}}
	prev := reportFor(f, time.Unix(100, 0))
	f.Verdict.Warnings[1].Message = "b changed"
	r := reportFor(f, time.Unix(200, 0))
	keepTimestamps(r, prev)
	if r.Results[0].Timestamp.Seconds != 100 || r.Results[1].Timestamp.Seconds != 200 {
		t.Errorf("timestamps %v, %v: want 100 (unchanged) and 200 (changed)", r.Results[0].Timestamp, r.Results[1].Timestamp)
	}
	if sameReport(prev, r) {
		t.Error("a changed result is not a change")
	}
	f.Verdict.Warnings[1].Message = "b"
	again := reportFor(f, time.Unix(300, 0))
	keepTimestamps(again, prev)
	if !sameReport(prev, again) {
		t.Error("an audit that finds the same results rewrites the report")
	}
}

// TestReportsWithoutCRD: where the Report CRD is not installed, Sync writes nothing, fails
// nothing, and the log says so once.
func TestReportsWithoutCRD(t *testing.T) {
	scheme := runtime.NewScheme()
	if err := reportsv1alpha1.Install(scheme); err != nil {
		t.Fatal(err)
	}
	c := fake.NewClientBuilder().WithScheme(scheme).WithRESTMapper(meta.NewDefaultRESTMapper(nil)).Build()
	var lines []string
	log := funcr.New(func(prefix, args string) { lines = append(lines, args) }, funcr.Options{})
	w := &ReportWriter{Client: c, Log: log}
	set := newReportSet()
	set.add(Finding{Object: judgedService(), Verdict: defaults.Verdict{WebSocket: true}})
	for range 3 {
		if err := w.Sync(context.Background(), "", set); err != nil {
			t.Fatal(err)
		}
	}
	if len(lines) != 1 || !strings.Contains(lines[0], "not installed") {
		t.Errorf("log %q, want one line saying the CRD is not installed", lines)
	}
}
