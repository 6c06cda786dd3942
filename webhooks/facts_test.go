package webhooks

import (
	"context"
	"fmt"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// TestFactsReadTheStoresInPlace: with Stores, Facts returns the stores' own objects of the
// namespace (no copy), and a store that holds another type than its informer's is an error, not
// empty facts.
func TestFactsReadTheStoresInPlace(t *testing.T) {
	newStore := func(objs ...any) toolscache.Indexer {
		idx := toolscache.NewIndexer(toolscache.MetaNamespaceKeyFunc, toolscache.Indexers{toolscache.NamespaceIndex: toolscache.MetaNamespaceIndexFunc})
		for _, o := range objs {
			if err := idx.Add(o); err != nil {
				t.Fatal(err)
			}
		}
		return idx
	}
	mine := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "chat", Namespace: "demo"}}
	other := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "chat", Namespace: "elsewhere"}}
	stores := map[string]toolscache.Indexer{fmt.Sprintf("%T", &corev1.Service{}): newStore(mine, other)}
	r := FactsReader{Stores: func(_ context.Context, obj client.Object) (toolscache.Indexer, error) {
		if s, ok := stores[fmt.Sprintf("%T", obj)]; ok {
			return s, nil
		}
		return newStore(), nil
	}}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "demo"}}
	deployments := schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"}
	f, err := r.Facts(context.Background(), ns, deployments)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Services) != 1 || f.Services[0] != mine {
		t.Fatalf("Services = %v, want the store's own object of namespace demo", f.Services)
	}

	stores[fmt.Sprintf("%T", &appsv1.Deployment{})] = newStore(&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "x", Namespace: "demo"}})
	if _, err := r.Facts(context.Background(), ns, deployments); err == nil || !strings.Contains(err.Error(), "holds a *v1.ConfigMap") {
		t.Fatalf("a store of the wrong type: err = %v, want one naming the type", err)
	}
}
