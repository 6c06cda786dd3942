package defaults

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// fieldPath names a field once for every use a default has: it renders as Kubernetes prints
// fields (spec.ports[0].appProtocol, metadata.annotations[key]) in messages and reports, as a
// *field.Path for violations, and as the segments the patcher walks and the JSON patch encodes.
type fieldPath struct {
	segs []string // map keys and decimal list indexes, as the patcher walks them
	path *field.Path
}

// at starts a path from the object's root.
func at(name string, more ...string) fieldPath {
	return fieldPath{segs: []string{name}, path: field.NewPath(name)}.Child(more...)
}

// Child descends into named fields.
func (p fieldPath) Child(names ...string) fieldPath {
	if len(names) == 0 {
		return p
	}
	return fieldPath{segs: append(slices.Clip(p.segs), names...), path: p.path.Child(names[0], names[1:]...)}
}

// Key descends into a map entry, such as one annotation.
func (p fieldPath) Key(k string) fieldPath {
	return fieldPath{segs: append(slices.Clip(p.segs), k), path: p.path.Key(k)}
}

// Index descends into a list element.
func (p fieldPath) Index(i int) fieldPath {
	return fieldPath{segs: append(slices.Clip(p.segs), strconv.Itoa(i)), path: p.path.Index(i)}
}

// Field is the path as a Kubernetes field path.
func (p fieldPath) Field() *field.Path { return p.path }

func (p fieldPath) String() string { return p.path.String() }

// annotationField is the path of one of the object's annotations.
func annotationField(key string) fieldPath {
	return at("metadata", "annotations").Key(key)
}

// renderValue shows a default's value in its message: scalars as written, strings quoted only
// when they hold spaces, objects as compact JSON.
func renderValue(v any) string {
	switch x := v.(type) {
	case string:
		s := strings.TrimSpace(x)
		if s == "" || strings.ContainsAny(s, " \t\n") {
			return strconv.Quote(s)
		}
		return s
	case map[string]any, []any:
		b, err := json.Marshal(x)
		if err != nil {
			return fmt.Sprint(x)
		}
		return string(b)
	default:
		return fmt.Sprint(x)
	}
}
