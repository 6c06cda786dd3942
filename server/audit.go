package server

import (
	"context"

	"github.com/go-logr/logr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/wsguard/wsguard/audit"
	"github.com/wsguard/wsguard/defaults"
	"github.com/wsguard/wsguard/webhooks"
)

// backgroundAudit judges the stored objects of the opted-in namespaces on start and every
// --audit-interval, with the webhooks' policy, facts (the cache) and exclusions. The objects
// themselves are listed from the API server a page at a time: the cache holds slimmed copies of
// Deployments and StatefulSets and none of the mesh kinds. A kind the service account may not
// list is left out of the audit and named in its log line.
//
// The findings are also written as OpenReports Reports (--audit-reports), through a client that
// reads the API server, not the cache: where the Report CRD is not installed, the audit says so
// once and exports metrics only. A namespace that opts in or out is audited soon after, through
// the cache's namespace informer. The policy is read once at start (--config, --enforcement):
// a policy change restarts wsguard, and its first audit follows.
func backgroundAudit(mgr ctrl.Manager, policy defaults.Policy, facts webhooks.FactsReader, o Options, log logr.Logger) (*audit.Runner, error) {
	var reports *audit.ReportWriter
	if o.AuditReports {
		c, err := client.New(mgr.GetConfig(), client.Options{Scheme: mgr.GetScheme(), Mapper: mgr.GetRESTMapper()})
		if err != nil {
			return nil, err
		}
		reports = &audit.ReportWriter{Client: c, Log: log.WithName("audit")}
	}
	var excluded []string
	if o.WebhookNamespace != "" {
		excluded = append(excluded, o.WebhookNamespace)
	}
	audit.RegisterMetrics()
	return &audit.Runner{
		Auditor: &audit.Auditor{
			Objects:            mgr.GetAPIReader(),
			Facts:              facts,
			Mapper:             mgr.GetRESTMapper(),
			Policy:             policy,
			Excluded:           excluded,
			SkipForbiddenKinds: true,
			Pacer:              audit.NewRateLimit(o.AuditRate),
		},
		Interval:     o.AuditInterval,
		WaitForCache: func(ctx context.Context) bool { return mgr.GetCache().WaitForCacheSync(ctx) },
		Log:          log.WithName("audit"),
		Reports:      reports,
		Informers:    mgr.GetCache(),
	}, nil
}
