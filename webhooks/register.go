package webhooks

import (
	"github.com/go-logr/logr"
	"sigs.k8s.io/controller-runtime/pkg/webhook"

	"github.com/wsguard/wsguard/defaults"
)

// Register serves the mutating and validating handler of every served kind on the webhook
// server, at the paths the webhook configurations point to. ownNamespace is the namespace
// wsguard runs in ("" when unknown): like kube-system, it is never judged, whatever the webhook
// configurations installed in the cluster say.
func Register(server webhook.Server, policy defaults.Policy, facts FactsReader, ownNamespace string, log logr.Logger) {
	RegisterMetrics()
	for _, k := range ServedKinds() {
		for _, mutate := range []bool{true, false} {
			h := &handler{kind: k, mutate: mutate, policy: policy, facts: facts, ownNamespace: ownNamespace, log: log.WithName(k.Resource)}
			server.Register(h.path(), reviewServer{handler: h})
		}
	}
}
