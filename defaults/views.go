package defaults

import (
	"maps"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Typed views let rules read an object through its Go type. They are read-only copies: writes
// go through the patcher, and a view is remade after the object changed.

func (ev *evaluation) deployment() *appsv1.Deployment {
	return view[appsv1.Deployment](ev)
}

func (ev *evaluation) statefulSet() *appsv1.StatefulSet {
	return view[appsv1.StatefulSet](ev)
}

func (ev *evaluation) daemonSet() *appsv1.DaemonSet {
	return view[appsv1.DaemonSet](ev)
}

// podTemplate is the pod template of the workload under review (a Deployment, StatefulSet or
// DaemonSet).
func (ev *evaluation) podTemplate() *corev1.PodTemplateSpec {
	switch ev.gk {
	case KindStatefulSet:
		return &ev.statefulSet().Spec.Template
	case KindDaemonSet:
		return &ev.daemonSet().Spec.Template
	}
	return &ev.deployment().Spec.Template
}

func (ev *evaluation) service() *corev1.Service {
	return view[corev1.Service](ev)
}

func (ev *evaluation) ingress() *networkingv1.Ingress {
	return view[networkingv1.Ingress](ev)
}

// view converts the current object into T, reusing the last conversion while the object is
// unchanged. After a change, the last view is copied and the edits since are applied to the
// copy (followedView), which costs a fraction of converting the whole object again. A
// conversion error marks the object malformed and yields an empty T, so rules never see nil.
func view[T any](ev *evaluation) *T {
	key := ev.gk
	last, ok := ev.views[key].(*T)
	if ok && ev.viewAt[key] == ev.p.version() {
		return last
	}
	var out *T
	if ok {
		out = followedView(last, ev.p.edits[ev.viewAt[key]:])
		if out != nil && ev.checkViews != nil {
			fresh, err := convertedView[T](ev.p.object())
			ev.checkViews(out, fresh, err)
		}
	}
	if out == nil {
		var err error
		if out, err = convertedView[T](ev.p.object()); err != nil {
			ev.malformed(err)
			return out
		}
	}
	if ev.views == nil {
		ev.views, ev.viewAt = map[schema.GroupKind]any{}, map[schema.GroupKind]int{}
	}
	ev.views[key], ev.viewAt[key] = out, ev.p.version()
	return out
}

// convertedView converts the whole object into T.
func convertedView[T any](obj map[string]any) (*T, error) {
	out := new(T)
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(withoutManagedFields(obj), out); err != nil {
		return new(T), err
	}
	return out, nil
}

// withoutManagedFields returns obj without metadata.managedFields, sharing everything else. No
// rule reads managedFields, and they are the costliest part of a conversion: every entry's
// fieldsV1 goes through JSON. The API server sends them with every object.
func withoutManagedFields(obj map[string]any) map[string]any {
	meta, ok := obj["metadata"].(map[string]any)
	if !ok {
		return obj
	}
	if _, ok := meta["managedFields"]; !ok {
		return obj
	}
	meta = maps.Clone(meta)
	delete(meta, "managedFields")
	obj = maps.Clone(obj)
	obj["metadata"] = meta
	return obj
}

// factView reads a custom resource among the facts as T, once per evaluation: detection may ask
// about it for every Service it looks at. One that cannot be read as T says nothing (an empty T).
func factView[T any](ev *evaluation, u *unstructured.Unstructured) *T {
	if v, ok := ev.factViews[u].(*T); ok {
		return v
	}
	v := new(T)
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, v); err != nil {
		v = new(T)
	}
	if ev.factViews == nil {
		ev.factViews = map[*unstructured.Unstructured]any{}
	}
	ev.factViews[u] = v
	return v
}
