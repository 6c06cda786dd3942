package audit_test

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/wsguard/wsguard/audit"
)

// countingReader counts the lists that reach the cluster.
type countingReader struct {
	client.Reader
	lists int
}

func (c *countingReader) List(ctx context.Context, list client.ObjectList, opts ...client.ListOption) error {
	c.lists++
	return c.Reader.List(ctx, list, opts...)
}

// TestSnapshotStoreSharesItsObjects: facts read through Snapshot.Store point into the snapshot,
// the same objects for every object judged, listed from the cluster once; each namespace sees
// only its own.
func TestSnapshotStoreSharesItsObjects(t *testing.T) {
	svc := func(ns, name string) *corev1.Service {
		return &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}}
	}
	c, mapper := fakeCluster(t, svc("a", "one"), svc("a", "two"), svc("b", "three"))
	live := &countingReader{Reader: c}
	snapshot := &audit.Snapshot{Live: live}
	facts, err := audit.FactsReader(mapper, snapshot)
	if err != nil {
		t.Fatal(err)
	}
	facts.Stores = snapshot.Store
	deployments := schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"}
	nsA := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "a"}}
	first, err := facts.Facts(context.Background(), nsA, deployments)
	if err != nil {
		t.Fatal(err)
	}
	listsAfterFirst := live.lists
	again, err := facts.Facts(context.Background(), nsA, deployments)
	if err != nil {
		t.Fatal(err)
	}
	if len(first.Services) != 2 || len(again.Services) != 2 {
		t.Fatalf("namespace a: %d and %d Services, want 2", len(first.Services), len(again.Services))
	}
	byName := map[string]*corev1.Service{}
	for _, s := range first.Services {
		byName[s.Name] = s
	}
	for _, s := range again.Services {
		if byName[s.Name] != s {
			t.Errorf("Service %s was copied between two objects' facts; want the snapshot's own", s.Name)
		}
	}
	if live.lists != listsAfterFirst {
		t.Errorf("the second object's facts listed the cluster again (%d lists, then %d)", listsAfterFirst, live.lists)
	}
	b, err := facts.Facts(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "b"}}, deployments)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Services) != 1 || b.Services[0].Name != "three" {
		t.Errorf("namespace b: %v, want Service three only", b.Services)
	}
}
