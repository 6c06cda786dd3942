package audit

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-logr/logr"
	reportsv1alpha1 "github.com/openreports/reports-api/apis/openreports.io/v1alpha1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// ReportGroupKind is the OpenReports Report, at ReportVersion.
var ReportGroupKind = schema.GroupKind{Group: reportsv1alpha1.GroupName, Kind: "Report"}

const ReportVersion = "v1alpha1"

// ReportWriter keeps wsguard's Reports equal to the findings of the last audit of a scope: it
// creates the reports of objects newly found, rewrites those whose results changed, and deletes
// those of objects that are gone, fixed into nothing to report, or in namespaces no longer judged.
// Where the Report CRD is not installed it writes nothing and says so once: the audit then
// exports its metrics only.
type ReportWriter struct {
	// Client lists and writes reports on the API server: not a cache, which would watch Reports
	// (and fail where their CRD is not installed).
	Client client.Client
	Log    logr.Logger

	missingOnce sync.Once
}

// reportSet collects the reports of one audit, keyed by namespace/name.
type reportSet struct {
	now     time.Time
	reports map[client.ObjectKey]*reportsv1alpha1.Report
}

func newReportSet() *reportSet {
	return &reportSet{now: time.Now(), reports: map[client.ObjectKey]*reportsv1alpha1.Report{}}
}

// add collects the report about f's object, if there is anything to report.
func (s *reportSet) add(f Finding) {
	if r := reportFor(f, s.now); r != nil {
		s.reports[client.ObjectKeyFromObject(r)] = r
	}
}

// available reports whether the cluster serves Reports, saying once when it does not.
func (w *ReportWriter) available() (bool, error) {
	if _, err := w.Client.RESTMapper().RESTMapping(ReportGroupKind, ReportVersion); err != nil {
		if meta.IsNoMatchError(err) {
			w.missingOnce.Do(func() {
				w.Log.Info("the OpenReports Report CRD (reports.openreports.io) is not installed: the audit exports its findings as metrics only; install the CRD to get Reports (docs/audit.md)")
			})
			return false, nil
		}
		return false, fmt.Errorf("looking up %s: %w", ReportGroupKind, err)
	}
	return true, nil
}

// Sync makes wsguard's reports in namespace ("" for every namespace) those of set. It goes on
// past a failed write and returns every failure. Every replica of wsguard audits and syncs: a
// report another replica created or changed in between is left to the next audit, which finds
// the same results and writes nothing.
func (w *ReportWriter) Sync(ctx context.Context, namespace string, set *reportSet) error {
	if ok, err := w.available(); !ok {
		return err
	}
	var have reportsv1alpha1.ReportList
	opts := []client.ListOption{client.MatchingLabels{LabelManagedBy: ManagedByWSGuard}}
	if namespace != "" {
		opts = append(opts, client.InNamespace(namespace))
	}
	if err := w.Client.List(ctx, &have, opts...); err != nil {
		return fmt.Errorf("listing wsguard's reports: %w", err)
	}
	var errs []error
	old := map[client.ObjectKey]*reportsv1alpha1.Report{}
	for i := range have.Items {
		r := &have.Items[i]
		key := client.ObjectKeyFromObject(r)
		if _, wanted := set.reports[key]; wanted {
			old[key] = r
			continue
		}
		if err := w.Client.Delete(ctx, r); err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("deleting report %s: %w", key, err))
		}
	}
	keys := make([]client.ObjectKey, 0, len(set.reports))
	for key := range set.reports {
		keys = append(keys, key)
	}
	slices.SortFunc(keys, func(a, b client.ObjectKey) int { return strings.Compare(a.String(), b.String()) })
	for _, key := range keys {
		r := set.reports[key]
		prev, ok := old[key]
		if !ok {
			// Every replica audits: another one may have written the same report a moment ago.
			if err := w.Client.Create(ctx, r); err != nil && !apierrors.IsAlreadyExists(err) {
				errs = append(errs, fmt.Errorf("creating report %s: %w", key, err))
			}
			continue
		}
		keepTimestamps(r, prev)
		if sameReport(prev, r) {
			continue // no write, so that an unchanged cluster costs no writes
		}
		r.ResourceVersion = prev.ResourceVersion
		// Labels and annotations others put on the report stay.
		for k, v := range prev.Labels {
			if _, ok := r.Labels[k]; !ok {
				r.Labels[k] = v
			}
		}
		r.Annotations = prev.Annotations
		if err := w.Client.Update(ctx, r); err != nil && !apierrors.IsConflict(err) {
			errs = append(errs, fmt.Errorf("updating report %s: %w", key, err))
		}
	}
	return errors.Join(errs...)
}

// keepTimestamps gives each result of r found unchanged in prev the timestamp it had there: a
// result's timestamp says when it was first found.
func keepTimestamps(r, prev *reportsv1alpha1.Report) {
	for i := range r.Results {
		for _, p := range prev.Results {
			candidate := r.Results[i]
			candidate.Timestamp = p.Timestamp
			if equality.Semantic.DeepEqual(candidate, p) {
				r.Results[i].Timestamp = p.Timestamp
				break
			}
		}
	}
}

// sameReport reports whether writing r over prev would change nothing wsguard owns.
func sameReport(prev, r *reportsv1alpha1.Report) bool {
	return prev.Labels[LabelManagedBy] == ManagedByWSGuard &&
		equality.Semantic.DeepEqual(prev.OwnerReferences, r.OwnerReferences) &&
		prev.Source == r.Source &&
		equality.Semantic.DeepEqual(prev.Scope, r.Scope) &&
		prev.Summary == r.Summary &&
		equality.Semantic.DeepEqual(prev.Results, r.Results)
}
