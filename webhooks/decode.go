package webhooks

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/wsguard/wsguard/defaults"
)

// Reviews and the objects in them are decoded with encoding/json/v2 (its mirror module, which
// the standard library's package aliases from Go 1.27 on). It parses in one pass and skips a
// value without allocating, where encoding/json and sigs.k8s.io/json (its fork, which
// apimachinery uses) scan the whole input once to validate it and again to decode it; on a
// review that is not WebSocket, decoding was most of wsguard's CPU.
//
// The options keep what the API server's decoder accepts: names are matched case-sensitively
// (v2's default), a repeated name keeps its last value, and invalid UTF-8 is read as U+FFFD, as
// encoding/json does.
var wireOptions = json.JoinOptions(
	jsontext.AllowDuplicateNames(true),
	jsontext.AllowInvalidUTF8(true),
)

// typedOptions are wireOptions for the typed read of an object, which skips managedFields: no
// rule reads them, the API server sends them with every object, and each entry's fieldsV1 is a
// raw copy (the engine's own views leave them out too, see defaults.view).
var typedOptions = json.JoinOptions(wireOptions, json.WithUnmarshalers(
	json.UnmarshalFromFunc(func(dec *jsontext.Decoder, _ *[]metav1.ManagedFieldsEntry) error {
		return dec.SkipValue()
	}),
))

// decodeObject reads the request's object as unstructured, keeping integers as int64 (as
// apimachinery's JSON decoding does) and every field the Go types do not know.
func decodeObject(req admission.Request) (*unstructured.Unstructured, error) {
	raw := req.Object.Raw
	if len(raw) == 0 {
		return nil, fmt.Errorf("the request carries no object")
	}
	m, err := decodeJSONObject(raw)
	if err != nil {
		return nil, fmt.Errorf("the object is not valid JSON: %w", err)
	}
	if m == nil {
		return nil, fmt.Errorf("the object is empty")
	}
	obj := &unstructured.Unstructured{Object: m}
	if obj.GetKind() == "" {
		obj.SetGroupVersionKind(schemaGVK(req.Kind))
	}
	if obj.GroupVersionKind().GroupKind() != metav1GroupKind(req.Kind) {
		return nil, fmt.Errorf("the object is a %s but the request says %s", obj.GroupVersionKind().GroupKind(), metav1GroupKind(req.Kind))
	}
	return obj, nil
}

// errNotObject is a top-level value other than an object or null.
var errNotObject = errors.New("the value is not a JSON object")

// decodeJSONObject decodes a JSON object into the map form unstructured objects use: objects
// as map[string]any, arrays as []any, integers that fit as int64 and other numbers as float64.
// A top-level null gives a nil map.
func decodeJSONObject(raw []byte) (map[string]any, error) {
	dec := jsontext.NewDecoder(bytes.NewReader(raw), wireOptions)
	v, err := decodeJSONValue(dec)
	if err != nil {
		return nil, err
	}
	if _, err := dec.ReadToken(); err != io.EOF {
		return nil, errors.New("invalid data after the top-level value")
	}
	switch m := v.(type) {
	case map[string]any:
		return m, nil
	case nil:
		return nil, nil
	}
	return nil, errNotObject
}

func decodeJSONValue(dec *jsontext.Decoder) (any, error) {
	tok, err := dec.ReadToken()
	if err != nil {
		return nil, err
	}
	switch tok.Kind() {
	case '{':
		m := map[string]any{}
		for dec.PeekKind() != '}' {
			name, err := dec.ReadToken()
			if err != nil {
				return nil, err
			}
			key := name.String()
			v, err := decodeJSONValue(dec)
			if err != nil {
				return nil, err
			}
			m[key] = v
		}
		_, err := dec.ReadToken()
		return m, err
	case '[':
		s := []any{}
		for dec.PeekKind() != ']' {
			v, err := decodeJSONValue(dec)
			if err != nil {
				return nil, err
			}
			s = append(s, v)
		}
		_, err := dec.ReadToken()
		return s, err
	case '"':
		return tok.String(), nil
	case '0':
		if i, err := strconv.ParseInt(tok.String(), 10, 64); err == nil {
			return i, nil
		}
		return tok.Float() // an error beyond float64's range, as encoding/json
	case 't', 'f':
		return tok.Bool(), nil
	}
	return nil, nil // null
}

// decodeTyped reads the request's object into its Go type when the engine can recognise it from
// that alone (defaults.NewTyped), without managedFields (typedOptions). It returns nil when it
// cannot: another kind, an object that does not name its kind as the request does, or one that
// does not decode; decodeObject then reads it, and reports what is wrong.
func decodeTyped(req admission.Request, gk schema.GroupKind) (any, schema.GroupVersionKind) {
	typed := defaults.NewTyped(gk)
	if typed == nil || len(req.Object.Raw) == 0 {
		return nil, schema.GroupVersionKind{}
	}
	if err := json.Unmarshal(req.Object.Raw, typed, typedOptions); err != nil {
		return nil, schema.GroupVersionKind{}
	}
	obj, ok := typed.(runtime.Object)
	if !ok {
		return nil, schema.GroupVersionKind{}
	}
	gvk := obj.GetObjectKind().GroupVersionKind()
	if gvk.GroupKind() != gk {
		return nil, schema.GroupVersionKind{}
	}
	return typed, gvk
}
