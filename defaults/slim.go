package defaults

import (
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// AnnotationLastApplied is where client-side kubectl apply keeps a copy of the whole manifest.
// No rule reads it, of the object under review or of its facts.
const AnnotationLastApplied = "kubectl.kubernetes.io/last-applied-configuration"

// The slim copies below keep of a related object only what the rules read of it as a fact, so
// that holding every Deployment of a cluster (the webhook's cache) or of a large input (the
// CLI) costs memory by the number of objects rather than their size. They share the maps and
// slices of the object they are made from.

// WithoutLastApplied drops the last-applied-configuration annotation from an object's metadata.
func WithoutLastApplied(m *metav1.ObjectMeta) {
	if m.Annotations != nil {
		delete(m.Annotations, AnnotationLastApplied)
	}
}

// SlimDeployment keeps of a Deployment only what the rules read of related workloads: identity,
// labels and annotations, the selector, the pod template's labels, and each container's name,
// image, ports, preStop hook and readiness probe.
func SlimDeployment(d *appsv1.Deployment) *appsv1.Deployment {
	slim := &appsv1.Deployment{TypeMeta: d.TypeMeta, ObjectMeta: slimMeta(d.ObjectMeta)}
	slim.Spec.Selector = d.Spec.Selector
	slim.Spec.Template = slimTemplate(d.Spec.Template)
	return slim
}

// SlimStatefulSet is SlimDeployment for StatefulSets.
func SlimStatefulSet(s *appsv1.StatefulSet) *appsv1.StatefulSet {
	slim := &appsv1.StatefulSet{TypeMeta: s.TypeMeta, ObjectMeta: slimMeta(s.ObjectMeta)}
	slim.Spec.Selector = s.Spec.Selector
	slim.Spec.Template = slimTemplate(s.Spec.Template)
	return slim
}

// SlimPodDisruptionBudget keeps of a PodDisruptionBudget what the rollout rules read: its
// identity, selector, minAvailable and maxUnavailable.
func SlimPodDisruptionBudget(p *policyv1.PodDisruptionBudget) *policyv1.PodDisruptionBudget {
	slim := &policyv1.PodDisruptionBudget{TypeMeta: p.TypeMeta, ObjectMeta: metav1.ObjectMeta{Name: p.Name, Namespace: p.Namespace, UID: p.UID, ResourceVersion: p.ResourceVersion}}
	slim.Spec.Selector = p.Spec.Selector
	slim.Spec.MinAvailable = p.Spec.MinAvailable
	slim.Spec.MaxUnavailable = p.Spec.MaxUnavailable
	return slim
}

func slimMeta(m metav1.ObjectMeta) metav1.ObjectMeta {
	out := metav1.ObjectMeta{Name: m.Name, Namespace: m.Namespace, UID: m.UID, ResourceVersion: m.ResourceVersion, Labels: m.Labels, Annotations: m.Annotations}
	WithoutLastApplied(&out)
	return out
}

func slimTemplate(t corev1.PodTemplateSpec) corev1.PodTemplateSpec {
	out := corev1.PodTemplateSpec{}
	out.Labels = t.Labels
	for _, c := range t.Spec.Containers {
		out.Spec.Containers = append(out.Spec.Containers, corev1.Container{Name: c.Name, Image: c.Image, Ports: c.Ports, Lifecycle: preStopOnly(c.Lifecycle), ReadinessProbe: c.ReadinessProbe})
	}
	return out
}

// preStopOnly keeps whether a container has a preStop hook, which tells a Service's admission
// that the workloads it makes WebSocket lack wsguard's defaults.
func preStopOnly(l *corev1.Lifecycle) *corev1.Lifecycle {
	if l == nil || l.PreStop == nil {
		return nil
	}
	return &corev1.Lifecycle{PreStop: l.PreStop}
}

// factFields names, per custom resource read as a fact, the fields detection reads of it. A
// field maps to the fields kept inside it (in each element, for a list), or to nil to keep it
// whole.
type factFields map[string]factFields

var customFactFields = map[schema.GroupKind]factFields{
	// enableWebsockets and the Services each route names (httpProxyView).
	KindHTTPProxy: {"spec": {"routes": {"enableWebsockets": nil, "services": {"name": nil, "port": nil, "protocol": nil}}}},
	// The Gateways a route attaches to and its backends (routeFactView).
	KindHTTPRoute: {"spec": {"parentRefs": nil, "rules": {"backendRefs": {"group": nil, "kind": nil, "name": nil, "namespace": nil, "port": nil}}}},
	// The class of a Gateway and the controller of a class (gatewayController).
	KindGateway:      {"spec": {"gatewayClassName": nil}},
	KindGatewayClass: {"spec": {"controllerName": nil}},
	// Where a Mapping sends traffic and whether it forwards the upgrade (mappingView).
	KindMapping: {"spec": {"service": nil, "allow_upgrade": nil, "use_websocket": nil, "grpc": nil}},
}

// SlimCustomFact keeps of an HTTPProxy, HTTPRoute, Mapping, Gateway or GatewayClass read as a fact its identity, its
// annotations but the last-applied copy, and the fields detection reads; other kinds are
// returned as they are.
func SlimCustomFact(u *unstructured.Unstructured) *unstructured.Unstructured {
	fields, ok := customFactFields[u.GroupVersionKind().GroupKind()]
	if !ok {
		return u
	}
	slim := &unstructured.Unstructured{Object: map[string]any{}}
	slim.SetGroupVersionKind(u.GroupVersionKind())
	slim.SetName(u.GetName())
	slim.SetNamespace(u.GetNamespace())
	slim.SetUID(u.GetUID())
	slim.SetResourceVersion(u.GetResourceVersion())
	if a := u.GetAnnotations(); len(a) > 0 {
		kept := make(map[string]string, len(a))
		for k, v := range a {
			if k != AnnotationLastApplied {
				kept[k] = v
			}
		}
		slim.SetAnnotations(kept)
	}
	for k, v := range keepFields(u.Object, fields).(map[string]any) {
		slim.Object[k] = v
	}
	return slim
}

// keepFields returns v with only the fields named (recursively; in every element of a list).
func keepFields(v any, fields factFields) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for name, inner := range fields {
			if fv, ok := x[name]; ok {
				if inner == nil {
					out[name] = fv
				} else {
					out[name] = keepFields(fv, inner)
				}
			}
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = keepFields(e, fields)
		}
		return out
	}
	return v
}
