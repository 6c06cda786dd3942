package defaults

import (
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// lbTestIngress parses an Ingress manifest into the typed form that Facts carry.
func lbTestIngress(t testing.TB, manifest string) networkingv1.Ingress {
	t.Helper()
	var ing networkingv1.Ingress
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(object(t, manifest).Object, &ing); err != nil {
		t.Fatal(err)
	}
	return ing
}

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
		return Facts{Ingresses: ptrs(lbTestIngress(t, manifest))}
	}
	off := false
	noAffinity := DefaultPolicy()
	noAffinity.Affinity.Enabled = &off

	runRuleCases(t, []ruleCase{
		{
			name:    "a Service behind a Traefik Ingress gets a sticky cookie (class-name fallback)",
			obj:     settledService,
			facts:   behind(traefikFrontIngress),
			changes: traefikSticky,
		},
		{
			name: "the controller is resolved through the IngressClass object",
			obj:  settledService,
			facts: Facts{
				Ingresses:      ptrs(lbTestIngress(t, replaceOnce(traefikFrontIngress, "ingressClassName: traefik", "ingressClassName: web"))),
				IngressClasses: ptrs(ingressClass("web", ControllerTraefik, false)),
			},
			changes: traefikSticky,
		},
		{
			name: "an IngressClass object named traefik for another controller wins over the name",
			obj:  settledService,
			facts: Facts{
				Ingresses:      ptrs(lbTestIngress(t, traefikFrontIngress)),
				IngressClasses: ptrs(ingressClass("traefik", "example.com/other", false)),
			},
		},
		{
			name: "an Ingress without class is served by the default IngressClass",
			obj:  settledService,
			facts: Facts{
				Ingresses:      ptrs(lbTestIngress(t, replaceOnce(traefikFrontIngress, "  ingressClassName: traefik\n", ""))),
				IngressClasses: ptrs(ingressClass("web", ControllerTraefik, true)),
			},
			changes: traefikSticky,
		},
		{
			name:    "the legacy class annotation counts",
			obj:     settledService,
			facts:   behind(replaceOnce(traefikFrontIngress, "spec:\n  ingressClassName: traefik\n", "  annotations: {kubernetes.io/ingress.class: traefik}\nspec:\n")),
			changes: traefikSticky,
		},
		{
			name: "a default backend counts as routing to the Service",
			obj:  settledService,
			facts: behind(replaceOnce(replaceOnce(traefikFrontIngress, "service: {name: chat,", "service: {name: other,"),
				"  rules:\n", "  defaultBackend:\n    service: {name: chat, port: {number: 80}}\n  rules:\n")),
			changes: traefikSticky,
		},
		{
			name:  "sticky.cookie written by the user, even false, is kept and no name is added",
			obj:   annotated(settledService, `traefik.ingress.kubernetes.io/service.sticky.cookie: "false"`),
			facts: behind(traefikFrontIngress),
		},
		{
			name:    "a cookie name written by the user is kept",
			obj:     annotated(settledService, "traefik.ingress.kubernetes.io/service.sticky.cookie.name: sid"),
			facts:   behind(traefikFrontIngress),
			changes: map[string]any{annotationPointer(annotationTraefikStickyCookie): "true"},
		},
		{
			name:  "affinity turned off by annotation",
			obj:   annotated(settledService, `wsguard.io/affinity: "false"`),
			facts: behind(traefikFrontIngress),
		},
		{
			name:   "affinity turned off by policy",
			obj:    settledService,
			facts:  behind(traefikFrontIngress),
			policy: &noAffinity,
		},
		{
			name:    "the policy's cookie name is used",
			obj:     settledService,
			facts:   behind(traefikFrontIngress),
			policy:  &Policy{Enforcement: Enforce, TimeoutSeconds: 3600, MinTimeoutSeconds: 3600, PreStopSeconds: 15, DrainSeconds: 30, Affinity: AffinityPolicy{CookieName: "SID", CookieMaxAgeSeconds: 60, ClientIPTimeoutSeconds: 60}},
			changes: map[string]any{annotationPointer(annotationTraefikStickyCookie): "true", annotationPointer(annotationTraefikStickyCookieName): "SID"},
		},
		{
			name:  "a Service behind an Ingress of another controller is untouched",
			obj:   settledService,
			facts: behind(replaceOnce(traefikFrontIngress, "ingressClassName: traefik", "ingressClassName: haproxy")),
		},
		{
			name:  "a Traefik Ingress that routes to another Service does not count",
			obj:   settledService,
			facts: behind(replaceOnce(traefikFrontIngress, "service: {name: chat,", "service: {name: other,")),
		},
		{
			name:  "a Traefik Ingress of another namespace does not count",
			obj:   settledService,
			facts: behind(replaceOnce(traefikFrontIngress, "namespace: demo", "namespace: elsewhere")),
		},
		{
			name:  "a Service without Ingress facts is untouched",
			obj:   settledService,
			facts: Facts{},
		},
		{
			name:     "serversscheme h2c on a WebSocket Service is warned about, with or without Ingress facts",
			obj:      annotated(settledService, "traefik.ingress.kubernetes.io/service.serversscheme: h2c"),
			warnings: []string{"traefik-service-h2c-scheme metadata.annotations[traefik.ingress.kubernetes.io/service.serversscheme]"},
		},
		{
			name:    "serversscheme http is not",
			obj:     annotated(settledService, "traefik.ingress.kubernetes.io/service.serversscheme: http"),
			facts:   behind(traefikFrontIngress),
			changes: traefikSticky,
		},
	})
}

// TestControllerOfIngress checks the order in which an Ingress's controller is resolved: the
// named IngressClass, the legacy annotation, the default IngressClass, the policy's mapping. Rules
// for the Ingress under review and Service rules reading Ingresses among the facts share it.
func TestControllerOfIngress(t *testing.T) {
	withClass := func(class string) string {
		return replaceOnce(traefikFrontIngress, "ingressClassName: traefik", "ingressClassName: "+class)
	}
	noClass := replaceOnce(traefikFrontIngress, "  ingressClassName: traefik\n", "")
	legacy := replaceOnce(traefikFrontIngress, "spec:\n  ingressClassName: traefik\n", "  annotations: {kubernetes.io/ingress.class: alb}\nspec:\n")
	classes := []networkingv1.IngressClass{
		ingressClass("web", ControllerHAProxy, false),
		ingressClass("fallback", ControllerGCE, true),
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
		{withClass("web"), Facts{IngressClasses: ptrs(classes...)}, DefaultPolicy(), ControllerHAProxy},
		{withClass("web"), Facts{}, DefaultPolicy(), ""},
		{withClass("custom"), Facts{}, mapped, ControllerTraefik},
		{noClass, Facts{IngressClasses: ptrs(classes...)}, DefaultPolicy(), ControllerGCE},
		{noClass, Facts{}, DefaultPolicy(), ""},
		{legacy, Facts{}, DefaultPolicy(), ControllerAWSALB},
	}
	for i, tc := range cases {
		ing := lbTestIngress(t, tc.manifest)
		if got := controllerOfIngress(&ing, &tc.facts, tc.policy); got != tc.want {
			t.Errorf("case %d: controllerOfIngress = %q, want %q", i, got, tc.want)
		}
	}
}
