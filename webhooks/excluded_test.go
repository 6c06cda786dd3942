package webhooks

import (
	"context"
	"testing"

	"github.com/go-logr/logr"
	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/wsguard/wsguard/defaults"
)

// TestHandlerNeverJudgesExcludedNamespaces: kube-system and wsguard's own namespace are left
// alone by the handler itself, whatever a webhook configuration sends it. The handler has no
// facts source here: reaching for one would panic.
func TestHandlerNeverJudgesExcludedNamespaces(t *testing.T) {
	deployment := ServedKinds()[0]
	for _, ns := range []string{metav1.NamespaceSystem, "wsguard-system"} {
		for _, mutate := range []bool{true, false} {
			h := &handler{kind: deployment, mutate: mutate, policy: defaults.DefaultPolicy(), ownNamespace: "wsguard-system", log: logr.Discard()}
			resp := h.Handle(context.Background(), admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{
				Operation: admissionv1.Create, Namespace: ns,
				Kind:   metav1.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"},
				Object: runtime.RawExtension{Raw: []byte(`{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"x","annotations":{"wsguard.io/websocket":"true"}}}`)},
			}})
			if !resp.Allowed || len(resp.Patches) > 0 || resp.Result == nil || resp.Result.Message == "" {
				t.Errorf("%s (mutate %v): %+v, want allowed untouched with a reason", ns, mutate, resp)
			}
		}
	}
}
