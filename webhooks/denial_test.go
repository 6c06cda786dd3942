package webhooks

import (
	"net/http"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/wsguard/wsguard/defaults"
)

// TestDenialIsAFieldErrorStatus checks that a denial carries what kubectl prints for one file:
// the kind and name, and per violation a cause of the violation's type whose message names the
// rule and does not repeat the field.
func TestDenialIsAFieldErrorStatus(t *testing.T) {
	violations := []defaults.Violation{
		{Rule: "gke-backend-timeout", Type: field.ErrorTypeRequired, Path: field.NewPath("spec", "defaultBackend", "service"),
			Reason: "routes WebSocket traffic to a Service without a BackendConfig", Fix: "add one"},
		{Rule: "ingress-nginx-backend-protocol", Type: field.ErrorTypeNotSupported,
			Path:  field.NewPath("metadata", "annotations").Key("nginx.ingress.kubernetes.io/backend-protocol"),
			Value: "GRPC", Reason: "cannot carry the Upgrade", Fix: `write "HTTP"`},
	}
	st := denial(defaults.KindIngress, "chat", defaults.Reason{Signal: defaults.SignalPortName, Detail: `its backend port "ws" is named as WebSocket`}, violations)
	if st.Code != http.StatusUnprocessableEntity || st.Reason != metav1.StatusReasonInvalid {
		t.Errorf("code %d reason %s, want 422 Invalid", st.Code, st.Reason)
	}
	if st.Details == nil || st.Details.Kind != "Ingress" || st.Details.Group != "networking.k8s.io" || st.Details.Name != "chat" {
		t.Fatalf("details %+v do not name the Ingress chat", st.Details)
	}
	want := []metav1.StatusCause{
		{Type: metav1.CauseTypeFieldValueRequired, Field: "spec.defaultBackend.service",
			Message: "[gke-backend-timeout] routes WebSocket traffic to a Service without a BackendConfig; add one"},
		{Type: metav1.CauseTypeFieldValueNotSupported, Field: "metadata.annotations[nginx.ingress.kubernetes.io/backend-protocol]",
			Message: `[ingress-nginx-backend-protocol] "GRPC" cannot carry the Upgrade; write "HTTP"`},
	}
	if len(st.Details.Causes) != len(want) {
		t.Fatalf("causes %+v, want %+v", st.Details.Causes, want)
	}
	for i := range want {
		if st.Details.Causes[i] != want[i] {
			t.Errorf("cause %d:\n got  %+v\n want %+v", i, st.Details.Causes[i], want[i])
		}
	}
	wantMessage := defaults.DenialHeader + "\n" +
		"[gke-backend-timeout] spec.defaultBackend.service: routes WebSocket traffic to a Service without a BackendConfig; add one\n" +
		`[ingress-nginx-backend-protocol] metadata.annotations[nginx.ingress.kubernetes.io/backend-protocol]: "GRPC" cannot carry the Upgrade; write "HTTP"` + "\n" +
		`(recognised as WebSocket because its backend port "ws" is named as WebSocket)`
	if st.Message != wantMessage {
		t.Errorf("message:\n got  %s\n want %s", st.Message, wantMessage)
	}
}
