package webhooks

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/go-logr/logr"
	"gomodules.xyz/jsonpatch/v2"
	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/wsguard/wsguard/defaults"
)

// factsSource is what a handler needs to know about an object's surroundings.
type factsSource interface {
	Namespace(ctx context.Context, name string) (*corev1.Namespace, error)
	Facts(ctx context.Context, ns *corev1.Namespace, gvk schema.GroupVersionKind) (defaults.Facts, error)
}

// handler serves one kind on one path: mutating (inject defaults, never deny) or validating
// (deny or warn on violations, never patch).
type handler struct {
	kind   servedKind
	mutate bool
	policy defaults.Policy
	facts  factsSource
	// ownNamespace is where wsguard runs; it and kube-system are never judged.
	ownNamespace string
	log          logr.Logger
	// fullPath turns off the typed pre-check (decodeTyped, defaults.NotWebSocket), so that a
	// test can hold the two paths to the same answers.
	fullPath bool
}

func (h *handler) webhookName() string {
	if h.mutate {
		return "mutate"
	}
	return "validate"
}

// Handle implements admission.Handler.
func (h *handler) Handle(ctx context.Context, req admission.Request) (resp admission.Response) {
	start := time.Now()
	defer func() {
		admissionDuration.WithLabelValues(h.webhookName(), h.kind.GroupKind.Kind, resultLabel(resp)).Observe(time.Since(start).Seconds())
	}()
	// zap encodes a logger's values when they are attached, so the request's are attached only
	// when a decision will be logged; errors attach them where they are logged.
	log := h.log
	if log.V(1).Enabled() {
		log = h.requestLog(req)
	}

	if req.Operation != admissionv1.Create && req.Operation != admissionv1.Update {
		return admission.Allowed("wsguard judges only CREATE and UPDATE")
	}
	gk := metav1GroupKind(req.Kind)
	if gk != h.kind.GroupKind {
		return admission.Errored(http.StatusBadRequest,
			fmt.Errorf("wsguard: %s serves %s, not %s", h.path(), h.kind.GroupKind, gk))
	}
	// The shipped webhook configurations exclude these namespaces; an edited or hand-written
	// configuration may not, and wsguard must never block its own rollout or the control plane's.
	if req.Namespace == metav1.NamespaceSystem || (h.ownNamespace != "" && req.Namespace == h.ownNamespace) {
		return admission.Allowed("wsguard never judges kube-system or its own namespace")
	}
	// Most objects are not WebSocket: read in their Go type, they are recognised as such without
	// the unstructured object (decodeTyped, defaults.NotWebSocket). Anything the typed read
	// cannot settle, malformed objects included, takes the full path below.
	var obj *unstructured.Unstructured
	var typed any
	var gvk schema.GroupVersionKind
	if !h.fullPath {
		typed, gvk = decodeTyped(req, gk)
	}
	if typed == nil {
		var err error
		if obj, err = decodeObject(req); err != nil {
			return admission.Errored(http.StatusBadRequest, fmt.Errorf("wsguard: %w", err))
		}
		gvk = obj.GroupVersionKind()
	}
	ns, err := h.facts.Namespace(ctx, req.Namespace)
	if err != nil {
		h.requestLog(req).Error(err, "cannot read the namespace")
		return admission.Errored(http.StatusInternalServerError, fmt.Errorf("wsguard: %w", err))
	}
	if !defaults.OptedIn(ns) {
		return admission.Allowed("namespace has not opted in to wsguard")
	}
	facts, err := h.facts.Facts(ctx, ns, gvk)
	if err != nil {
		h.requestLog(req).Error(err, "cannot gather facts")
		return admission.Errored(http.StatusInternalServerError, fmt.Errorf("wsguard: %w", err))
	}
	if typed != nil && defaults.NotWebSocket(typed, h.policy, facts) {
		return admission.Allowed("not WebSocket")
	}
	if obj == nil {
		if obj, err = decodeObject(req); err != nil {
			return admission.Errored(http.StatusBadRequest, fmt.Errorf("wsguard: %w", err))
		}
	}
	res := defaults.EvaluateTyped(obj, typed, h.policy, facts)
	if !res.WebSocket && len(res.Violations) == 0 && len(res.Changes) == 0 {
		return admission.Allowed("not WebSocket")
	}
	if h.mutate {
		return h.patchResponse(log, res)
	}
	resp = h.verdict(log, obj.GetName(), res, defaults.EnforcementFor(h.policy, ns, res))
	if problem := defaults.NamespaceEnforcementProblem(ns); problem != "" {
		resp.Warnings = append(resp.Warnings, "wsguard: "+problem)
	}
	return resp
}

// requestLog is the handler's logger with the request's identity attached.
func (h *handler) requestLog(req admission.Request) logr.Logger {
	return h.log.WithValues("uid", req.UID, "kind", req.Kind.Kind, "namespace", req.Namespace, "name", req.Name, "operation", req.Operation)
}

func (h *handler) path() string {
	if h.mutate {
		return h.kind.MutatePath()
	}
	return h.kind.ValidatePath()
}

// patchResponse turns the engine's changes into a JSON patch, each default also announced as a
// warning that names its rule.
func (h *handler) patchResponse(log logr.Logger, res defaults.Result) admission.Response {
	if len(res.Changes) == 0 {
		return admission.Allowed("nothing to default")
	}
	resp := admission.Allowed("")
	resp.Patches = make([]jsonpatch.JsonPatchOperation, 0, len(res.Changes))
	if s := res.Reason.Sentence(); s != "" {
		resp.Warnings = append(resp.Warnings, "wsguard: "+s)
	}
	for _, c := range res.Changes {
		resp.Patches = append(resp.Patches, jsonpatch.JsonPatchOperation{Operation: c.Op, Path: c.Path, Value: c.Value})
		if c.Rule != defaults.RuleAppliedRules {
			resp.Warnings = append(resp.Warnings, c.AdmissionWarning())
		}
	}
	for _, id := range res.ChangedBy() {
		ruleResults.WithLabelValues(id, outcomeDefaulted).Inc()
	}
	log.V(1).Info("injected defaults", "rules", res.ChangedBy())
	return resp
}

// verdict denies the object in enforce mode when it has violations, naming every offending
// field; in warn mode it admits it with the same messages as warnings.
func (h *handler) verdict(log logr.Logger, name string, res defaults.Result, mode defaults.Enforcement) admission.Response {
	var warnings []string
	for _, w := range res.Warnings {
		warnings = append(warnings, w.AdmissionWarning())
		ruleResults.WithLabelValues(w.Rule, outcomeWarned).Inc()
	}
	if len(res.Violations) == 0 {
		return admission.Allowed("").WithWarnings(warnings...)
	}
	if mode == defaults.Warn {
		if s := res.Reason.Sentence(); s != "" {
			warnings = append(warnings, "wsguard: "+s)
		}
		for _, v := range res.Violations {
			warnings = append(warnings, v.WarnModeWarning())
			ruleResults.WithLabelValues(v.Rule, outcomeWarned).Inc()
		}
		return admission.Allowed("").WithWarnings(warnings...)
	}
	for _, v := range res.Violations {
		ruleResults.WithLabelValues(v.Rule, outcomeDenied).Inc()
	}
	log.V(1).Info("denied", "violations", len(res.Violations))
	resp := admission.Denied("")
	resp.Result = denial(h.kind.GroupKind, name, res.Reason, res.Violations)
	resp.Warnings = warnings
	return resp
}

func resultLabel(r admission.Response) string {
	switch {
	case r.Result != nil && r.Result.Code >= 500:
		return "error"
	case r.Result != nil && r.Result.Code == http.StatusBadRequest:
		return "bad_request"
	case !r.Allowed:
		return "denied"
	case len(r.Patches) > 0:
		return "patched"
	default:
		return "allowed"
	}
}

func metav1GroupKind(k metav1.GroupVersionKind) schema.GroupKind {
	return schema.GroupKind{Group: k.Group, Kind: k.Kind}
}

func schemaGVK(k metav1.GroupVersionKind) schema.GroupVersionKind {
	return schema.GroupVersionKind{Group: k.Group, Version: k.Version, Kind: k.Kind}
}
