package defaults

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"

	"k8s.io/apimachinery/pkg/runtime"
	kjson "sigs.k8s.io/json"
)

// A typed view is made once per evaluation by converting the whole object; each later change
// is applied to a copy of the last view instead. Converting a Deployment took about 15 µs, and
// the rules of a WebSocket Deployment read it again after each of their writes.

// followedView returns a copy of last with edits applied, or nil when an edit cannot be
// followed (a quiet removal, a path the Go type cannot hold, a value it cannot read): the
// caller then converts the whole object. T must have a generated DeepCopy.
func followedView[T any](last *T, edits []edit) *T {
	copier, ok := any(last).(interface{ DeepCopy() *T })
	if !ok {
		return nil
	}
	out := copier.DeepCopy()
	root := reflect.ValueOf(out).Elem()
	for _, e := range edits {
		if e.quiet || applyEdit(root, e.segs, e.value) != nil {
			return nil
		}
	}
	return out
}

// applyEdit writes value, a JSON value in unstructured form, at the JSON path segs of v, an
// addressable Go value. A field the Go type does not declare is not part of the view, so an
// edit there changes nothing.
func applyEdit(v reflect.Value, segs []string, value any) error {
	for i, seg := range segs {
		for v.Kind() == reflect.Pointer {
			if v.IsNil() {
				v.Set(reflect.New(v.Type().Elem()))
			}
			v = v.Elem()
		}
		rest := segs[i+1:]
		switch v.Kind() {
		case reflect.Struct:
			index, ok := jsonFieldIndex(v.Type(), seg)
			if !ok {
				return nil
			}
			v = v.FieldByIndex(index)
		case reflect.Map:
			if v.Type().Key().Kind() != reflect.String {
				return fmt.Errorf("a map keyed by %s", v.Type().Key())
			}
			if v.IsNil() {
				v.Set(reflect.MakeMap(v.Type()))
			}
			key := reflect.ValueOf(seg).Convert(v.Type().Key())
			// A map's values are not addressable: edit a copy and store it back.
			elem := reflect.New(v.Type().Elem()).Elem()
			if len(rest) > 0 {
				if old := v.MapIndex(key); old.IsValid() {
					elem.Set(old)
				}
			}
			if err := applyEdit(elem, rest, value); err != nil {
				return err
			}
			v.SetMapIndex(key, elem)
			return nil
		case reflect.Slice:
			idx, err := strconv.Atoi(seg)
			if err != nil || idx < 0 || idx >= v.Len() {
				return fmt.Errorf("no element %q", seg)
			}
			v = v.Index(idx)
		default:
			return fmt.Errorf("%s holds no %q", v.Type(), seg)
		}
	}
	return setJSONValue(v, value)
}

// setJSONValue replaces v with value read as v's type, as converting the object would read it:
// objects through the unstructured converter, anything else through JSON.
func setJSONValue(v reflect.Value, value any) error {
	v.SetZero()
	if value == nil {
		return nil
	}
	if _, custom := v.Addr().Interface().(json.Unmarshaler); !custom {
		// The common writes, without a round trip through JSON.
		switch x := value.(type) {
		case map[string]any:
			if v.Kind() == reflect.Struct {
				return runtime.DefaultUnstructuredConverter.FromUnstructured(x, v.Addr().Interface())
			}
		case string:
			if v.Kind() == reflect.String {
				v.SetString(x)
				return nil
			}
		case bool:
			if v.Kind() == reflect.Bool {
				v.SetBool(x)
				return nil
			}
		case int64:
			if v.CanInt() && !v.OverflowInt(x) {
				v.SetInt(x)
				return nil
			}
		}
	}
	raw, err := json.Marshal(value)
	if err != nil {
		return err
	}
	return kjson.UnmarshalCaseSensitivePreserveInts(raw, v.Addr().Interface())
}

// jsonFieldIndex finds the field of a struct type that JSON names name, looking into embedded
// structs that JSON inlines.
func jsonFieldIndex(t reflect.Type, name string) ([]int, bool) {
	fields, ok := jsonFieldsOf.Load(t)
	if !ok {
		fields, _ = jsonFieldsOf.LoadOrStore(t, jsonFields(t))
	}
	index, ok := fields.(map[string][]int)[name]
	return index, ok
}

// jsonFieldsOf memoises jsonFields by type. It holds what the Go types declare, the same for
// every evaluation, so the engine stays a function of its inputs; reading struct tags on each
// edit cost more than following the edit.
var jsonFieldsOf sync.Map // reflect.Type → map[string][]int

// jsonFields maps the JSON names of a struct type's fields to their index.
func jsonFields(t reflect.Type) map[string][]int {
	out := map[string][]int{}
	for i := range t.NumField() {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case tag == "-":
		case f.Anonymous && tag == "" && f.Type.Kind() == reflect.Struct:
			for name, index := range jsonFields(f.Type) {
				if _, shadowed := out[name]; !shadowed {
					out[name] = append([]int{i}, index...)
				}
			}
		case f.IsExported():
			if tag == "" {
				tag = f.Name
			}
			out[tag] = []int{i}
		}
	}
	return out
}
