package defaults

import (
	"fmt"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/runtime"
)

// patcher edits a copy of the object one field at a time and records each edit as a JSON-patch
// operation. Recording the edits, instead of diffing a re-encoded object, is what guarantees
// that only the fields a rule owns change and that fields unknown to the Go types survive.
type patcher struct {
	original map[string]any
	working  map[string]any // nil until the first edit (copy on write)
	changes  []Change
	// edits are every change made to the working copy, in order, the quiet removals included:
	// typed views follow them instead of converting the whole object again (followedView).
	edits []edit
	// err is the first write that could not be made: the path runs through a value that is
	// not an object or list (a manifest can hold "containers: [null]"). Nothing is written then.
	err error
}

func newPatcher(obj map[string]any) *patcher {
	return &patcher{original: obj}
}

// object is the current state: the original until the first edit.
func (p *patcher) object() map[string]any {
	if p.working != nil {
		return p.working
	}
	return p.original
}

func (p *patcher) writable() map[string]any {
	if p.working == nil {
		p.working = copyForWriting(p.original)
	}
	return p.working
}

// copyForWriting deep-copies obj except metadata.managedFields, which the copy shares: no rule
// writes there, and on an object sent by the API server they are often most of its size, so
// copying them was most of the cost of a first write.
func copyForWriting(obj map[string]any) map[string]any {
	meta, ok := obj["metadata"].(map[string]any)
	managed, has := meta["managedFields"]
	if !ok || !has {
		return runtime.DeepCopyJSON(obj)
	}
	out := make(map[string]any, len(obj))
	for k, v := range obj {
		if k != "metadata" {
			out[k] = runtime.DeepCopyJSONValue(v)
		}
	}
	m := make(map[string]any, len(meta))
	for k, v := range meta {
		if k != "managedFields" {
			m[k] = runtime.DeepCopyJSONValue(v)
		}
	}
	m["managedFields"] = managed
	out["metadata"] = m
	return out
}

// get returns the value at path and whether it exists. Path elements index maps by key and
// lists by decimal index.
func (p *patcher) get(path ...string) (any, bool) {
	var node any = p.object()
	for _, seg := range path {
		switch n := node.(type) {
		case map[string]any:
			v, ok := n[seg]
			if !ok {
				return nil, false
			}
			node = v
		case []any:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(n) {
				return nil, false
			}
			node = n[i]
		default:
			return nil, false
		}
	}
	return node, true
}

// removeQuietly deletes the value at path, and the maps that deleting it leaves empty, without
// recording an operation: Evaluate then computes the changes from the input and the result
// (diffChanges). Used only to take wsguard's own values out before the rules run.
func (p *patcher) removeQuietly(path []string) {
	if len(path) == 0 {
		return
	}
	// parents are the maps on the way, with the key under which each holds the next node; a
	// list on the way stops pruning there, since an index must keep its meaning.
	type parent struct {
		m   map[string]any
		key string
	}
	var parents []parent
	var node any = p.writable()
	for _, seg := range path[:len(path)-1] {
		switch n := node.(type) {
		case map[string]any:
			parents = append(parents, parent{n, seg})
			node = n[seg]
		case []any:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(n) {
				return
			}
			parents = nil
			node = n[i]
		default:
			return
		}
	}
	m, ok := node.(map[string]any)
	if !ok {
		return
	}
	if _, ok := m[path[len(path)-1]]; !ok {
		return
	}
	delete(m, path[len(path)-1])
	p.edits = append(p.edits, edit{quiet: true})
	for i := len(parents) - 1; i >= 0 && len(m) == 0; i-- {
		delete(parents[i].m, parents[i].key)
		m = parents[i].m
	}
}

// edit is one change to the working copy: value written at segs, or a quiet removal, which
// views do not follow.
type edit struct {
	segs  []string
	value any
	quiet bool
}

// version changes whenever the object does, so that typed views are remade.
func (p *patcher) version() int { return len(p.edits) }

// empty reports whether nothing is at path: the field is missing or null.
func (p *patcher) empty(path []string) bool {
	v, ok := p.get(path...)
	return !ok || v == nil
}

// write sets value at path in the working copy, whatever is there, and records the operation.
// It decides nothing: the evaluation's helpers (setDefault, replaceServerDefault, mergeInto)
// decide when a write is allowed, and rules write only through them. At the first missing map
// it adds the rest of the path as one nested value, because JSON patch cannot add below a
// parent that does not exist.
func (p *patcher) write(rule, message string, value any, path []string) {
	var node any = p.writable()
	for i, seg := range path {
		last := i == len(path)-1
		var (
			child  any
			exists bool
		)
		switch n := node.(type) {
		case map[string]any:
			child, exists = n[seg]
			if exists && child == nil {
				exists = false // an explicit null is replaced like a missing field
			}
			if last || !exists {
				op := "add"
				if exists {
					op = "replace"
				}
				v := nest(value, path[i+1:])
				n[seg] = v
				p.record(rule, message, op, path[:i+1], runtime.DeepCopyJSONValue(v))
				return
			}
		case []any:
			idx, err := strconv.Atoi(seg)
			if err != nil || idx < 0 || idx >= len(n) {
				p.fail(fmt.Errorf("%s has no element %q", JSONPointer(path[:i]), seg))
				return
			}
			if last {
				n[idx] = value
				p.record(rule, message, "replace", path, runtime.DeepCopyJSONValue(value))
				return
			}
			child = n[idx]
		default:
			p.fail(fmt.Errorf("%s is %s, not an object or a list", JSONPointer(path[:i]), describe(node)))
			return
		}
		node = child
	}
}

// fail keeps the first write error; the evaluation reports it and stops.
func (p *patcher) fail(err error) {
	if p.err == nil {
		p.err = err
	}
}

func describe(v any) string {
	if v == nil {
		return "null"
	}
	return fmt.Sprintf("a %T", v)
}

func (p *patcher) record(rule, message, op string, path []string, value any) {
	p.changes = append(p.changes, Change{Rule: rule, Op: op, Path: JSONPointer(path), Value: value, Message: message})
	p.edits = append(p.edits, edit{segs: path, value: value})
}

// nest wraps value in one map per remaining path element.
func nest(value any, rest []string) any {
	for i := len(rest) - 1; i >= 0; i-- {
		value = map[string]any{rest[i]: value}
	}
	return value
}

// pointerEscaper escapes a JSON pointer segment; it is safe for concurrent use.
var pointerEscaper = strings.NewReplacer("~", "~0", "/", "~1")

// pointerUnescaper undoes pointerEscaper. "~1" is replaced before "~0", as RFC 6901 requires,
// so that "~01" reads back as "~1" and not as "/".
var pointerUnescaper = strings.NewReplacer("~1", "/", "~0", "~")

// JSONPointer renders a path as a JSON pointer (RFC 6901): "~" becomes "~0" and "/" becomes
// "~1". The empty path is the empty pointer, which points at the whole document. Change.Path
// is written with it; SplitJSONPointer reads it back.
func JSONPointer(path []string) string {
	var b strings.Builder
	for _, seg := range path {
		b.WriteByte('/')
		b.WriteString(pointerEscaper.Replace(seg))
	}
	return b.String()
}

// SplitJSONPointer splits a JSON pointer (RFC 6901) into its unescaped segments: the inverse
// of JSONPointer. The empty pointer has no segments; anything else must start with "/".
func SplitJSONPointer(p string) ([]string, error) {
	if p == "" {
		return nil, nil
	}
	if !strings.HasPrefix(p, "/") {
		return nil, fmt.Errorf("%q is not a JSON pointer", p)
	}
	segs := strings.Split(p[1:], "/")
	for i, s := range segs {
		segs[i] = pointerUnescaper.Replace(s)
	}
	return segs, nil
}
