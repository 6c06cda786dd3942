package server

import (
	"context"

	"github.com/go-logr/logr"
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/wsguard/wsguard/audit"
	"github.com/wsguard/wsguard/defaults"
	"github.com/wsguard/wsguard/webhooks"
)

// backgroundAudit judges the stored objects of the opted-in namespaces on start and every
// --audit-interval, with the webhooks' policy, facts (the cache) and exclusions. The objects
// themselves are listed from the API server a page at a time: the cache holds slimmed copies of
// Deployments and StatefulSets and none of the mesh kinds. A kind the service account may not
// list is left out of the audit and named in its log line.
func backgroundAudit(mgr ctrl.Manager, policy defaults.Policy, facts webhooks.FactsReader, o Options, log logr.Logger) *audit.Runner {
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
	}
}
