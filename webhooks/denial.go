package webhooks

import (
	"net/http"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/wsguard/wsguard/defaults"
)

// denial is the Status of a denied object, built the way apierrors.NewInvalid builds one from a
// field.ErrorList: 422 Invalid, the object's kind and name, and one cause per violation with
// the field error's type and path. Two kubectl paths read it, so both must read well:
//   - applying one file, kubectl prints `The <Kind> "<name>" is invalid:` and then each cause
//     as "<field>: <message>", so a cause's message names its rule and does not repeat the field;
//   - applying several, it prints the message, which the API server prefixes with the webhook's
//     name: a header, one line per violation with its rule and field, and why wsguard
//     recognised the object as WebSocket.
func denial(gk schema.GroupKind, name string, reason defaults.Reason, violations []defaults.Violation) *metav1.Status {
	causes := make([]metav1.StatusCause, 0, len(violations))
	lines := make([]string, 0, len(violations))
	for _, v := range violations {
		fe := v.FieldError()
		causes = append(causes, metav1.StatusCause{Type: metav1.CauseType(fe.Type), Field: fe.Field, Message: fe.Detail})
		lines = append(lines, v.DenialLine())
	}
	return &metav1.Status{
		Status:  metav1.StatusFailure,
		Code:    http.StatusUnprocessableEntity,
		Reason:  metav1.StatusReasonInvalid,
		Message: defaults.DenialHeader + "\n" + strings.Join(lines, "\n") + reasonLine(reason),
		Details: &metav1.StatusDetails{Group: gk.Group, Kind: gk.Kind, Name: name, Causes: causes},
	}
}

// reasonLine closes a denial's message with why the object was recognised as WebSocket.
func reasonLine(r defaults.Reason) string {
	if s := r.Sentence(); s != "" {
		return "\n(" + s + ")"
	}
	return ""
}
