package defaults

import (
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	networkingv1 "k8s.io/api/networking/v1"
)

// A Deployment as real manifests publish it: no port named ws, the image of a known app.
const grafanaDeployment = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: grafana, namespace: demo}
spec:
  selector: {matchLabels: {app: grafana}}
  template:
    metadata: {labels: {app: grafana}}
    spec:
      containers:
      - name: grafana
        image: mirror.example.com/dockerhub/grafana/grafana:11.2.0@sha256:0000000000000000000000000000000000000000000000000000000000000000
        ports: [{name: http, containerPort: 3000}]
        readinessProbe: {httpGet: {path: /api/health, port: 3000}}
      - name: sidecar
        image: busybox:1
`

const plainService = `
apiVersion: v1
kind: Service
metadata:
  name: grafana
  namespace: demo
  annotations:
    team: chat
spec:
  selector: {app: grafana}
  ports:
  - {name: http, port: 80, targetPort: http}
  - {name: stun, port: 3000, protocol: UDP}
`

const plainIngress = `
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: grafana
  namespace: demo
  annotations:
    team: chat
spec:
  ingressClassName: nginx
  rules:
  - http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: grafana, port: {name: http}}}}
`

func TestRecognition(t *testing.T) {
	grafana := typed[appsv1.Deployment](t, grafanaDeployment)
	declared := namespace(map[string]string{AnnotationWebSocket: "true"})
	declared.Name = "demo"
	nginxIngressDefaults := map[string]any{
		annotationPointer(annotationIngressNGINXProxyReadTimeout): "3600",
		annotationPointer(annotationIngressNGINXProxySendTimeout): "3600",
		annotationPointer(annotationIngressNGINXAffinity):         "cookie",
		annotationPointer(annotationIngressNGINXAffinityMode):     "persistent",
		annotationPointer(annotationIngressNGINXCookieName):       DefaultCookieName,
		annotationPointer(annotationIngressNGINXCookieMaxAge):     "86400",
	}
	serviceAffinity := map[string]any{"/spec/sessionAffinity": "ClientIP", "/spec/sessionAffinityConfig": map[string]any{"clientIP": map[string]any{"timeoutSeconds": 10800}}}
	runRuleCases(t, []ruleCase{
		{
			name: "a known application's image, behind a registry mirror with tag and digest, makes its container WebSocket",
			obj:  grafanaDeployment,
			changes: map[string]any{
				"/spec/template/spec/containers/0/lifecycle":        map[string]any{"preStop": map[string]any{"sleep": map[string]any{"seconds": 15}}},
				"/spec/template/spec/terminationGracePeriodSeconds": 45,
			},
		},
		{
			name:         "an image that only shares a name suffix is not a known application",
			obj:          replaceOnce(grafanaDeployment, "dockerhub/grafana/grafana", "acme/not-grafana"),
			notWebSocket: true,
		},
		{
			name:     "a Service that sends a TCP port to a known application's port is WebSocket; its UDP port is not",
			obj:      plainService,
			facts:    Facts{Deployments: ptrs(grafana)},
			changes:  serviceAffinity,
			warnings: []string{"service-workloads-without-defaults "},
		},
		{
			name:         "a Service whose ports do not reach the application's WebSocket port is not WebSocket",
			obj:          replaceOnce(plainService, "targetPort: http", "targetPort: 9090"),
			facts:        Facts{Deployments: ptrs(grafana)},
			notWebSocket: true,
		},
		{
			name:    "an Ingress to the Service of a known application is WebSocket",
			obj:     plainIngress,
			facts:   Facts{Services: ptrs(service(t, plainService)), Deployments: ptrs(grafana)},
			changes: nginxIngressDefaults,
		},
		{
			name:    "a namespace's declaration makes its HTTP Services WebSocket",
			obj:     replaceOnce(plainService, "app: grafana}", "app: other}"),
			facts:   Facts{Namespace: declared},
			changes: serviceAffinity,
		},
		{
			name:         "a namespace's declaration does not cover UDP, gRPC or database ports",
			obj:          replaceOnce(replaceOnce(plainService, "app: grafana}", "app: other}"), "{name: http, port: 80, targetPort: http}", "{name: grpc-api, port: 80}"),
			facts:        Facts{Namespace: declared},
			notWebSocket: true,
		},
		{
			name:         "a namespace's declaration: wsguard.io/websocket \"false\" on the Service still opts out",
			obj:          annotated(plainService, `wsguard.io/websocket: "false"`),
			facts:        Facts{Namespace: declared},
			notWebSocket: true,
		},
		{
			name:     "an ingress-nginx snippet that forwards the Upgrade header declares the route WebSocket",
			obj:      annotated(plainIngress, `nginx.ingress.kubernetes.io/configuration-snippet: "proxy_set_header Upgrade $http_upgrade;"`),
			facts:    Facts{Services: ptrs(service(t, plainService))},
			changes:  nginxIngressDefaults,
			warnings: []string{"ingress-nginx-snippet metadata.annotations[nginx.ingress.kubernetes.io/configuration-snippet]"},
		},
		{
			name:    "Contour's websocket-routes naming the rule's path declares it WebSocket",
			obj:     annotated(plainIngress, `projectcontour.io/websocket-routes: "/"`),
			facts:   Facts{Services: ptrs(service(t, plainService))},
			changes: nginxIngressDefaults,
		},
		{
			name: "a Service named in an F5 Ingress's websocket-services is WebSocket",
			obj:  plainService,
			facts: Facts{Ingresses: ptrs(typed[networkingv1.Ingress](t,
				annotated(plainIngress, `nginx.org/websocket-services: "grafana"`)))},
			changes: serviceAffinity,
		},
		{
			name: "an F5 Ingress's grpc-services backend is not a WebSocket path",
			obj: annotated(replaceOnce(plainIngress, "ingressClassName: nginx", "ingressClassName: nginx-org"),
				`nginx.org/grpc-services: "grafana"`),
			facts:        Facts{Services: ptrs(service(t, plainService)), Deployments: ptrs(grafana)},
			notWebSocket: true,
		},
	})
}

func TestRecognitionSaysWhy(t *testing.T) {
	grafana := typed[appsv1.Deployment](t, grafanaDeployment)
	for _, tc := range []struct {
		name     string
		obj      string
		facts    Facts
		signal   Signal
		inferred bool
		mentions string
	}{
		{"own image", grafanaDeployment, Facts{}, SignalKnownApp, true, "container grafana runs mirror.example.com/dockerhub/grafana/grafana:11.2.0@sha256:0000000000000000000000000000000000000000000000000000000000000000 (Grafana serves WebSockets on port 3000)"},
		{"own image, even when a Service selects it because of that image", grafanaDeployment, Facts{Services: ptrs(service(t, plainService)), Deployments: ptrs(grafana)}, SignalKnownApp, true, "because container grafana runs mirror.example.com"},
		{"a Service of a known app", plainService, Facts{Deployments: ptrs(grafana)}, SignalKnownApp, true, "sends port 80 to Deployment grafana, whose container grafana runs mirror.example.com/dockerhub/grafana/grafana"},
		{"a port name", replaceOnce(plainService, "name: http,", "name: ws,"), Facts{}, SignalPortName, false, `port "ws" of Service grafana`},
		{"an annotation", annotated(plainService, `wsguard.io/websocket: "true"`), Facts{}, SignalAnnotation, false, "annotated wsguard.io/websocket"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := Evaluate(object(t, tc.obj), DefaultPolicy(), tc.facts)
			if res.Reason.Signal != tc.signal || res.Reason.Inferred() != tc.inferred || !strings.Contains(res.Reason.Sentence(), tc.mentions) {
				t.Errorf("reason %+v (inferred %v), want signal %s inferred %v mentioning %q", res.Reason, res.Reason.Inferred(), tc.signal, tc.inferred, tc.mentions)
			}
		})
	}
}

func TestImagePath(t *testing.T) {
	for in, want := range map[string]string{
		"grafana/grafana":                              "grafana/grafana",
		"docker.io/grafana/grafana:11.2.0":             "grafana/grafana",
		"docker.io/library/nginx:1.27@sha256:abcd":     "nginx",
		"localhost:5000/team/app":                      "team/app",
		"ghcr.io/Home-Assistant/home-assistant:stable": "home-assistant/home-assistant",
		"registry:5000/app":                            "app",
		"":                                             "",
	} {
		if got := imagePath(in); got != want {
			t.Errorf("imagePath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPolicyKnownApps(t *testing.T) {
	p, err := ParsePolicy([]byte("knownApps:\n- name: Chat\n  images: [registry.corp/platform/chat]\n  ports: [8080]\n"))
	if err != nil {
		t.Fatal(err)
	}
	app, ok := p.knownApp("mirror.corp/platform/chat:2")
	if !ok || app.Name != "Chat" {
		t.Errorf("the policy's app is not matched: %v %v", app, ok)
	}
	if _, err := ParsePolicy([]byte("knownApps:\n- name: Chat\n  images: [chat]\n")); err == nil || !strings.Contains(err.Error(), "knownApps[0]") {
		t.Errorf("an app without ports is accepted: %v", err)
	}
	if _, err := ParsePolicy([]byte("inferredEnforcement: deny\n")); err == nil {
		t.Errorf("an unknown inferredEnforcement is accepted")
	}
}

// TestCatalogEntriesCiteSources holds the promise of the catalog: every entry says where the
// application says it serves WebSockets.
func TestCatalogEntriesCiteSources(t *testing.T) {
	if n := len(KnownApps()); n < 40 {
		t.Errorf("the catalog has %d applications; at least 40 are promised", n)
	}
	for _, a := range KnownApps() {
		if a.Source == nil || a.Source.Repo == "" || a.Source.Path == "" || a.Why == "" {
			t.Errorf("%s cites no source", a.Name)
		}
	}
}
