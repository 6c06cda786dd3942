package defaults

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// haproxyIngress routes /ws to a port named "ws", which alone marks it as WebSocket. The class
// name "haproxy" resolves through the built-in mapping when no IngressClass object is known.
const haproxyIngress = `
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: chat
  namespace: demo
  annotations:
    team: chat
spec:
  ingressClassName: haproxy
  rules:
  - host: chat.example.com
    http:
      paths:
      - path: /ws
        pathType: Prefix
        backend:
          service: {name: chat, port: {name: ws}}
`

// haproxyCookie is what haproxy-cookie-persistence writes under the default policy.
var haproxyCookie = map[string]any{annotationPointer(annotationHAProxyCookiePersistence): DefaultCookieName}

// TestHAProxyIngressRules is the table of the HAProxy rules that judge Ingresses.
func TestHAProxyIngressRules(t *testing.T) {
	const snippet = "haproxy.org/backend-config-snippet"
	snippetViolation := "haproxy-tunnel-timeout-snippet metadata.annotations[" + snippet + "]"
	chatWith := func(annotations string) []*corev1.Service {
		return ptrs(service(t, `
apiVersion: v1
kind: Service
metadata: {name: chat, namespace: demo, annotations: {`+annotations+`}}
spec:
  ports: [{name: ws, port: 80}]`))
	}

	runRuleCases(t, []ruleCase{
		{
			name:    "a sticky cookie is defaulted (class-name fallback)",
			obj:     haproxyIngress,
			changes: haproxyCookie,
		},
		{
			name:    "the controller is resolved through the IngressClass object",
			obj:     replaceOnce(haproxyIngress, "ingressClassName: haproxy", "ingressClassName: public"),
			facts:   Facts{IngressClasses: ptrs(ingressClass("public", ControllerHAProxy, false))},
			changes: haproxyCookie,
		},
		{
			name:    "the legacy class annotation counts",
			obj:     replaceOnce(annotated(haproxyIngress, "kubernetes.io/ingress.class: haproxy"), "  ingressClassName: haproxy\n", ""),
			changes: haproxyCookie,
		},
		{
			name:  "an IngressClass object named haproxy for another controller wins over the name",
			obj:   annotated(haproxyIngress, "haproxy.org/timeout-tunnel: 1h"),
			facts: Facts{IngressClasses: ptrs(ingressClass("haproxy", "example.com/other", false))},
		},
		{
			name: "an Ingress of another controller is untouched",
			obj: replaceOnce(annotated(haproxyIngress, "haproxy.org/timeout-tunnel: 1h", snippet+": timeout tunnel 5s"),
				"ingressClassName: haproxy", "ingressClassName: traefik"),
		},
		{
			name: "a cookie the user chose is kept, under any prefix",
			obj:  annotated(haproxyIngress, "haproxy.com/cookie-persistence: SID"),
		},
		{
			name: "cookie-persistence-no-dynamic on the Ingress blocks the default (the controller refuses both)",
			obj:  annotated(haproxyIngress, "ingress.kubernetes.io/cookie-persistence-no-dynamic: SID"),
		},
		{
			name:  "a cookie on the backend Service blocks the default",
			obj:   haproxyIngress,
			facts: Facts{Services: chatWith(`haproxy.org/cookie-persistence-no-dynamic: SID`)},
		},
		{
			name:    "an unrelated annotation on the backend Service does not",
			obj:     haproxyIngress,
			facts:   Facts{Services: chatWith(`haproxy.org/load-balance: leastconn`)},
			changes: haproxyCookie,
		},
		{
			name: "affinity turned off by annotation",
			obj:  annotated(haproxyIngress, `wsguard.io/affinity: "false"`),
		},
		{
			name: "skip-rules turns the default off",
			obj:  annotated(haproxyIngress, "wsguard.io/skip-rules: haproxy-cookie-persistence"),
		},
		{
			name:    "timeout-tunnel and timeout-client on an Ingress are warned about",
			obj:     annotated(haproxyIngress, "haproxy.org/timeout-tunnel: 2h", "ingress.kubernetes.io/timeout-client: 2h"),
			changes: haproxyCookie,
			warnings: []string{
				"haproxy-configmap-only-timeout metadata.annotations[haproxy.org/timeout-tunnel]",
				"haproxy-configmap-only-timeout metadata.annotations[ingress.kubernetes.io/timeout-client]",
			},
		},
		{
			name:    "timeout-server, which the controller honours on an Ingress, is not warned about",
			obj:     annotated(haproxyIngress, "haproxy.org/timeout-server: 2h"),
			changes: haproxyCookie,
		},
		{
			name:       "a short timeout tunnel in backend-config-snippet is denied",
			obj:        annotated(haproxyIngress, snippet+": timeout tunnel 30s"),
			changes:    haproxyCookie,
			violations: []string{snippetViolation},
		},
		{
			name:       "a timeout without unit is milliseconds, so 3600 is denied",
			obj:        annotated(haproxyIngress, snippet+": timeout tunnel 3600"),
			changes:    haproxyCookie,
			violations: []string{snippetViolation},
		},
		{
			name:    "a long timeout tunnel among other lines and comments passes",
			obj:     annotated(haproxyIngress, snippet+": |", "  option http-server-close", "  timeout   tunnel 2h  # keep sockets", "  # timeout tunnel 1s"),
			changes: haproxyCookie,
		},
		{
			name:     "a timeout tunnel HAProxy cannot read is warned about",
			obj:      annotated(haproxyIngress, snippet+": timeout tunnel forever"),
			changes:  haproxyCookie,
			warnings: []string{"haproxy-tunnel-timeout-snippet metadata.annotations[" + snippet + "]"},
		},
		{
			name:    "the minimum follows the per-object override",
			obj:     annotated(haproxyIngress, snippet+": timeout tunnel 10m", `wsguard.io/timeout-seconds: "600"`),
			changes: haproxyCookie,
		},
	})
}

// TestHAProxyServiceRules is the table of the HAProxy rules that judge Services.
func TestHAProxyServiceRules(t *testing.T) {
	behindHAProxy := Facts{Ingresses: ptrs(lbTestIngress(t, haproxyIngress))}
	runRuleCases(t, []ruleCase{
		{
			name:     "timeout-tunnel under the legacy prefix is warned about behind an HAProxy Ingress",
			obj:      annotated(settledService, "ingress.kubernetes.io/timeout-tunnel: 2h"),
			facts:    behindHAProxy,
			warnings: []string{"haproxy-service-configmap-only-timeout metadata.annotations[ingress.kubernetes.io/timeout-tunnel]"},
		},
		{
			name: "the legacy prefix is not judged without an HAProxy Ingress (other controllers read it)",
			obj:  annotated(settledService, "ingress.kubernetes.io/timeout-tunnel: 2h", "ingress.kubernetes.io/backend-config-snippet: timeout tunnel 1s"),
		},
		{
			name:     "an HAProxy-only prefix is judged without Ingress facts",
			obj:      annotated(settledService, "haproxy.com/timeout-client: 2h"),
			warnings: []string{"haproxy-service-configmap-only-timeout metadata.annotations[haproxy.com/timeout-client]"},
		},
		{
			name:       "a short timeout tunnel in the Service's snippet is denied",
			obj:        annotated(settledService, "ingress.kubernetes.io/backend-config-snippet: timeout tunnel 1m"),
			facts:      behindHAProxy,
			violations: []string{"haproxy-service-tunnel-timeout-snippet metadata.annotations[ingress.kubernetes.io/backend-config-snippet]"},
		},
		{
			name:  "a long one passes",
			obj:   annotated(settledService, "haproxy.org/backend-config-snippet: timeout tunnel 1d"),
			facts: behindHAProxy,
		},
	})
}

// TestParseHAProxyTime pins the haproxy.cfg time format, milliseconds without a unit.
func TestParseHAProxyTime(t *testing.T) {
	for in, want := range map[string]int64{
		"3600": 3600, "5ms": 5, "30s": 30_000, "10m": 600_000, "1h": 3_600_000, "2d": 172_800_000, "1500us": 1,
	} {
		if got, ok := parseHAProxyTime(in); !ok || got != want {
			t.Errorf("parseHAProxyTime(%q) = %d, %v; want %d", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "s", "1x", "-5s", "1.5h", "h1"} {
		if _, ok := parseHAProxyTime(in); ok {
			t.Errorf("parseHAProxyTime(%q) accepted", in)
		}
	}
}
