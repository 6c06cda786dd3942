package defaults

import (
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Helpers shared by the HAProxy, Traefik, AWS ALB and GKE tables ("lb" for load balancer).

// lbAnnotated adds annotations (YAML lines "key: value") to a test manifest that carries the
// placeholder annotation "team: chat".
func lbAnnotated(manifest string, lines ...string) string {
	extra := ""
	for _, l := range lines {
		extra += "    " + l + "\n"
	}
	return replaceOnce(manifest, "    team: chat\n", "    team: chat\n"+extra)
}

// lbTestIngressClass builds an IngressClass for Facts.
func lbTestIngressClass(name, controller string, isDefault bool) networkingv1.IngressClass {
	ic := networkingv1.IngressClass{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:       networkingv1.IngressClassSpec{Controller: controller},
	}
	if isDefault {
		ic.Annotations = map[string]string{annotationDefaultIngressClass: "true"}
	}
	return ic
}

// lbTestIngress parses an Ingress manifest into the typed form that Facts carry.
func lbTestIngress(t testing.TB, manifest string) networkingv1.Ingress {
	t.Helper()
	var ing networkingv1.Ingress
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(object(t, manifest).Object, &ing); err != nil {
		t.Fatal(err)
	}
	return ing
}

// traefikService is a WebSocket Service whose other settings are already what the Service rules
// want, so that rows show only what the Traefik rule does.
const traefikService = `
apiVersion: v1
kind: Service
metadata:
  name: chat
  namespace: demo
  annotations:
    team: chat
spec:
  selector: {app: chat}
  sessionAffinity: ClientIP
  ports:
  - {name: ws, port: 80, targetPort: 8080, appProtocol: kubernetes.io/ws}
`

// traefikFrontIngress routes to the Service "chat"; rows change its class and backend.
const traefikFrontIngress = `
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: chat
  namespace: demo
spec:
  ingressClassName: traefik
  rules:
  - http:
      paths:
      - path: /ws
        pathType: Prefix
        backend:
          service: {name: chat, port: {number: 80}}
`

// traefikSticky is what the rule writes under the default policy.
var traefikSticky = map[string]any{
	annotationPointer(annotationTraefikStickyCookie):     "true",
	annotationPointer(annotationTraefikStickyCookieName): DefaultCookieName,
}

// TestTraefikRules is the table of the Traefik rules, which judge Services.
func TestTraefikRules(t *testing.T) {
	behind := func(manifest string) Facts {
		return Facts{Ingresses: []networkingv1.Ingress{lbTestIngress(t, manifest)}}
	}
	off := false
	noAffinity := DefaultPolicy()
	noAffinity.Affinity.Enabled = &off

	runRuleCases(t, []ruleCase{
		{
			name:    "a Service behind a Traefik Ingress gets a sticky cookie (class-name fallback)",
			obj:     traefikService,
			facts:   behind(traefikFrontIngress),
			changes: traefikSticky,
		},
		{
			name: "the controller is resolved through the IngressClass object",
			obj:  traefikService,
			facts: Facts{
				Ingresses:      []networkingv1.Ingress{lbTestIngress(t, replaceOnce(traefikFrontIngress, "ingressClassName: traefik", "ingressClassName: web"))},
				IngressClasses: []networkingv1.IngressClass{lbTestIngressClass("web", ControllerTraefik, false)},
			},
			changes: traefikSticky,
		},
		{
			name: "an IngressClass object named traefik for another controller wins over the name",
			obj:  traefikService,
			facts: Facts{
				Ingresses:      []networkingv1.Ingress{lbTestIngress(t, traefikFrontIngress)},
				IngressClasses: []networkingv1.IngressClass{lbTestIngressClass("traefik", "example.com/other", false)},
			},
		},
		{
			name: "an Ingress without class is served by the default IngressClass",
			obj:  traefikService,
			facts: Facts{
				Ingresses:      []networkingv1.Ingress{lbTestIngress(t, replaceOnce(traefikFrontIngress, "  ingressClassName: traefik\n", ""))},
				IngressClasses: []networkingv1.IngressClass{lbTestIngressClass("web", ControllerTraefik, true)},
			},
			changes: traefikSticky,
		},
		{
			name:    "the legacy class annotation counts",
			obj:     traefikService,
			facts:   behind(replaceOnce(traefikFrontIngress, "spec:\n  ingressClassName: traefik\n", "  annotations: {kubernetes.io/ingress.class: traefik}\nspec:\n")),
			changes: traefikSticky,
		},
		{
			name: "a default backend counts as routing to the Service",
			obj:  traefikService,
			facts: behind(replaceOnce(replaceOnce(traefikFrontIngress, "service: {name: chat,", "service: {name: other,"),
				"  rules:\n", "  defaultBackend:\n    service: {name: chat, port: {number: 80}}\n  rules:\n")),
			changes: traefikSticky,
		},
		{
			name:  "sticky.cookie written by the user, even false, is kept and no name is added",
			obj:   lbAnnotated(traefikService, `traefik.ingress.kubernetes.io/service.sticky.cookie: "false"`),
			facts: behind(traefikFrontIngress),
		},
		{
			name:    "a cookie name written by the user is kept",
			obj:     lbAnnotated(traefikService, "traefik.ingress.kubernetes.io/service.sticky.cookie.name: sid"),
			facts:   behind(traefikFrontIngress),
			changes: map[string]any{annotationPointer(annotationTraefikStickyCookie): "true"},
		},
		{
			name:  "affinity turned off by annotation",
			obj:   lbAnnotated(traefikService, `wsguard.io/affinity: "false"`),
			facts: behind(traefikFrontIngress),
		},
		{
			name:   "affinity turned off by policy",
			obj:    traefikService,
			facts:  behind(traefikFrontIngress),
			policy: &noAffinity,
		},
		{
			name:    "the policy's cookie name is used",
			obj:     traefikService,
			facts:   behind(traefikFrontIngress),
			policy:  &Policy{Enforcement: Enforce, TimeoutSeconds: 3600, MinTimeoutSeconds: 3600, PreStopSeconds: 15, DrainSeconds: 30, Affinity: AffinityPolicy{CookieName: "SID", CookieMaxAgeSeconds: 60, ClientIPTimeoutSeconds: 60}},
			changes: map[string]any{annotationPointer(annotationTraefikStickyCookie): "true", annotationPointer(annotationTraefikStickyCookieName): "SID"},
		},
		{
			name:  "a Service behind an Ingress of another controller is untouched",
			obj:   traefikService,
			facts: behind(replaceOnce(traefikFrontIngress, "ingressClassName: traefik", "ingressClassName: haproxy")),
		},
		{
			name:  "a Traefik Ingress that routes to another Service does not count",
			obj:   traefikService,
			facts: behind(replaceOnce(traefikFrontIngress, "service: {name: chat,", "service: {name: other,")),
		},
		{
			name:  "a Traefik Ingress of another namespace does not count",
			obj:   traefikService,
			facts: behind(replaceOnce(traefikFrontIngress, "namespace: demo", "namespace: elsewhere")),
		},
		{
			name:  "a Service without Ingress facts is untouched",
			obj:   traefikService,
			facts: Facts{},
		},
		{
			name:     "serversscheme h2c on a WebSocket Service is warned about, with or without Ingress facts",
			obj:      lbAnnotated(traefikService, "traefik.ingress.kubernetes.io/service.serversscheme: h2c"),
			warnings: []string{"traefik-service-h2c-scheme metadata.annotations[traefik.ingress.kubernetes.io/service.serversscheme]"},
		},
		{
			name:    "serversscheme http is not",
			obj:     lbAnnotated(traefikService, "traefik.ingress.kubernetes.io/service.serversscheme: http"),
			facts:   behind(traefikFrontIngress),
			changes: traefikSticky,
		},
	})
}

// TestControllerOfIngressMatchesIngressController checks that the resolver used for Ingresses
// among the facts agrees with the one servedBy uses for the Ingress under review, so that a
// Service rule and an Ingress rule never disagree about who serves an Ingress.
func TestControllerOfIngressMatchesIngressController(t *testing.T) {
	withClass := func(class string) string {
		return replaceOnce(traefikFrontIngress, "ingressClassName: traefik", "ingressClassName: "+class)
	}
	noClass := replaceOnce(traefikFrontIngress, "  ingressClassName: traefik\n", "")
	legacy := replaceOnce(traefikFrontIngress, "spec:\n  ingressClassName: traefik\n", "  annotations: {kubernetes.io/ingress.class: alb}\nspec:\n")
	classes := []networkingv1.IngressClass{
		lbTestIngressClass("web", ControllerHAProxy, false),
		lbTestIngressClass("fallback", ControllerGCE, true),
	}
	mapped := DefaultPolicy()
	mapped.IngressClasses = map[string]string{"custom": ControllerTraefik}
	cases := []struct {
		manifest string
		facts    Facts
		policy   Policy
		want     string
	}{
		{withClass("traefik"), Facts{}, DefaultPolicy(), ControllerTraefik},
		{withClass("web"), Facts{IngressClasses: classes}, DefaultPolicy(), ControllerHAProxy},
		{withClass("web"), Facts{}, DefaultPolicy(), ""},
		{withClass("custom"), Facts{}, mapped, ControllerTraefik},
		{noClass, Facts{IngressClasses: classes}, DefaultPolicy(), ControllerGCE},
		{noClass, Facts{}, DefaultPolicy(), ""},
		{legacy, Facts{}, DefaultPolicy(), ControllerAWSALB},
	}
	for i, tc := range cases {
		ing := lbTestIngress(t, tc.manifest)
		got := controllerOfIngress(&ing, &tc.facts, tc.policy)
		ev := &evaluation{p: newPatcher(object(t, tc.manifest).Object), policy: tc.policy, facts: &tc.facts,
			gk: schema.GroupKind{Group: "networking.k8s.io", Kind: "Ingress"}}
		if viaEv := ingressController(ev); got != viaEv || got != tc.want {
			t.Errorf("case %d: controllerOfIngress = %q, ingressController = %q, want %q", i, got, viaEv, tc.want)
		}
	}
}
