package cli

import (
	"slices"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// interner lets the facts of a large input share what their objects repeat: the label keys
// and values every object of an application carries, and the label maps that selectors,
// pod templates and Services repeat. Facts are only read, so sharing is safe; it takes their
// memory from one copy per object to one per distinct value.
type interner struct {
	strs map[string]string
	maps map[string]map[string]string
	key  strings.Builder
}

func newInterner() *interner {
	return &interner{strs: map[string]string{}, maps: map[string]map[string]string{}}
}

func (in *interner) str(s string) string {
	if t, ok := in.strs[s]; ok {
		return t
	}
	in.strs[s] = s
	return s
}

// stringMap returns a map equal to m, shared with every other map of the same content.
func (in *interner) stringMap(m map[string]string) map[string]string {
	if len(m) == 0 {
		return m
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	in.key.Reset()
	for _, k := range keys {
		// NUL separates: it cannot occur in a manifest (manifest.Load refuses NUL bytes).
		in.key.WriteString(k)
		in.key.WriteByte(0)
		in.key.WriteString(m[k])
		in.key.WriteByte(0)
	}
	if shared, ok := in.maps[in.key.String()]; ok {
		return shared
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[in.str(k)] = in.str(v)
	}
	in.maps[in.key.String()] = out
	return out
}

func (in *interner) meta(m *metav1.ObjectMeta) {
	m.Name, m.Namespace = in.str(m.Name), in.str(m.Namespace)
	m.Labels, m.Annotations = in.stringMap(m.Labels), in.stringMap(m.Annotations)
}

func (in *interner) selector(s *metav1.LabelSelector) {
	if s != nil {
		s.MatchLabels = in.stringMap(s.MatchLabels)
	}
}

// share makes a fact's value share what it repeats of the facts before it.
func (in *interner) share(v any) {
	switch o := v.(type) {
	case *corev1.Service:
		in.meta(&o.ObjectMeta)
		o.Spec.Selector = in.stringMap(o.Spec.Selector)
	case *networkingv1.Ingress:
		in.meta(&o.ObjectMeta)
	case *appsv1.Deployment:
		in.meta(&o.ObjectMeta)
		in.selector(o.Spec.Selector)
		o.Spec.Template.Labels = in.stringMap(o.Spec.Template.Labels)
	case *appsv1.StatefulSet:
		in.meta(&o.ObjectMeta)
		in.selector(o.Spec.Selector)
		o.Spec.Template.Labels = in.stringMap(o.Spec.Template.Labels)
	}
}
