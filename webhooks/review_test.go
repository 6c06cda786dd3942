package webhooks

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/go-logr/logr"
	"gomodules.xyz/jsonpatch/v2"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/wsguard/wsguard/defaults"
)

// TestReviewServerAnswersAsControllerRuntime sends the same requests to reviewServer and to
// controller-runtime's admission.Webhook around the same handler: well-formed reviews of both
// versions, and the bad ones (empty, not JSON, the wrong content type), including a handler
// that panics. The answers must be the same AdmissionReviews.
func TestReviewServerAnswersAsControllerRuntime(t *testing.T) {
	kind, _ := servedKindOf(defaults.KindDeployment)
	facts := fastPathFacts(t, nil, false)
	deployment := fastPathObjects(t, "../examples/deployment.yaml")[0]
	request := fastPathRequest(t, kind, deployment)
	plain := strings.NewReplacer("websocket", "http").Replace(string(request.Object.Raw))
	review := func(apiVersion, object string) string {
		r := request.AdmissionRequest
		r.Object.Raw = []byte(object)
		b, err := json.Marshal(map[string]any{"apiVersion": apiVersion, "kind": "AdmissionReview", "request": r})
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	handlers := map[string]admission.Handler{
		"mutate":   &handler{kind: kind, mutate: true, policy: defaults.DefaultPolicy(), facts: facts, log: logr.Discard()},
		"validate": &handler{kind: kind, policy: defaults.DefaultPolicy(), facts: facts, log: logr.Discard()},
		"patch": admission.HandlerFunc(func(context.Context, admission.Request) admission.Response {
			resp := admission.Allowed("")
			resp.Patches = []jsonpatch.JsonPatchOperation{{Operation: "add", Path: "/metadata/labels", Value: map[string]any{"a": "b"}}}
			return resp.WithWarnings("a warning")
		}),
		"panic": admission.HandlerFunc(func(context.Context, admission.Request) admission.Response { panic("boom") }),
	}
	bodies := map[string]struct{ body, contentType string }{
		"v1":               {review("admission.k8s.io/v1", string(request.Object.Raw)), "application/json"},
		"v1beta1":          {review("admission.k8s.io/v1beta1", string(request.Object.Raw)), "application/json"},
		"not WebSocket":    {review("admission.k8s.io/v1", plain), "application/json"},
		"object not JSON":  {review("admission.k8s.io/v1", `"just a string"`), "application/json"},
		"empty":            {"", "application/json"},
		"truncated":        {`{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {`, "application/json"},
		"wrong media type": {review("admission.k8s.io/v1", string(request.Object.Raw)), "text/plain"},
	}
	for hname, h := range handlers {
		ours := reviewServer{handler: h}
		theirs := (&admission.Webhook{Handler: h}).WithRecoverPanic(true)
		for bname, b := range bodies {
			got, want := serveReview(t, ours, b.body, b.contentType), serveReview(t, theirs, b.body, b.contentType)
			if _, typed := want["apiVersion"]; !typed {
				// admission.Webhook answers a body it cannot read with an AdmissionReview without
				// apiVersion and kind, which the API server refuses; reviewServer names them.
				if got["apiVersion"] != "admission.k8s.io/v1" || got["kind"] != "AdmissionReview" {
					t.Errorf("%s, %s: the answer is not an admission.k8s.io/v1 AdmissionReview: %v", hname, bname, got)
				}
				delete(got, "apiVersion")
				delete(got, "kind")
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s, %s:\n reviewServer         %v\n admission.Webhook %v", hname, bname, got, want)
			}
		}
	}
}

// serveReview posts body and returns the answer decoded, without the error messages, which
// name the decoder.
func serveReview(t *testing.T, h http.Handler, body, contentType string) map[string]any {
	req := httptest.NewRequest(http.MethodPost, "/", bytes.NewBufferString(body))
	if body == "" {
		req.Body = http.NoBody
	}
	req.Header.Set("Content-Type", contentType)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var out map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		t.Fatalf("the answer is not JSON: %v\n%s", err, rec.Body.String())
	}
	out["httpStatus"] = rec.Code
	if resp, ok := out["response"].(map[string]any); ok {
		if status, ok := resp["status"].(map[string]any); ok && status["code"] != float64(http.StatusOK) {
			status["message"] = "(the error)"
		}
	}
	return out
}
