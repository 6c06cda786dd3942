package defaults

import (
	"encoding/json"
	"k8s.io/apimachinery/pkg/api/equality"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	jsonpatch "github.com/evanphx/json-patch/v5"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"
)

// object parses a YAML manifest into an unstructured object, the way the webhook decodes one.
func object(t testing.TB, manifest string) *unstructured.Unstructured {
	t.Helper()
	js, err := yaml.YAMLToJSON([]byte(manifest))
	if err != nil {
		t.Fatalf("bad test manifest: %v\n%s", err, manifest)
	}
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(js); err != nil {
		t.Fatalf("bad test manifest: %v", err)
	}
	return u
}

// typed parses a manifest into the Go type that Facts carry.
func typed[T any](t testing.TB, manifest string) T {
	t.Helper()
	var v T
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(object(t, manifest).Object, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// service parses a Service manifest into the typed form that Facts carry.
func service(t testing.TB, manifest string) corev1.Service {
	t.Helper()
	return typed[corev1.Service](t, manifest)
}

// ruleCase is one row of a rule's table: an object, what it should be changed to, and what
// should be reported about it.
type ruleCase struct {
	name   string
	obj    string
	facts  Facts
	policy *Policy // nil means DefaultPolicy()
	// changes maps JSON pointers to the values the engine must write there. Rows list every
	// change except the applied-rules annotation, so an unexpected change fails the row.
	changes map[string]any
	// violations and warnings list "rule field" pairs that must be reported, and no others.
	violations []string
	warnings   []string
	// notWebSocket expects the object to be left alone as not WebSocket.
	notWebSocket bool
}

func runRuleCases(t *testing.T, cases []ruleCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			policy := DefaultPolicy()
			if tc.policy != nil {
				policy = *tc.policy
			}
			in := object(t, tc.obj)
			res := checkInvariants(t, in, policy, tc.facts)
			if res.WebSocket == tc.notWebSocket {
				t.Errorf("WebSocket = %v, want %v", res.WebSocket, !tc.notWebSocket)
			}
			got := map[string]any{}
			for _, c := range res.Changes {
				if c.Rule != "applied-rules" {
					got[c.Path] = c.Value
				}
			}
			want := tc.changes
			if want == nil {
				want = map[string]any{}
			}
			if !reflect.DeepEqual(normalise(t, got), normalise(t, want)) {
				t.Errorf("changes:\n got  %s\n want %s", mustJSON(got), mustJSON(want))
			}
			var gotV, gotW []string
			for _, v := range res.Violations {
				gotV = append(gotV, v.Rule+" "+v.Field())
				if v.Reason == "" || v.Fix == "" {
					t.Errorf("violation %s %s has no reason or fix", v.Rule, v.Field())
				}
			}
			for _, w := range res.Warnings {
				gotW = append(gotW, w.Rule+" "+w.Field)
			}
			sameSet(t, "violations", gotV, tc.violations)
			sameSet(t, "warnings", gotW, tc.warnings)
			checkDeclaredEffects(t, res)
		})
	}
}

// checkInvariants evaluates an object and asserts the engine's contract:
//   - the input object is not modified;
//   - applying Changes as a JSON patch to the input gives exactly Result.Object;
//   - evaluating Result.Object again changes nothing (idempotent, as reinvocation needs);
//   - the defaulted object has no violation the input did not already have.
func checkInvariants(t *testing.T, in *unstructured.Unstructured, policy Policy, facts Facts) Result {
	t.Helper()
	before := in.DeepCopy()
	res := Evaluate(in, policy, facts)
	if !reflect.DeepEqual(before.Object, in.Object) {
		t.Fatalf("Evaluate modified its input")
	}
	checkTypedPaths(t, in, policy, facts, res)
	checkFollowedViews(t, in, policy, facts, res)
	if len(res.Changes) == 0 {
		if res.Object != in {
			t.Errorf("no changes, but Result.Object is not the input")
		}
		return res
	}
	ops, err := json.Marshal(res.Changes)
	if err != nil {
		t.Fatal(err)
	}
	patch, err := jsonpatch.DecodePatch(ops)
	if err != nil {
		t.Fatalf("changes are not a JSON patch: %v\n%s", err, ops)
	}
	raw, _ := json.Marshal(in.Object)
	patched, err := patch.Apply(raw)
	if err != nil {
		t.Fatalf("patch does not apply to the input: %v\n%s", err, ops)
	}
	want, _ := json.Marshal(res.Object.Object)
	// Compared decoded: the patch library's Equal crashes on null list elements.
	var patchedDoc, wantDoc any
	if err := json.Unmarshal(patched, &patchedDoc); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(want, &wantDoc); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(patchedDoc, wantDoc) {
		t.Errorf("patch applied to the input differs from Result.Object:\n patched %s\n object  %s", patched, want)
	}
	again := Evaluate(res.Object, policy, facts)
	if len(again.Changes) != 0 {
		t.Errorf("not idempotent: a second evaluation changes %s", mustJSON(again.Changes))
	}
	for _, v := range again.Violations {
		if !slices.ContainsFunc(res.Violations, func(o Violation) bool { return o.Rule == v.Rule && o.Field() == v.Field() }) {
			t.Errorf("the defaulted object violates %s at %s: %s", v.Rule, v.Field(), v.Message())
		}
	}
	return res
}

// checkFollowedViews evaluates the object again, converting each typed view afresh beside the
// one made by following edits (followedView), and requires them equal, and the same result.
func checkFollowedViews(t *testing.T, in *unstructured.Unstructured, policy Policy, facts Facts, want Result) {
	t.Helper()
	followed := 0
	got := evaluate(in, policy, facts, nil, func(view, converted any, err error) {
		followed++
		if err != nil {
			t.Errorf("a view followed edits the converter fails on: %v", err)
		} else if !equality.Semantic.DeepEqual(view, converted) {
			t.Errorf("a view that followed edits differs from the object converted:\n followed  %s\n converted %s", mustJSON(view), mustJSON(converted))
		}
	})
	got.Object, want.Object = nil, nil
	if !reflect.DeepEqual(got, want) {
		t.Errorf("evaluation checking followed views differs:\n got  %s\n want %s", mustJSON(got), mustJSON(want))
	}
}

// checkDeclaredEffects fails when a rule did something its catalog entry does not declare.
func checkDeclaredEffects(t *testing.T, res Result) {
	t.Helper()
	did := func(id string, e Effect) {
		if r, ok := RuleByID(id); ok && !r.Effects.Has(e) {
			t.Errorf("rule %s %s, but its catalog entry declares only: %s", id, e, r.Effects)
		}
	}
	for _, c := range res.Changes {
		did(c.Rule, Defaults)
	}
	for _, v := range res.Violations {
		did(v.Rule, Denies)
	}
	for _, w := range res.Warnings {
		did(w.Rule, Warns)
	}
}

func sameSet(t *testing.T, what string, got, want []string) {
	t.Helper()
	sort.Strings(got)
	want = slices.Clone(want)
	sort.Strings(want)
	if !slices.Equal(got, want) {
		t.Errorf("%s:\n got  %q\n want %q", what, got, want)
	}
}

// normalise round-trips through JSON so that int and int64, or typed and untyped maps, compare equal.
func normalise(t *testing.T, v any) any {
	t.Helper()
	var out any
	if err := json.Unmarshal([]byte(mustJSON(v)), &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return "<" + err.Error() + ">"
	}
	return string(b)
}

// annotationPointer is the JSON pointer of an annotation, for the changes column of tables.
func annotationPointer(key string) string {
	return "/metadata/annotations/" + strings.ReplaceAll(key, "/", "~1")
}
