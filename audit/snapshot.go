package audit

import (
	"context"
	"fmt"
	"reflect"
	"sync"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Snapshot is a client.Reader over a live reader that lists each type once, in its scope, and
// answers every later list of that type from memory: the facts of many namespaces cost one
// request per type instead of one per namespace and object. It is for one-shot audits (`wsguard
// check --cluster`); a long-running server reads its informer cache instead.
//
// Only plain lists are remembered (no label or field selector, no paging); Get and every other
// list go to the live reader. What it returns is shared: callers only read it.
type Snapshot struct {
	// Live is where objects are read from.
	Live client.Reader
	// Namespace is the scope of namespaced lists: "" lists across all namespaces, which needs
	// the right to; a namespace lists only there.
	Namespace string

	mu     sync.Mutex
	lists  map[string]client.ObjectList
	stores map[string]toolscache.Indexer
}

var _ client.Reader = &Snapshot{}

// Get reads live.
func (s *Snapshot) Get(ctx context.Context, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
	return s.Live.Get(ctx, key, obj, opts...)
}

// List answers a plain list from the snapshot of its type, filtered to the namespace asked for.
func (s *Snapshot) List(ctx context.Context, list client.ObjectList, opts ...client.ListOption) error {
	o := (&client.ListOptions{}).ApplyOptions(opts)
	if o.LabelSelector != nil || o.FieldSelector != nil || o.Limit != 0 || o.Continue != "" {
		return s.Live.List(ctx, list, opts...)
	}
	if s.Namespace != "" && o.Namespace != "" && o.Namespace != s.Namespace {
		return s.Live.List(ctx, list, opts...)
	}
	all, err := s.snapshot(ctx, list)
	if err != nil {
		return err
	}
	items, err := meta.ExtractList(all)
	if err != nil {
		return err
	}
	if o.Namespace != "" {
		kept := make([]runtime.Object, 0, len(items))
		for _, item := range items {
			if m, err := meta.Accessor(item); err == nil && m.GetNamespace() == o.Namespace {
				kept = append(kept, item)
			}
		}
		items = kept
	}
	return meta.SetList(list, items)
}

// snapshot returns the whole list of list's type in the snapshot's scope, reading it the first
// time.
func (s *Snapshot) snapshot(ctx context.Context, list client.ObjectList) (client.ObjectList, error) {
	key := fmt.Sprintf("%T %s", list, list.GetObjectKind().GroupVersionKind())
	s.mu.Lock()
	defer s.mu.Unlock()
	if cached, ok := s.lists[key]; ok {
		return cached, nil
	}
	fresh := reflect.New(reflect.TypeOf(list).Elem()).Interface().(client.ObjectList)
	fresh.GetObjectKind().SetGroupVersionKind(list.GetObjectKind().GroupVersionKind())
	var opts []client.ListOption
	if s.Namespace != "" {
		// Cluster-scoped types ignore the namespace.
		opts = append(opts, client.InNamespace(s.Namespace))
	}
	if err := s.Live.List(ctx, fresh, opts...); err != nil {
		return nil, err
	}
	if s.lists == nil {
		s.lists = map[string]client.ObjectList{}
	}
	s.lists[key] = fresh
	return fresh, nil
}

// Store is webhooks.FactsReader.Stores over the snapshot: the snapshot's objects of obj's type,
// indexed by namespace, so that the facts of each object judged point into the snapshot instead
// of being copied out of it by List. obj must be a built-in type (client-go's scheme).
func (s *Snapshot) Store(ctx context.Context, obj client.Object) (toolscache.Indexer, error) {
	gvks, _, err := clientgoscheme.Scheme.ObjectKinds(obj)
	if err != nil {
		return nil, err
	}
	listGVK := gvks[0].GroupVersion().WithKind(gvks[0].Kind + "List")
	newList, err := clientgoscheme.Scheme.New(listGVK)
	if err != nil {
		return nil, err
	}
	list, ok := newList.(client.ObjectList)
	if !ok {
		return nil, fmt.Errorf("%s is not a list", listGVK)
	}
	all, err := s.snapshot(ctx, list)
	if err != nil {
		return nil, err
	}
	key := fmt.Sprintf("%T", list)
	s.mu.Lock()
	defer s.mu.Unlock()
	if store, ok := s.stores[key]; ok {
		return store, nil
	}
	items, err := meta.ExtractList(all) // pointers into the snapshot's list
	if err != nil {
		return nil, err
	}
	store := toolscache.NewIndexer(toolscache.MetaNamespaceKeyFunc, toolscache.Indexers{toolscache.NamespaceIndex: toolscache.MetaNamespaceIndexFunc})
	for _, item := range items {
		if err := store.Add(item); err != nil {
			return nil, err
		}
	}
	if s.stores == nil {
		s.stores = map[string]toolscache.Indexer{}
	}
	s.stores[key] = store
	return store, nil
}
