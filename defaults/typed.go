package defaults

import (
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Most objects of an opted-in namespace are not WebSocket, and for them Evaluate only runs
// recognition, which reads the object through its typed view. A caller that already holds the
// object in its Go type can ask NotWebSocket first and skip the unstructured object, the copy
// and the conversion; EvaluateTyped hands the same typed object to Evaluate as its first view.

// typedKind is the kind of the Go types whose recognition reads nothing but the typed view, the
// annotations and the facts: the kinds NotWebSocket answers for.
func typedKind(obj any) (schema.GroupKind, bool) {
	switch obj.(type) {
	case *appsv1.Deployment:
		return KindDeployment, true
	case *appsv1.StatefulSet:
		return KindStatefulSet, true
	case *appsv1.DaemonSet:
		return KindDaemonSet, true
	case *corev1.Service:
		return KindService, true
	}
	return schema.GroupKind{}, false
}

// NewTyped returns an empty Go object of a kind NotWebSocket reads (a *appsv1.Deployment for
// Deployments, ...), for the caller to decode into, or nil for other kinds.
func NewTyped(gk schema.GroupKind) any {
	switch gk {
	case KindDeployment:
		return &appsv1.Deployment{}
	case KindStatefulSet:
		return &appsv1.StatefulSet{}
	case KindDaemonSet:
		return &appsv1.DaemonSet{}
	case KindService:
		return &corev1.Service{}
	}
	return nil
}

// NotWebSocket reports whether Evaluate, given the same object, would find it not WebSocket
// and change and report nothing. typed is the object decoded into its Go type (see NewTyped):
// it must hold what converting the unstructured object gives. False means "not sure": an
// object that carries wsguard.io/websocket (whatever its value: "false" may release wsguard's
// earlier defaults), a kind read otherwise, or a WebSocket object; Evaluate then decides.
func NotWebSocket(typed any, policy Policy, facts Facts) bool {
	gk, ok := typedKind(typed)
	if !ok {
		return false
	}
	ev := typedEvaluation(gk, typed, policy, &facts)
	if _, marked := ev.annots[AnnotationWebSocket]; marked {
		return false
	}
	is := kinds[gk].detect(ev)
	return !is && !ev.failed() && len(ev.p.changes) == 0 && len(ev.result.Violations) == 0
}

// EvaluateTyped is Evaluate with typed, the same object already decoded into its Go type, as
// the first typed view, so that it is not converted again.
func EvaluateTyped(obj *unstructured.Unstructured, typed any, policy Policy, facts Facts) Result {
	gk, ok := typedKind(typed)
	if !ok || gk != obj.GroupVersionKind().GroupKind() {
		return Evaluate(obj, policy, facts)
	}
	return evaluate(obj, policy, facts, typed, nil)
}

// typedEvaluation is an evaluation of a typed object alone: it has no unstructured object, so
// only recognition, which reads the view, may run on it.
func typedEvaluation(gk schema.GroupKind, typed any, policy Policy, facts *Facts) *evaluation {
	ev := &evaluation{p: newPatcher(nil), policy: policy, facts: facts, gk: gk}
	ev.seedView(typed)
	if meta, ok := typed.(interface{ GetAnnotations() map[string]string }); ok {
		ev.annots = meta.GetAnnotations()
	}
	return ev
}

// seedView makes typed the view of the object as it is before any change.
func (ev *evaluation) seedView(typed any) {
	ev.views = map[schema.GroupKind]any{ev.gk: typed}
	ev.viewAt = map[schema.GroupKind]int{ev.gk: 0}
}
