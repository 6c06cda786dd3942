package webhooks

import (
	"slices"
	"strings"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
)

// TestReadPermissionsCoverCachedTypes fails when the cache watches a type the shipped RBAC does
// not let wsguard get, list and watch: its informer would never sync and wsguard never get ready.
func TestReadPermissionsCoverCachedTypes(t *testing.T) {
	for _, gr := range cachedResources(t) {
		for _, verb := range []string{"get", "list", "watch"} {
			if !allowed(gr, verb) {
				t.Errorf("ReadPermissions does not let wsguard %s %s, which its cache watches", verb, gr)
			}
		}
	}
}

// TestReadPermissionsOnlyCachedTypes is the reverse check: every granted resource is one the
// cache watches, so the ClusterRole lets wsguard read nothing it never reads, and a type dropped
// from the cache takes its grant along.
func TestReadPermissionsOnlyCachedTypes(t *testing.T) {
	cached := map[schema.GroupResource]bool{}
	for _, gr := range cachedResources(t) {
		cached[gr] = true
	}
	for _, r := range ReadPermissions() {
		if len(r.NonResourceURLs) > 0 || len(r.ResourceNames) > 0 {
			t.Errorf("%v %v: only whole resource types are granted", r.APIGroups, r.Resources)
		}
		for _, g := range r.APIGroups {
			for _, res := range r.Resources {
				if gr := (schema.GroupResource{Group: g, Resource: res}); !cached[gr] {
					t.Errorf("ReadPermissions grants %v on %s, which wsguard's cache never watches", r.Verbs, gr)
				}
			}
		}
		if !slices.Equal(r.Verbs, []string{"get", "list", "watch"}) {
			t.Errorf("%v %v: verbs %v, want exactly get, list, watch", r.APIGroups, r.Resources, r.Verbs)
		}
	}
}

// cachedResources are the resources of CachedTypes and WatchedWhereServed.
func cachedResources(t *testing.T) []schema.GroupResource {
	t.Helper()
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	if err := apiextensionsv1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	gvks := WatchedWhereServed()
	for _, obj := range CachedTypes() {
		gvk, err := apiutil.GVKForObject(obj, scheme)
		if err != nil {
			t.Fatal(err)
		}
		gvks = append(gvks, gvk)
	}
	var out []schema.GroupResource
	for _, gvk := range gvks {
		resource, _ := meta.UnsafeGuessKindToResource(gvk)
		// The guess makes every plural of a kind ending in y end in ies, Gateway's too; Gateway
		// API's CRD says gateways.
		if r, ok := strings.CutSuffix(resource.Resource, "aies"); ok {
			resource.Resource = r + "ays"
		}
		out = append(out, resource.GroupResource())
	}
	return out
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

// TestAuditPermissions: with ReadPermissions, the background audit may list every served kind,
// and only list them.
func TestAuditPermissions(t *testing.T) {
	for _, k := range ServedKinds() {
		listed := readable(k.GroupKind.Group, k.Resource, "list")
		for _, r := range AuditPermissions() {
			listed = listed || slices.Contains(r.APIGroups, k.GroupKind.Group) && slices.Contains(r.Resources, k.Resource) && slices.Contains(r.Verbs, "list")
		}
		if !listed {
			t.Errorf("the background audit may not list %s", k.Resource)
		}
	}
	for _, r := range AuditPermissions() {
		if !slices.Equal(r.Verbs, []string{"list"}) {
			t.Errorf("%v %v: verbs %v, want list", r.APIGroups, r.Resources, r.Verbs)
		}
	}
}
