package webhooks

import (
	"slices"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
)

// TestReadPermissionsCoverCachedTypes fails when the cache watches a type the shipped RBAC does
// not let wsguard list and watch: its informer would never sync and wsguard never get ready.
func TestReadPermissionsCoverCachedTypes(t *testing.T) {
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	if err := apiextensionsv1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	gvks := []schema.GroupVersionKind{BackendConfigGVK}
	for _, obj := range CachedTypes() {
		gvk, err := apiutil.GVKForObject(obj, scheme)
		if err != nil {
			t.Fatal(err)
		}
		gvks = append(gvks, gvk)
	}
	for _, gvk := range gvks {
		resource, _ := meta.UnsafeGuessKindToResource(gvk)
		if !allowed(resource.GroupResource(), "list") || !allowed(resource.GroupResource(), "watch") {
			t.Errorf("ReadPermissions lets wsguard not list and watch %s, which its cache watches", resource.GroupResource())
		}
	}
}

// TestReadPermissionsOnlyRead keeps wsguard's service account read-only.
func TestReadPermissionsOnlyRead(t *testing.T) {
	for _, r := range ReadPermissions() {
		for _, v := range r.Verbs {
			if v != "get" && v != "list" && v != "watch" {
				t.Errorf("%v %v: verb %q; wsguard only reads", r.APIGroups, r.Resources, v)
			}
		}
	}
}

func allowed(gr schema.GroupResource, verb string) bool {
	for _, r := range ReadPermissions() {
		if slices.Contains(r.APIGroups, gr.Group) && slices.Contains(r.Resources, gr.Resource) && slices.Contains(r.Verbs, verb) {
			return true
		}
	}
	return false
}
