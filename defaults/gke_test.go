package defaults

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// gkeIngress routes /ws to port 80 of "chat", which the facts make a WebSocket Service, and /
// to "static", a plain HTTP Service. The class name "gce" resolves through the built-in mapping.
const gkeIngress = `
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: chat
  namespace: demo
  annotations:
    team: chat
spec:
  ingressClassName: gce
  rules:
  - http:
      paths:
      - path: /
        pathType: Prefix
        backend:
          service: {name: static, port: {number: 80}}
      - path: /ws
        pathType: Prefix
        backend:
          service: {name: chat, port: {number: 80}}
`

// gkeBackend is the field path of the WebSocket backend of gkeIngress.
const gkeBackend = "spec.rules[0].http.paths[1].backend.service"

// gkeChat is the WebSocket Service "chat" with the given annotations (a YAML flow mapping body).
func gkeChat(t *testing.T, annotations string) corev1.Service {
	return service(t, `
apiVersion: v1
kind: Service
metadata: {name: chat, namespace: demo, annotations: {`+annotations+`}}
spec:
  ports: [{name: ws, port: 80, targetPort: 8080}, {name: metrics, port: 9090}]`)
}

// gkeStatic is the plain HTTP Service "static", which has no BackendConfig and must not be judged.
func gkeStatic(t *testing.T) corev1.Service {
	return service(t, `
apiVersion: v1
kind: Service
metadata: {name: static, namespace: demo}
spec:
  ports: [{name: http, port: 80}]`)
}

// gkeTestBackendConfig is a BackendConfig of the namespace; spec is a YAML flow mapping body.
func gkeTestBackendConfig(t *testing.T, name, spec string) unstructured.Unstructured {
	return *object(t, `
apiVersion: cloud.google.com/v1
kind: BackendConfig
metadata: {name: `+name+`, namespace: demo}
spec: {`+spec+`}`)
}

// TestGKERules is the table of the GKE Ingress rule.
func TestGKERules(t *testing.T) {
	violation := []string{"gke-backend-timeout " + gkeBackend}
	facts := func(chatAnnotations string, configs ...unstructured.Unstructured) Facts {
		return Facts{
			Services:            ptrs(gkeStatic(t), gkeChat(t, chatAnnotations)),
			BackendConfigs:      configs,
			BackendConfigsKnown: true,
		}
	}
	const byDefault = `cloud.google.com/backend-config: '{"default":"chat-ws"}'`
	long := gkeTestBackendConfig(t, "chat-ws", "timeoutSec: 3600")
	short := gkeTestBackendConfig(t, "short", "timeoutSec: 30")
	lenient := DefaultPolicy()
	lenient.MinTimeoutSeconds = 600

	runRuleCases(t, []ruleCase{
		{
			name:  "a BackendConfig with a long timeoutSec passes (class-name fallback)",
			obj:   gkeIngress,
			facts: facts(byDefault, long),
		},
		{
			name:       "a BackendConfig without timeoutSec is denied: GKE's 30s default ends every WebSocket",
			obj:        gkeIngress,
			facts:      facts(byDefault, gkeTestBackendConfig(t, "chat-ws", "connectionDraining: {drainingTimeoutSec: 60}")),
			violations: violation,
		},
		{
			name:       "a short timeoutSec is denied",
			obj:        gkeIngress,
			facts:      facts(`cloud.google.com/backend-config: '{"default":"short"}'`, short),
			violations: violation,
		},
		{
			name:       "a timeoutSec that is not a number is denied",
			obj:        gkeIngress,
			facts:      facts(byDefault, gkeTestBackendConfig(t, "chat-ws", `timeoutSec: "1h"`)),
			violations: violation,
		},
		{
			name:   "the minimum comes from the policy",
			obj:    gkeIngress,
			facts:  facts(byDefault, gkeTestBackendConfig(t, "chat-ws", "timeoutSec: 900")),
			policy: &lenient,
		},
		{
			name:       "a WebSocket Service without backend-config is denied",
			obj:        gkeIngress,
			facts:      facts("team: chat", long),
			violations: violation,
		},
		{
			name:       "backend-config that is not JSON is denied",
			obj:        gkeIngress,
			facts:      facts(`cloud.google.com/backend-config: 'chat-ws'`, long),
			violations: violation,
		},
		{
			name:  "an entry for the port name wins over the default",
			obj:   gkeIngress,
			facts: facts(`cloud.google.com/backend-config: '{"default":"short","ports":{"ws":"chat-ws"}}'`, long, short),
		},
		{
			name:       "an entry for the port number wins over the default",
			obj:        gkeIngress,
			facts:      facts(`cloud.google.com/backend-config: '{"default":"chat-ws","ports":{"80":"short"}}'`, long, short),
			violations: violation,
		},
		{
			name:  "a backend that names the port by name finds the entry by number",
			obj:   replaceOnce(gkeIngress, "service: {name: chat, port: {number: 80}}", "service: {name: chat, port: {name: ws}}"),
			facts: facts(`cloud.google.com/backend-config: '{"ports":{"80":"chat-ws"}}'`, long),
		},
		{
			name:       "a port the Service does not declare is looked up as the backend writes it",
			obj:        replaceOnce(gkeIngress, "service: {name: chat, port: {number: 80}}", "service: {name: chat, port: {number: 8443}}"),
			facts:      facts(`cloud.google.com/backend-config: '{"default":"chat-ws","ports":{"8443":"short"}}'`, long, short),
			violations: violation,
		},
		{
			name:       "entries for other ports only, and no default, leave the 30s default",
			obj:        gkeIngress,
			facts:      facts(`cloud.google.com/backend-config: '{"ports":{"metrics":"chat-ws"}}'`, long),
			violations: violation,
		},
		{
			name:  "the legacy beta annotation is read",
			obj:   gkeIngress,
			facts: facts(`beta.cloud.google.com/backend-config: '{"default":"chat-ws"}'`, long),
		},
		{
			name:       "the v1 annotation wins over the beta one",
			obj:        gkeIngress,
			facts:      facts(`beta.cloud.google.com/backend-config: '{"default":"chat-ws"}', cloud.google.com/backend-config: '{"default":"short"}'`, long, short),
			violations: violation,
		},
		{
			name: "BackendConfigs that cannot be read give a warning, not a denial",
			obj:  gkeIngress,
			facts: Facts{
				Services: ptrs(gkeStatic(t), gkeChat(t, byDefault)),
			},
			warnings: violation,
		},
		{
			name:     "a BackendConfig that does not exist (yet) gives a warning",
			obj:      gkeIngress,
			facts:    facts(byDefault, short),
			warnings: violation,
		},
		{
			name:     "a backend whose Service cannot be seen gives a warning",
			obj:      replaceOnce(gkeIngress, "service: {name: chat, port: {number: 80}}", "service: {name: chat, port: {name: ws}}"),
			facts:    Facts{BackendConfigsKnown: true},
			warnings: violation,
		},
		{
			name:       "the legacy class annotation gce-internal counts",
			obj:        replaceOnce(annotated(gkeIngress, "kubernetes.io/ingress.class: gce-internal"), "  ingressClassName: gce\n", ""),
			facts:      facts("team: chat", long),
			violations: violation,
		},
		{
			name:       "the controller is resolved through the IngressClass object",
			obj:        replaceOnce(gkeIngress, "ingressClassName: gce", "ingressClassName: external"),
			facts:      gkeWithClasses(facts("team: chat", long), ingressClass("external", ControllerGCE, false)),
			violations: violation,
		},
		{
			name:  "an IngressClass object named gce for another controller wins over the name",
			obj:   gkeIngress,
			facts: gkeWithClasses(facts("team: chat", long), ingressClass("gce", "example.com/other", false)),
		},
		{
			name:  "an Ingress of another controller is untouched",
			obj:   replaceOnce(gkeIngress, "ingressClassName: gce", "ingressClassName: traefik"),
			facts: facts("team: chat", long),
		},
		{
			name:  "skip-rules turns the rule off",
			obj:   annotated(gkeIngress, "wsguard.io/skip-rules: gke-backend-timeout"),
			facts: facts("team: chat", long),
		},
	})
}

// gkeWithClasses adds IngressClasses to facts.
func gkeWithClasses(f Facts, classes ...networkingv1.IngressClass) Facts {
	f.IngressClasses = append(f.IngressClasses, ptrs(classes...)...)
	return f
}
