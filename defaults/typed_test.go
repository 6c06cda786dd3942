package defaults

import (
	"encoding/json"
	"reflect"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	kjson "sigs.k8s.io/json"
)

// checkTypedPaths holds the typed path to the full one on an input: when the object decodes
// into its Go type (here with sigs.k8s.io/json; webhooks.TestTypedPathAnswersAsTheFullPath holds
// the webhook's own decoder to the same answers), NotWebSocket may only say so when Evaluate
// finds the object not WebSocket and changes and reports nothing, and EvaluateTyped must give
// exactly Evaluate's result. checkInvariants runs it on every table row and fuzz input.
func checkTypedPaths(t *testing.T, in *unstructured.Unstructured, policy Policy, facts Facts, want Result) {
	t.Helper()
	gk := in.GroupVersionKind().GroupKind()
	typed := NewTyped(gk)
	if typed == nil {
		return
	}
	raw, err := json.Marshal(in.Object)
	if err != nil {
		t.Fatal(err)
	}
	if err := kjson.UnmarshalCaseSensitivePreserveInts(raw, typed); err != nil {
		return // the webhook then takes only the full path
	}
	if typed.(runtime.Object).GetObjectKind().GroupVersionKind().GroupKind() != gk {
		return
	}
	if NotWebSocket(typed, policy, facts) {
		if want.WebSocket || len(want.Changes) > 0 || len(want.Violations) > 0 || len(want.Warnings) > 0 {
			t.Errorf("NotWebSocket says not WebSocket, but Evaluate finds WebSocket=%v, %d changes, %d violations, %d warnings",
				want.WebSocket, len(want.Changes), len(want.Violations), len(want.Warnings))
		}
	} else if _, marked := in.GetAnnotations()[AnnotationWebSocket]; !marked && !want.WebSocket && len(want.Changes) == 0 && len(want.Violations) == 0 {
		// Not wrong, but the fast path would be missed for no reason.
		t.Errorf("NotWebSocket is unsure of an object Evaluate finds not WebSocket")
	}
	got := EvaluateTyped(in, typed, policy, facts)
	got.Object, want.Object = nil, nil
	if !reflect.DeepEqual(got, want) {
		t.Errorf("EvaluateTyped differs from Evaluate:\n typed %s\n full  %s", mustJSON(got), mustJSON(want))
	}
}
