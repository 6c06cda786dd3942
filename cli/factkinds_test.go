package cli

import (
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"

	"github.com/wsguard/wsguard/webhooks"
)

// TestFactKindsMatchTheWebhookCache: the CLI takes from its input every kind of related object
// the webhook reads from its cache, so that check judges with the facts admission would have.
func TestFactKindsMatchTheWebhookCache(t *testing.T) {
	s := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	if err := apiextensionsv1.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	for _, obj := range webhooks.CachedTypes() {
		gvks, _, err := s.ObjectKinds(obj)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := factKinds[gvks[0].GroupKind()]; !ok {
			t.Errorf("the webhook caches %s, which the CLI does not take from its input", gvks[0].GroupKind())
		}
	}
	if _, ok := factKinds[webhooks.BackendConfigGVK.GroupKind()]; !ok {
		t.Errorf("the CLI does not take BackendConfigs from its input")
	}
}
