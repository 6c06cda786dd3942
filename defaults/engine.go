package defaults

import (
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Kinds wsguard judges.
var (
	KindDeployment  = schema.GroupKind{Group: "apps", Kind: "Deployment"}
	KindStatefulSet = schema.GroupKind{Group: "apps", Kind: "StatefulSet"}
	KindDaemonSet   = schema.GroupKind{Group: "apps", Kind: "DaemonSet"}
	KindService     = schema.GroupKind{Group: "", Kind: "Service"}
	KindIngress     = schema.GroupKind{Group: "networking.k8s.io", Kind: "Ingress"}
	// KindHorizontalPodAutoscaler is judged through the workload its scaleTargetRef names.
	KindHorizontalPodAutoscaler = schema.GroupKind{Group: "autoscaling", Kind: "HorizontalPodAutoscaler"}

	KindVirtualService  = schema.GroupKind{Group: "networking.istio.io", Kind: "VirtualService"}
	KindDestinationRule = schema.GroupKind{Group: "networking.istio.io", Kind: "DestinationRule"}
	KindLinkerdServer   = schema.GroupKind{Group: "policy.linkerd.io", Kind: "Server"}
	KindHTTPRoute       = schema.GroupKind{Group: "gateway.networking.k8s.io", Kind: "HTTPRoute"}
	KindHTTPProxy       = schema.GroupKind{Group: "projectcontour.io", Kind: "HTTPProxy"}
	KindIngressRoute    = schema.GroupKind{Group: "traefik.io", Kind: "IngressRoute"}
	KindTraefikService  = schema.GroupKind{Group: "traefik.io", Kind: "TraefikService"}
	// KindLegacyIngressRoute is the IngressRoute of Traefik v2's first API group, judged only to
	// warn that Traefik v3 does not read it.
	KindLegacyIngressRoute = schema.GroupKind{Group: "traefik.containo.us", Kind: "IngressRoute"}
	// KindMapping (Emissary-ingress) is read as a fact only, never judged.
	KindMapping = schema.GroupKind{Group: "getambassador.io", Kind: "Mapping"}

	KindBackendTrafficPolicy = schema.GroupKind{Group: "gateway.envoyproxy.io", Kind: "BackendTrafficPolicy"}
	KindClientTrafficPolicy  = schema.GroupKind{Group: "gateway.envoyproxy.io", Kind: "ClientTrafficPolicy"}
)

// kindSupport says how to recognise WebSocket objects of one kind.
type kindSupport struct {
	// detect reports whether an object without an explicit AnnotationWebSocket carries WebSocket
	// traffic.
	detect func(*evaluation) bool
}

// kinds lists the kinds the engine judges; every other kind is returned untouched.
var kinds = map[schema.GroupKind]kindSupport{
	KindDeployment:  {detect: workloadIsWebSocket},
	KindStatefulSet: {detect: workloadIsWebSocket},
	KindDaemonSet:   {detect: workloadIsWebSocket},
	KindService:     {detect: serviceIsWebSocket},
	KindIngress:     {detect: ingressIsWebSocket},

	KindHorizontalPodAutoscaler: {detect: hpaIsWebSocket},

	KindVirtualService:  {detect: virtualServiceIsWebSocket},
	KindDestinationRule: {detect: destinationRuleIsWebSocket},
	KindLinkerdServer:   {detect: linkerdServerIsWebSocket},
	KindHTTPRoute:       {detect: httpRouteIsWebSocket},
	KindHTTPProxy:       {detect: httpProxyIsWebSocket},

	KindIngressRoute:       {detect: ingressRouteIsWebSocket},
	KindTraefikService:     {detect: traefikServiceIsWebSocket},
	KindLegacyIngressRoute: {detect: ingressRouteIsWebSocket},

	KindBackendTrafficPolicy: {detect: envoyPolicyIsWebSocket},
	KindClientTrafficPolicy:  {detect: envoyPolicyIsWebSocket},
}

// Kinds lists the kinds the engine judges, sorted.
func Kinds() []schema.GroupKind {
	out := make([]schema.GroupKind, 0, len(kinds))
	for gk := range kinds {
		out = append(out, gk)
	}
	slices.SortFunc(out, func(a, b schema.GroupKind) int { return strings.Compare(a.String(), b.String()) })
	return out
}

// Supports reports whether the engine judges objects of a kind.
func Supports(gk schema.GroupKind) bool {
	_, ok := kinds[gk]
	return ok
}

// Rules returns the catalog, in evaluation order.
func Rules() []Rule {
	return slices.Clone(catalog)
}

// RuleByID returns the rule with the given ID.
func RuleByID(id string) (Rule, bool) {
	for _, r := range catalog {
		if r.ID == id {
			return r, true
		}
	}
	return Rule{}, false
}

// Evaluate judges one object as if it were admitted into an opted-in namespace. It never
// changes obj: when rules inject defaults, Result.Object is a changed copy.
//
// Deciding whether the namespace opted in, and whether violations deny or warn, is the
// caller's business (see OptedIn and EnforcementFor): Evaluate reports what it finds.
func Evaluate(obj *unstructured.Unstructured, policy Policy, facts Facts) Result {
	return evaluate(obj, policy, facts, nil, nil)
}

// evaluate is Evaluate, with typed, when not nil, the object's first typed view (EvaluateTyped),
// and checkViews for tests (see evaluation.checkViews).
func evaluate(obj *unstructured.Unstructured, policy Policy, facts Facts, typed any, checkViews func(followed, converted any, err error)) Result {
	ev := &evaluation{
		p:          newPatcher(obj.Object),
		policy:     policy,
		facts:      &facts,
		gk:         obj.GroupVersionKind().GroupKind(),
		checkViews: checkViews,
	}
	if typed != nil {
		ev.seedView(typed)
	}
	ev.run()
	res := ev.result
	res.Object = obj
	if ev.p.working != nil {
		res.Object = &unstructured.Unstructured{Object: ev.p.working}
	}
	res.Changes = ev.p.changes
	if len(ev.released) > 0 {
		// wsguard's own values were taken out and the rules injected what applies now: the
		// changes are the difference between the input and the result.
		changes, err := ev.diffChanges(obj.Object)
		if err != nil {
			ev.malformed(err)
			res = ev.result
			res.Object = obj
			return res
		}
		res.Changes = changes
		if len(changes) == 0 {
			res.Object = obj
		}
	}
	return res
}

// evaluation is the state of one Evaluate call. Rules read the object through it and write
// only through its patcher, so every change is recorded.
type evaluation struct {
	p      *patcher
	policy Policy
	facts  *Facts
	gk     schema.GroupKind
	result Result
	rule   string                   // the rule that is running, for attribution
	skip   map[string]bool          // rules skipped by annotation
	views  map[schema.GroupKind]any // typed read-only views, keyed by kind
	viewAt map[schema.GroupKind]int // number of changes when each view was made
	annots map[string]string        // annotations as they were before any rule ran
	// controller is the Ingress controller serving the object, once resolved (inScope).
	controller *string
	// released are wsguard's own values taken out before the rules ran (releaseOwned); owns are
	// the values the rules injected, recorded in AnnotationDefaults.
	released []releasedValue
	owns     []ownedWrite
	// serviceMemo keeps what detection concluded about each Service (webSocketService).
	serviceMemo map[*corev1.Service]serviceMemo
	// factViews are the custom resources among the facts, each read once (factView).
	factViews map[*unstructured.Unstructured]any
	// checkViews, set only by tests, is given each view made by following edits together with
	// the whole object converted afresh, which it must equal.
	checkViews func(followed, converted any, err error)
}

// ownedWrite is a value a rule injected and wsguard owns until the user changes it.
type ownedWrite struct {
	rule string
	segs []string
}

func (ev *evaluation) run() {
	support, ok := kinds[ev.gk]
	if !ok {
		return
	}
	ev.annots = stringMap(ev.p.object(), "metadata", "annotations")
	ev.rule = "websocket-annotation"
	if explicit, set := webSocketAnnotation(ev.annots); set {
		if !explicit {
			// Opted out: no rule runs, and none asks for the values wsguard injected before the
			// object opted out, so they go, as they would never have been injected on a new
			// cluster. Values the user changed stay.
			if ev.releaseOwned() {
				ev.recordOwned()
			}
			return
		}
		ev.because(Reason{SignalAnnotation, fmt.Sprintf("it is annotated %s: \"true\"", AnnotationWebSocket)})
	} else {
		if raw, present := ev.annots[AnnotationWebSocket]; present {
			ev.unsupported(annotationPath(AnnotationWebSocket), raw, "is not a valid value", `write "true" to mark the object as WebSocket or "false" to opt it out`)
			ev.result.WebSocket = true
			return
		}
		if !ev.recognised(support.detect) {
			return
		}
	}
	ev.result.WebSocket = true
	// Detection reads the object through its typed view; an object marked by annotation is
	// read here, so that no rule ever acts on a view that could not be made.
	if support.detect(ev); ev.failed() {
		return
	}
	if !ev.applyOverrides() {
		return // invalid overrides are violations; defaults computed from them would be wrong
	}
	ev.releaseOwned()
	for _, r := range catalog {
		if r.Kind != ev.gk || ev.skip[r.ID] || !ev.inScope(r) {
			continue
		}
		ev.rule = r.ID
		r.check(ev)
		if ev.p.err != nil {
			ev.malformed(ev.p.err)
		}
		if ev.failed() {
			return
		}
	}
	ev.recordAppliedRules()
	ev.recordOwned()
}

// inScope reports whether a rule's declared controller serves the object: Ingress rules of one
// controller run only on the Ingresses it serves, resolved once per evaluation.
func (ev *evaluation) inScope(r Rule) bool {
	if r.Controller == "" || ev.gk != KindIngress {
		return true
	}
	if ev.controller == nil {
		c := ingressController(ev)
		ev.controller = &c
	}
	return *ev.controller == r.Controller || (r.Controller == ControllerIngressNGINX && traefikServesAsIngressNGINX(ev.ingress(), *ev.controller))
}

// recognised runs a detector; an object whose fields cannot be read as its kind is reported.
func (ev *evaluation) recognised(detect func(*evaluation) bool) bool {
	is := detect(ev)
	return is && !ev.failed()
}

// failed reports whether the object could not be read as its kind (see malformed).
func (ev *evaluation) failed() bool {
	return len(ev.result.Violations) > 0 && ev.result.Violations[len(ev.result.Violations)-1].Rule == ruleMalformed
}

const ruleMalformed = "malformed-object"

// recordAppliedRules adds the IDs of the rules that changed the object to AnnotationAppliedRules,
// keeping IDs that earlier admissions wrote there.
func (ev *evaluation) recordAppliedRules() {
	if len(ev.p.changes) == 0 {
		return
	}
	ids := strings.Split(ev.annots[AnnotationAppliedRules], ",")
	for _, c := range ev.p.changes {
		if c.Rule != RuleAppliedRules {
			ids = append(ids, c.Rule)
		}
	}
	ids = slices.DeleteFunc(ids, func(s string) bool { return strings.TrimSpace(s) == "" })
	slices.Sort(ids)
	ids = slices.Compact(ids)
	value := strings.Join(ids, ",")
	if value == ev.annots[AnnotationAppliedRules] {
		return
	}
	ev.rule = RuleAppliedRules
	ev.p.write(ev.rule, "recorded the rules that changed this object", value, annotationField(AnnotationAppliedRules).segs)
}

// Rules write only through the helpers below, which name the field once (a fieldPath) for the
// patch, the report and the message, and decide when a write is allowed.

// setDefault writes a default for the running rule when the field is empty (missing or null),
// and reports whether it wrote. A value the user wrote is never replaced.
func (ev *evaluation) setDefault(path fieldPath, value any, why string) bool {
	if !ev.p.empty(path.segs) {
		return false
	}
	ev.p.write(ev.rule, fmt.Sprintf("set %s=%s (%s)", path, renderValue(value), why), value, path.segs)
	ev.owns = append(ev.owns, ownedWrite{ev.rule, path.segs})
	return true
}

// setAnnotationDefault writes an annotation for the running rule when it is absent.
func (ev *evaluation) setAnnotationDefault(key, value, why string) bool {
	return ev.setDefault(annotationField(key), value, why)
}

// replaceServerDefault writes value over what is there. It is only for fields that the API
// server fills in before admission webhooks run (terminationGracePeriodSeconds: 30,
// sessionAffinity: None), where the webhook cannot tell the server's default from a user's
// value; each caller says which server default it replaces, and its docs say how to keep it.
func (ev *evaluation) replaceServerDefault(path fieldPath, value any, why string) {
	ev.p.write(ev.rule, fmt.Sprintf("set %s=%s (%s)", path, renderValue(value), why), value, path.segs)
	ev.owns = append(ev.owns, ownedWrite{ev.rule, path.segs})
}

// mergeInto writes merged, the user's value with what the rule adds (added) merged in, over the
// user's value: lists of names or attributes that wsguard extends and never shortens.
func (ev *evaluation) mergeInto(path fieldPath, merged any, added, why string) {
	ev.p.write(ev.rule, fmt.Sprintf("added %s to %s (%s)", added, path, why), merged, path.segs)
}

// listInAnnotation makes a comma-separated annotation list every entry of want: written whole
// when the annotation is absent, otherwise the user's list kept as written with the missing
// entries appended (entries compared trimmed, so that " chat" is not listed twice).
func (ev *evaluation) listInAnnotation(key string, want []string, why string) {
	raw, present := ev.annotation(key)
	if !present {
		ev.setAnnotationDefault(key, strings.Join(want, ","), why)
		return
	}
	listed := map[string]bool{}
	for entry := range strings.SplitSeq(raw, ",") {
		listed[strings.TrimSpace(entry)] = true
	}
	var missing []string
	for _, entry := range want {
		if !listed[entry] {
			missing = append(missing, entry)
		}
	}
	if len(missing) == 0 {
		return
	}
	merged := strings.Join(missing, ",")
	if kept := strings.TrimRight(raw, ", \t"); kept != "" {
		merged = kept + "," + merged
	}
	ev.mergeInto(annotationField(key), merged, strings.Join(missing, ","), why)
}

// annotation returns an annotation of the object as it is now.
func (ev *evaluation) annotation(key string) (string, bool) {
	v, ok := ev.p.get("metadata", "annotations", key)
	s, isString := v.(string)
	return s, ok && isString
}

// violate reports a value that breaks WebSocket traffic.
func (ev *evaluation) violate(path *field.Path, value, reason, fix string) {
	ev.report(field.ErrorTypeInvalid, path, value, reason, fix)
}

// require reports a value that WebSocket traffic needs and the object lacks.
func (ev *evaluation) require(path *field.Path, reason, fix string) {
	ev.report(field.ErrorTypeRequired, path, "", reason, fix)
}

// unsupported reports a value from a fixed set (a protocol, a mode) that cannot carry
// WebSocket traffic.
func (ev *evaluation) unsupported(path *field.Path, value, reason, fix string) {
	ev.report(field.ErrorTypeNotSupported, path, value, reason, fix)
}

func (ev *evaluation) report(t field.ErrorType, path *field.Path, value, reason, fix string) {
	ev.result.Violations = append(ev.result.Violations, Violation{Rule: ev.rule, Type: t, Path: path, Value: value, Reason: reason, Fix: fix})
}

// warn reports advice that never blocks.
func (ev *evaluation) warn(path *field.Path, message string) {
	f := ""
	if path != nil {
		f = path.String()
	}
	ev.result.Warnings = append(ev.result.Warnings, Warning{Rule: ev.rule, Field: f, Message: message})
}

// malformed reports that the object's fields cannot be read as its kind, and stops evaluation.
func (ev *evaluation) malformed(err error) {
	ev.result.Violations = append(ev.result.Violations, Violation{
		Rule:   ruleMalformed,
		Type:   field.ErrorTypeInvalid,
		Reason: fmt.Sprintf("cannot be read as a %s: %v", ev.gk.Kind, err),
		Fix:    "correct the object so that it matches the " + ev.gk.Kind + " schema",
	})
}

// annotationPath is the field path of an annotation, as Kubernetes prints it.
func annotationPath(key string) *field.Path {
	return annotationField(key).Field()
}

// stringMap reads a map of strings at path; values that are not strings are left out.
func stringMap(obj map[string]any, path ...string) map[string]string {
	m, _, _ := unstructured.NestedFieldNoCopy(obj, path...)
	raw, _ := m.(map[string]any)
	out := make(map[string]string, len(raw))
	for k, v := range raw {
		if s, ok := v.(string); ok {
			out[k] = s
		}
	}
	return out
}
