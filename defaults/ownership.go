package defaults

import (
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"gomodules.xyz/jsonpatch/v2"
)

// AnnotationDefaults is written by wsguard: the values it injected, by JSON pointer, as it
// injected them. A value that still equals its record is wsguard's, not the user's: it follows
// the policy and the object's overrides when they change, and it gives way when the user picks
// an alternative (upstream-hash-by instead of the affinity cookie, an httpGet preStop hook
// instead of the sleep, a simple load balancer instead of consistent hashing). A value the user
// changed is the user's from then on, and is never touched again.
const AnnotationDefaults = "wsguard.io/defaults"

// RuleReleased attributes the removal of a value wsguard had injected and no rule asks for any
// more.
const RuleReleased = "released-default"

// ownedValue is one entry of AnnotationDefaults. Names holds, for the list indexes of its
// pointer (by position in the pointer), the name of the element there when it has one
// (containers, ports): kubectl apply merges such lists by name, so an element inserted before
// it moves wsguard's value to another index, where releaseOwned finds it by name.
type ownedValue struct {
	Rule  string         `json:"rule"`
	Value any            `json:"value"`
	Names map[int]string `json:"names,omitempty"`
}

// readOwned parses AnnotationDefaults; a record that is not wsguard's JSON is ignored, so that
// nothing is taken from the user on the strength of it.
func readOwned(raw string) map[string]ownedValue {
	if raw == "" {
		return nil
	}
	var m map[string]ownedValue
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		return nil
	}
	return m
}

// releaseOwned takes wsguard's own values out of the object before the rules run, so that
// rules judge the object as its author wrote it and inject again what the policy, the overrides
// and the author's choices call for now. Values the user changed are no longer wsguard's and
// stay. It returns whether anything was taken out.
func (ev *evaluation) releaseOwned() bool {
	owned := readOwned(ev.annots[AnnotationDefaults])
	released := false
	for _, ptr := range slices.Sorted(maps.Keys(owned)) {
		segs, err := SplitJSONPointer(ptr)
		if err != nil || len(segs) == 0 {
			continue
		}
		if segs = ev.p.relocate(segs, owned[ptr].Names); segs == nil {
			continue // the named element is gone, and wsguard's value with it
		}
		current, ok := ev.p.get(segs...)
		if !ok {
			continue // the user removed it
		}
		if !reflect.DeepEqual(normaliseJSON(current), normaliseJSON(owned[ptr].Value)) {
			// The user changed it: theirs now, except the members of a union whose type the
			// user switched, which belong to wsguard's choice and not to theirs.
			if ev.releaseUnionMembers(segs, current, owned[ptr].Value, owned[ptr]) {
				released = true
			}
			continue
		}
		ev.p.removeQuietly(segs)
		ev.released = append(ev.released, releasedValue{pointer: JSONPointer(segs), owned: owned[ptr]})
		released = true
	}
	return released
}

// releaseUnionMembers handles an object default the user changed in part. Kubernetes-style
// unions (Envoy Gateway's loadBalancer, among others) name their alternative in a "type" field
// beside one member per alternative: when a client-side apply merges the user's
// {type: LeastRequest} into wsguard's {type: ConsistentHash, consistentHash: {...}}, the merged
// object holds the user's type with wsguard's member, and fails validation. Where the type in the
// object differs from the one wsguard wrote, the members wsguard wrote that still hold what it
// wrote are taken out (a member may have gained fields the CRD defaulted, or the user's client
// merged in: it belongs to the abandoned alternative all the same); where the
// types agree, the members are compared the same way one level down. Nothing else of a changed
// value is touched.
func (ev *evaluation) releaseUnionMembers(segs []string, current, owned any, record ownedValue) bool {
	cur, ok := current.(map[string]any)
	own, ok2 := owned.(map[string]any)
	if !ok || !ok2 {
		return false
	}
	released := false
	if t, ok := own["type"].(string); ok && cur["type"] != t {
		for _, k := range slices.Sorted(maps.Keys(own)) {
			if k == "type" || !holdsAll(normaliseJSON(cur[k]), normaliseJSON(own[k])) {
				continue
			}
			member := append(slices.Clip(segs), k)
			ev.p.removeQuietly(member)
			ev.released = append(ev.released, releasedValue{pointer: JSONPointer(member), owned: ownedValue{Rule: record.Rule, Value: own[k]}})
			released = true
		}
		return released
	}
	for _, k := range slices.Sorted(maps.Keys(own)) {
		if _, isMap := own[k].(map[string]any); isMap && !reflect.DeepEqual(normaliseJSON(cur[k]), normaliseJSON(own[k])) {
			if ev.releaseUnionMembers(append(slices.Clip(segs), k), cur[k], own[k], record) {
				released = true
			}
		}
	}
	return released
}

// holdsAll reports whether got holds everything want has: equal, or, for objects, every field of
// want held by got's field of that name, whatever else got has.
func holdsAll(got, want any) bool {
	g, ok := got.(map[string]any)
	w, ok2 := want.(map[string]any)
	if !ok || !ok2 {
		return reflect.DeepEqual(got, want)
	}
	for k, v := range w {
		if gv, present := g[k]; !present || !holdsAll(gv, v) {
			return false
		}
	}
	return true
}

type releasedValue struct {
	pointer string
	owned   ownedValue
}

// recordOwned writes AnnotationDefaults: what the rules injected in this evaluation (setDefault
// and replaceServerDefault, not merges into a user's value), with the values the object ends up
// with.
func (ev *evaluation) recordOwned() {
	record := map[string]ownedValue{}
	for _, o := range ev.owns {
		if v, ok := ev.p.get(o.segs...); ok {
			record[JSONPointer(o.segs)] = ownedValue{Rule: o.rule, Value: v, Names: ev.p.elementNames(o.segs)}
		}
	}
	value := ""
	if len(record) > 0 {
		b, err := json.Marshal(record)
		if err != nil {
			return
		}
		value = string(b)
	}
	if value == ev.annots[AnnotationDefaults] {
		return
	}
	ev.rule = RuleAppliedRules
	if value == "" {
		ev.p.removeQuietly(annotationField(AnnotationDefaults).segs)
		return
	}
	ev.p.write(ev.rule, "recorded the values wsguard injected", value, annotationField(AnnotationDefaults).segs)
}

// diffChanges turns an evaluation that released wsguard's values into the changes from the
// input to the result: a JSON patch computed from the two, each operation attributed to the
// rule that wrote the value, or to RuleReleased when a released value is simply gone. Values
// released and injected again unchanged make no operation at all.
func (ev *evaluation) diffChanges(original map[string]any) ([]Change, error) {
	before, err := json.Marshal(original)
	if err != nil {
		return nil, err
	}
	after, err := json.Marshal(ev.p.object())
	if err != nil {
		return nil, err
	}
	ops, err := jsonpatch.CreatePatch(before, after)
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(ops, func(a, b jsonpatch.Operation) int { return strings.Compare(a.Path, b.Path) })
	var out []Change
	for _, op := range ops {
		c := Change{Op: op.Operation, Path: op.Path, Value: op.Value}
		if w, ok := ev.writeCovering(op.Path); ok {
			c.Rule, c.Message = w.Rule, w.Message
		} else if r, ok := ev.releasedCovering(op.Path); ok {
			c.Rule = RuleReleased
			c.Message = fmt.Sprintf("removed %s, which wsguard had injected for %s and nothing asks for any more (the object chose otherwise, or an override or the policy changed)", fieldOfPointer(r.pointer), r.owned.Rule)
		} else {
			c.Rule, c.Message = RuleAppliedRules, "updated wsguard's bookkeeping"
		}
		out = append(out, c)
	}
	return out, nil
}

// writeCovering finds the rule write whose path is, or is under or above, a patch path.
func (ev *evaluation) writeCovering(path string) (Change, bool) {
	for i := len(ev.p.changes) - 1; i >= 0; i-- {
		c := ev.p.changes[i]
		if c.Path == path || strings.HasPrefix(path, c.Path+"/") || strings.HasPrefix(c.Path, path+"/") {
			return c, true
		}
	}
	return Change{}, false
}

func (ev *evaluation) releasedCovering(path string) (releasedValue, bool) {
	for _, r := range ev.released {
		if r.pointer == path || strings.HasPrefix(r.pointer, path+"/") || strings.HasPrefix(path, r.pointer+"/") {
			return r, true
		}
	}
	return releasedValue{}, false
}

// fieldOfPointer renders a JSON pointer as Kubernetes prints field paths: list indexes and
// map keys that are not plain field names (annotation keys) in brackets.
func fieldOfPointer(ptr string) string {
	segs, err := SplitJSONPointer(ptr)
	if err != nil {
		return ptr
	}
	var b strings.Builder
	for _, seg := range segs {
		if _, err := strconv.Atoi(seg); err == nil || strings.ContainsAny(seg, "./") {
			b.WriteString("[" + seg + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(seg)
	}
	return b.String()
}

// normaliseJSON makes numbers comparable whatever decoded them (int64, float64, json.Number).
func normaliseJSON(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		return v
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		return v
	}
	return out
}

// elementNames returns, for each list index along path, the name of the element there when it
// is an object with a name: the record keeps it (ownedValue.Names).
func (p *patcher) elementNames(path []string) map[int]string {
	var names map[int]string
	for i := range path {
		list, ok := p.getList(path[:i])
		if !ok {
			continue
		}
		if name, ok := elementName(list, path[i]); ok {
			if names == nil {
				names = map[int]string{}
			}
			names[i] = name
		}
	}
	return names
}

// relocate returns path with each list index that names records replaced by the index of the
// element of that name now, or nil when there is no such element any more.
func (p *patcher) relocate(path []string, names map[int]string) []string {
	if len(names) == 0 {
		return path
	}
	out := slices.Clone(path)
	for _, i := range slices.Sorted(maps.Keys(names)) {
		if i < 0 || i >= len(out) {
			return nil
		}
		list, ok := p.getList(out[:i])
		if !ok {
			return nil
		}
		at := slices.IndexFunc(list, func(e any) bool {
			m, ok := e.(map[string]any)
			return ok && m["name"] == names[i]
		})
		if at < 0 {
			return nil
		}
		out[i] = strconv.Itoa(at)
	}
	return out
}

func (p *patcher) getList(path []string) ([]any, bool) {
	v, ok := p.get(path...)
	list, isList := v.([]any)
	return list, ok && isList
}

// elementName is the name of the list element at index seg, if it has one.
func elementName(list []any, seg string) (string, bool) {
	i, err := strconv.Atoi(seg)
	if err != nil || i < 0 || i >= len(list) {
		return "", false
	}
	m, ok := list[i].(map[string]any)
	if !ok {
		return "", false
	}
	name, ok := m["name"].(string)
	return name, ok && name != ""
}
