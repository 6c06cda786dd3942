package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/client-go/util/jsonpath"

	"github.com/wsguard/wsguard/defaults"
)

// gitopsCase is the GitOps sequence for one rule that injects: apply original, in which the
// rule injects its default, then apply edited, in which the user picks an alternative to that
// default or adds an override the rule honours. original and edited are manifests with %NAME%
// for the object's name; fields is a kubectl JSONPath template read from the stored object,
// defaulted its output after the first apply and stored its output after the second.
type gitopsCase struct {
	rule              string
	original, edited  string
	fields            string
	defaulted, stored string
}

// gitopsNamespace is opted in to wsguard and holds nothing but these cases and their
// prerequisites, so that no other spec's Services or Ingresses change what the rules see.
const gitopsNamespace = "gitops"

// gitopsBackend is the WebSocket Service the DestinationRule, HTTPRoute and StatefulSet cases
// name (created before them); the Ingress cases route to a port named websocket, which needs
// no Service.
const gitopsBackend = `apiVersion: v1
kind: Service
metadata: {name: backend}
spec:
  selector: {app: backend}
  ports: [{name: websocket, port: 8080}]
`

// gitopsIngress is an Ingress of the class with one WebSocket backend, chat, and one that is
// not.
func gitopsIngress(class, annotations string) string {
	return gitopsIngressTo(class, annotations, "chat")
}

// gitopsIngressTo is gitopsIngress with the WebSocket backend named service.
func gitopsIngressTo(class, annotations, service string) string {
	return `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: %NAME%
  annotations: {` + annotations + `}
spec:
  ingressClassName: ` + class + `
  rules:
  - host: chat.example.com
    http:
      paths:
      - {path: /ws, pathType: Prefix, backend: {service: {name: ` + service + `, port: {name: websocket}}}}
      - {path: /static, pathType: Prefix, backend: {service: {name: static, port: {name: http}}}}
`
}

// gitopsService is a WebSocket Service; port holds extra fields of its port, spec extra fields
// of its spec.
func gitopsService(annotations, port, spec string) string {
	return `apiVersion: v1
kind: Service
metadata:
  name: %NAME%
  annotations: {` + annotations + `}
spec:
  selector: {app: %NAME%}
  ports: [{name: websocket, port: 8080` + port + `}]
` + spec
}

// gitopsWorkload is a Deployment or StatefulSet with one WebSocket container; spec holds extra
// fields of the pod spec (indented for it), lifecycle the container's lifecycle, templateLabels
// and templateAnnotations extra pod template metadata.
func gitopsWorkload(kind, annotations, templateLabels, templateAnnotations, spec, lifecycle string) string {
	extra := ""
	if kind == "StatefulSet" {
		extra = "  serviceName: backend\n"
	}
	if lifecycle != "" {
		lifecycle = "\n        lifecycle: " + lifecycle
	}
	return `apiVersion: apps/v1
kind: ` + kind + `
metadata:
  name: %NAME%
  annotations: {` + annotations + `}
spec:
` + extra + `  selector: {matchLabels: {app: %NAME%}}
  template:
    metadata:
      labels: {app: %NAME%` + templateLabels + `}
      annotations: {` + templateAnnotations + `}
    spec:` + spec + `
      containers:
      - name: chat
        image: ghcr.io/example/chat:1.4.2
        ports: [{name: websocket, containerPort: 8080}]
        readinessProbe: {tcpSocket: {port: 8080}}` + lifecycle + `
`
}

// withLogsFirst puts a log shipper before the workload's WebSocket container, which moves it
// from index 0 to index 1.
func withLogsFirst(workload string) string {
	return strings.Replace(workload, "      containers:\n", "      containers:\n      - {name: logs, image: fluent/fluent-bit:3.2}\n", 1)
}

func gitopsDestinationRule(trafficPolicy string) string {
	return `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: %NAME%}
spec:
  host: backend
` + trafficPolicy
}

func gitopsVirtualService(annotations string) string {
	return `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: %NAME%
  annotations: {` + annotations + `}
spec:
  hosts: [chat.example.com]
  http:
  - route: [{destination: {host: backend}}]
`
}

func gitopsHTTPRoute(timeouts string) string {
	return `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: %NAME%}
spec:
  parentRefs: [{name: public}]
  rules:
  - backendRefs: [{name: backend, port: 8080}]` + timeouts + `
`
}

func gitopsHTTPProxy(route string) string {
	return `apiVersion: projectcontour.io/v1
kind: HTTPProxy
metadata: {name: %NAME%}
spec:
  virtualhost: {fqdn: %NAME%.example.com}
  routes:
  - services: [{name: backend, port: 8080}]` + route + `
`
}

// gitopsScaled is the WebSocket Deployment the HorizontalPodAutoscaler cases scale (created
// before them).
var gitopsScaled = strings.ReplaceAll(gitopsWorkload("Deployment", "", "", "", "", ""), "%NAME%", "gitops-scaled")

func gitopsHPA(behavior string) string {
	return `apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: %NAME%}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: gitops-scaled}
  minReplicas: 2
  maxReplicas: 20
  metrics:
  - type: Resource
    resource: {name: cpu, target: {type: Utilization, averageUtilization: 70}}
` + behavior
}

// gitopsIngressRoute is a Traefik IngressRoute whose one entry, with the given extra fields,
// names the WebSocket backend.
func gitopsIngressRoute(entry string) string {
	return `apiVersion: traefik.io/v1alpha1
kind: IngressRoute
metadata: {name: %NAME%}
spec:
  routes:
  - match: Host(` + "`%NAME%.example.com`" + `)
    kind: Rule
    services:
    - name: backend
      port: websocket` + entry + `
`
}

// gitopsTraefikService is a weighted TraefikService over the WebSocket backend, with the given
// extra lines under weighted.
func gitopsTraefikService(weighted string) string {
	return `apiVersion: traefik.io/v1alpha1
kind: TraefikService
metadata: {name: %NAME%}
spec:
  weighted:
    services: [{name: backend, port: 8080, weight: 1}]` + weighted + `
`
}

// gitopsRoute is the HTTPRoute to the WebSocket backend that the BackendTrafficPolicy cases
// target (created before them).
const gitopsRoute = `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: gitops-route}
spec:
  parentRefs: [{name: public}]
  rules:
  - backendRefs: [{name: backend, port: 8080}]
`

func gitopsBackendPolicy(spec string) string {
	return `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: BackendTrafficPolicy
metadata: {name: %NAME%}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: gitops-route}]
` + spec
}

const (
	sleepAndGrace = `{.spec.template.spec.containers[0].lifecycle.preStop.sleep.seconds} {.spec.template.spec.terminationGracePeriodSeconds}`
	proxyConfig   = `{.spec.template.metadata.annotations.proxy\.istio\.io/config}`
)

// gitopsCases has at least one case for every rule that injects (TestGitOpsCoversEveryInjectingRule).
var gitopsCases = []gitopsCase{
	{
		rule:     "deployment-prestop-sleep",
		original: gitopsWorkload("Deployment", "", "", "", "", ""),
		edited:   gitopsWorkload("Deployment", "", "", "", "", "{preStop: {sleep: {seconds: 25}}}"),
		fields:   sleepAndGrace, defaulted: "15 45", stored: "25 55",
	},
	{
		// The container wsguard defaulted moves to index 1 as the override is added.
		rule:      "deployment-prestop-sleep",
		original:  gitopsWorkload("Deployment", "", "", "", "", ""),
		edited:    withLogsFirst(gitopsWorkload("Deployment", `wsguard.io/prestop-seconds: "60"`, "", "", "", "")),
		fields:    `{.spec.template.spec.containers[?(@.name=="chat")].lifecycle.preStop.sleep.seconds} {.spec.template.spec.terminationGracePeriodSeconds}`,
		defaulted: "15 45", stored: "60 90",
	},
	{
		rule:     "deployment-grace-period",
		original: gitopsWorkload("Deployment", "", "", "", "", ""),
		edited:   gitopsWorkload("Deployment", "", "", "", "\n      terminationGracePeriodSeconds: 90", ""),
		fields:   sleepAndGrace, defaulted: "15 45", stored: "15 90",
	},
	{
		// An override removed later gives the policy's values back.
		rule:      "deployment-grace-period",
		original:  gitopsWorkload("Deployment", `wsguard.io/prestop-seconds: "60", wsguard.io/drain-seconds: "120"`, "", "", "", ""),
		edited:    gitopsWorkload("Deployment", "", "", "", "", ""),
		fields:    sleepAndGrace,
		defaulted: "60 180", stored: "15 45",
	},
	{
		rule:      "statefulset-prestop-sleep",
		original:  gitopsWorkload("StatefulSet", "", "", "", "", ""),
		edited:    gitopsWorkload("StatefulSet", "", "", "", "", "{preStop: {httpGet: {path: /drain, port: 8080}}}"),
		fields:    `{.spec.template.spec.containers[0].lifecycle.preStop.httpGet.path}|{.spec.template.spec.containers[0].lifecycle.preStop.sleep}`,
		defaulted: "|{\"seconds\":15}", stored: "/drain|",
	},
	{
		// The container wsguard defaulted moves to index 1 as its preStop hook is replaced.
		rule:      "statefulset-prestop-sleep",
		original:  gitopsWorkload("StatefulSet", "", "", "", "", ""),
		edited:    withLogsFirst(gitopsWorkload("StatefulSet", "", "", "", "", "{preStop: {httpGet: {path: /drain, port: 8080}}}")),
		fields:    `{.spec.template.spec.containers[?(@.name=="chat")].lifecycle.preStop.httpGet.path}|{.spec.template.spec.containers[?(@.name=="chat")].lifecycle.preStop.sleep}`,
		defaulted: "|{\"seconds\":15}", stored: "/drain|",
	},
	{
		rule:     "statefulset-grace-period",
		original: gitopsWorkload("StatefulSet", "", "", "", "", ""),
		edited:   gitopsWorkload("StatefulSet", `wsguard.io/drain-seconds: "60"`, "", "", "", ""),
		fields:   sleepAndGrace, defaulted: "15 45", stored: "15 75",
	},
	{
		rule:      "service-session-affinity",
		original:  gitopsService("", "", ""),
		edited:    gitopsService("", "", "  sessionAffinity: ClientIP\n  sessionAffinityConfig: {clientIP: {timeoutSeconds: 600}}\n"),
		fields:    `{.spec.sessionAffinity} {.spec.sessionAffinityConfig.clientIP.timeoutSeconds}`,
		defaulted: "ClientIP 10800", stored: "ClientIP 600",
	},
	{
		rule:      "service-session-affinity",
		original:  gitopsService("", "", ""),
		edited:    gitopsService(`wsguard.io/affinity: "false"`, "", ""),
		fields:    `{.spec.sessionAffinity} {.spec.sessionAffinityConfig.clientIP.timeoutSeconds}`,
		defaulted: "ClientIP 10800", stored: "None ",
	},
	{
		rule:     "service-app-protocol",
		original: gitopsService("", "", ""),
		edited:   gitopsService("", ", appProtocol: kubernetes.io/wss", ""),
		fields:   `{.spec.ports[0].appProtocol}`, defaulted: "kubernetes.io/ws", stored: "kubernetes.io/wss",
	},
	{
		rule:      "ingress-nginx-timeouts",
		original:  gitopsIngress("nginx", ""),
		edited:    gitopsIngress("nginx", `nginx.ingress.kubernetes.io/proxy-read-timeout: "7200"`),
		fields:    `{.metadata.annotations.nginx\.ingress\.kubernetes\.io/proxy-read-timeout} {.metadata.annotations.nginx\.ingress\.kubernetes\.io/proxy-send-timeout}`,
		defaulted: "3600 3600", stored: "7200 3600",
	},
	{
		// Opting the object out later takes back every value wsguard injected.
		rule:      "ingress-nginx-timeouts",
		original:  gitopsIngress("nginx", ""),
		edited:    gitopsIngress("nginx", `wsguard.io/websocket: "false"`),
		fields:    `{.metadata.annotations.nginx\.ingress\.kubernetes\.io/proxy-read-timeout}|{.metadata.annotations.nginx\.ingress\.kubernetes\.io/affinity}`,
		defaulted: "3600|cookie", stored: "|",
	},
	{
		rule:      "ingress-nginx-timeouts",
		original:  gitopsIngress("nginx", ""),
		edited:    gitopsIngress("nginx", `wsguard.io/timeout-seconds: "7200"`),
		fields:    `{.metadata.annotations.nginx\.ingress\.kubernetes\.io/proxy-read-timeout} {.metadata.annotations.nginx\.ingress\.kubernetes\.io/proxy-send-timeout}`,
		defaulted: "3600 3600", stored: "7200 7200",
	},
	{
		rule:      "ingress-nginx-affinity",
		original:  gitopsIngress("nginx", ""),
		edited:    gitopsIngress("nginx", `wsguard.io/affinity: "false"`),
		fields:    `{.metadata.annotations.nginx\.ingress\.kubernetes\.io/affinity}|{.metadata.annotations.nginx\.ingress\.kubernetes\.io/affinity-mode}|{.metadata.annotations.nginx\.ingress\.kubernetes\.io/session-cookie-name}|{.metadata.annotations.nginx\.ingress\.kubernetes\.io/session-cookie-max-age}`,
		defaulted: "cookie|persistent|WSGUARD_AFFINITY|86400", stored: "|||",
	},
	{
		rule:     "f5-nginx-websocket-services",
		original: gitopsIngress("nginx-plus", ""),
		edited:   gitopsIngress("nginx-plus", `nginx.org/websocket-services: "chat,static"`),
		fields:   `{.metadata.annotations.nginx\.org/websocket-services}`, defaulted: "chat", stored: "chat,static",
	},
	{
		// wsguard merged chat into the user's list; the user renames the backend.
		rule:     "f5-nginx-websocket-services",
		original: gitopsIngress("nginx-plus", `nginx.org/websocket-services: static`),
		edited:   gitopsIngressTo("nginx-plus", `nginx.org/websocket-services: static`, "chat-v2"),
		fields:   `{.metadata.annotations.nginx\.org/websocket-services}`, defaulted: "static,chat", stored: "static,chat-v2",
	},
	{
		rule:      "f5-nginx-timeouts",
		original:  gitopsIngress("nginx-plus", ""),
		edited:    gitopsIngress("nginx-plus", `nginx.org/proxy-read-timeout: "2h"`),
		fields:    `{.metadata.annotations.nginx\.org/proxy-read-timeout} {.metadata.annotations.nginx\.org/proxy-send-timeout}`,
		defaulted: "3600s 3600s", stored: "2h 3600s",
	},
	{
		rule:      "f5-nginx-timeouts",
		original:  gitopsIngress("nginx-plus", ""),
		edited:    gitopsIngress("nginx-plus", `wsguard.io/timeout-seconds: "7200"`),
		fields:    `{.metadata.annotations.nginx\.org/proxy-read-timeout} {.metadata.annotations.nginx\.org/proxy-send-timeout}`,
		defaulted: "3600s 3600s", stored: "7200s 7200s",
	},
	{
		rule:      "haproxy-cookie-persistence",
		original:  gitopsIngress("haproxy", ""),
		edited:    gitopsIngress("haproxy", `haproxy.org/cookie-persistence-no-dynamic: "chat-session"`),
		fields:    `{.metadata.annotations.haproxy\.org/cookie-persistence}|{.metadata.annotations.haproxy\.org/cookie-persistence-no-dynamic}`,
		defaulted: "WSGUARD_AFFINITY|", stored: "|chat-session",
	},
	{
		rule:      "haproxy-cookie-persistence",
		original:  gitopsIngress("haproxy", ""),
		edited:    gitopsIngress("haproxy", `wsguard.io/affinity: "false"`),
		fields:    `{.metadata.annotations.haproxy\.org/cookie-persistence}`,
		defaulted: "WSGUARD_AFFINITY", stored: "",
	},
	{
		// Routed to by the traefik Ingress created before the cases.
		rule:      "traefik-service-sticky-cookie",
		original:  gitopsService("", "", ""),
		edited:    gitopsService(`traefik.ingress.kubernetes.io/service.sticky.cookie: "false"`, "", ""),
		fields:    `{.metadata.annotations.traefik\.ingress\.kubernetes\.io/service\.sticky\.cookie}|{.metadata.annotations.traefik\.ingress\.kubernetes\.io/service\.sticky\.cookie\.name}`,
		defaulted: "true|WSGUARD_AFFINITY", stored: "false|",
	},
	{
		rule:      "traefik-service-sticky-cookie",
		original:  gitopsService("", "", ""),
		edited:    gitopsService(`wsguard.io/affinity: "false"`, "", ""),
		fields:    `{.metadata.annotations.traefik\.ingress\.kubernetes\.io/service\.sticky\.cookie}|{.metadata.annotations.traefik\.ingress\.kubernetes\.io/service\.sticky\.cookie\.name}`,
		defaulted: "true|WSGUARD_AFFINITY", stored: "|",
	},
	{
		// Routed to by the kong Ingress created before the cases.
		rule:      "kong-service-timeouts",
		original:  gitopsService("", "", ""),
		edited:    gitopsService(`konghq.com/read-timeout: "7200000"`, "", ""),
		fields:    `{.metadata.annotations.konghq\.com/read-timeout} {.metadata.annotations.konghq\.com/write-timeout}`,
		defaulted: "3600000 3600000", stored: "7200000 3600000",
	},
	{
		rule:      "kong-service-timeouts",
		original:  gitopsService("", "", ""),
		edited:    gitopsService(`wsguard.io/timeout-seconds: "7200"`, "", ""),
		fields:    `{.metadata.annotations.konghq\.com/read-timeout} {.metadata.annotations.konghq\.com/write-timeout}`,
		defaulted: "3600000 3600000", stored: "7200000 7200000",
	},
	{
		rule:      "aws-alb-idle-timeout",
		original:  gitopsIngress("alb", ""),
		edited:    gitopsIngress("alb", `alb.ingress.kubernetes.io/load-balancer-attributes: "idle_timeout.timeout_seconds=4000"`),
		fields:    `{.metadata.annotations.alb\.ingress\.kubernetes\.io/load-balancer-attributes}`,
		defaulted: "idle_timeout.timeout_seconds=3600", stored: "idle_timeout.timeout_seconds=4000",
	},
	{
		// wsguard merged the idle timeout into the user's attributes; the user adds an override.
		rule:      "aws-alb-idle-timeout",
		original:  gitopsIngress("alb", `alb.ingress.kubernetes.io/load-balancer-attributes: "deletion_protection.enabled=true"`),
		edited:    gitopsIngress("alb", `alb.ingress.kubernetes.io/load-balancer-attributes: "deletion_protection.enabled=true", wsguard.io/timeout-seconds: "1800"`),
		fields:    `{.metadata.annotations.alb\.ingress\.kubernetes\.io/load-balancer-attributes}`,
		defaulted: "deletion_protection.enabled=true,idle_timeout.timeout_seconds=3600", stored: "deletion_protection.enabled=true,idle_timeout.timeout_seconds=1800",
	},
	{
		rule:      "aws-alb-stickiness",
		original:  gitopsIngress("alb", ""),
		edited:    gitopsIngress("alb", `alb.ingress.kubernetes.io/target-group-attributes: "stickiness.enabled=true,stickiness.type=app_cookie,stickiness.app_cookie.cookie_name=session"`),
		fields:    `{.metadata.annotations.alb\.ingress\.kubernetes\.io/target-group-attributes}`,
		defaulted: "stickiness.enabled=true,stickiness.type=lb_cookie,stickiness.lb_cookie.duration_seconds=86400",
		stored:    "stickiness.enabled=true,stickiness.type=app_cookie,stickiness.app_cookie.cookie_name=session",
	},
	{
		rule:     "agic-request-timeout",
		original: gitopsIngress("azure-application-gateway", ""),
		edited:   gitopsIngress("azure-application-gateway", `appgw.ingress.kubernetes.io/request-timeout: "7200"`),
		fields:   `{.metadata.annotations.appgw\.ingress\.kubernetes\.io/request-timeout}`, defaulted: "3600", stored: "7200",
	},
	{
		rule:     "agic-request-timeout",
		original: gitopsIngress("azure-application-gateway", ""),
		edited:   gitopsIngress("azure-application-gateway", `wsguard.io/timeout-seconds: "7200"`),
		fields:   `{.metadata.annotations.appgw\.ingress\.kubernetes\.io/request-timeout}`, defaulted: "3600", stored: "7200",
	},
	{
		rule:     "agic-cookie-affinity",
		original: gitopsIngress("azure-application-gateway", ""),
		edited:   gitopsIngress("azure-application-gateway", `appgw.ingress.kubernetes.io/cookie-based-affinity: "false"`),
		fields:   `{.metadata.annotations.appgw\.ingress\.kubernetes\.io/cookie-based-affinity}`, defaulted: "true", stored: "false",
	},
	{
		rule:      "istio-destinationrule-affinity",
		original:  gitopsDestinationRule(""),
		edited:    gitopsDestinationRule("  trafficPolicy: {loadBalancer: {simple: LEAST_REQUEST}}\n"),
		fields:    `{.spec.trafficPolicy.loadBalancer.simple}|{.spec.trafficPolicy.loadBalancer.consistentHash}`,
		defaulted: `|{"httpCookie":{"name":"WSGUARD_AFFINITY","ttl":"86400s"}}`, stored: "LEAST_REQUEST|",
	},
	{
		// consistentHash is a oneOf too: the user's header hash replaces wsguard's cookie.
		rule:      "istio-destinationrule-affinity",
		original:  gitopsDestinationRule(""),
		edited:    gitopsDestinationRule("  trafficPolicy: {loadBalancer: {consistentHash: {httpHeaderName: x-user}}}\n"),
		fields:    `{.spec.trafficPolicy.loadBalancer.consistentHash}`,
		defaulted: `{"httpCookie":{"name":"WSGUARD_AFFINITY","ttl":"86400s"}}`, stored: `{"httpHeaderName":"x-user"}`,
	},
	{
		rule:     "istio-sidecar-drain",
		original: gitopsWorkload("Deployment", "", `, sidecar.istio.io/inject: "true"`, "", "", ""),
		edited:   gitopsWorkload("Deployment", "", `, sidecar.istio.io/inject: "true"`, `proxy.istio.io/config: "terminationDrainDuration: 90s"`, "", ""),
		fields:   proxyConfig, defaulted: "terminationDrainDuration: 45s\n", stored: "terminationDrainDuration: 90s",
	},
	{
		// wsguard merged the drain into the user's proxy config; the user adds an override.
		rule:     "istio-sidecar-drain",
		original: gitopsWorkload("Deployment", "", `, sidecar.istio.io/inject: "true"`, `proxy.istio.io/config: "holdApplicationUntilProxyStarts: true"`, "", ""),
		edited:   gitopsWorkload("Deployment", `wsguard.io/prestop-seconds: "20"`, `, sidecar.istio.io/inject: "true"`, `proxy.istio.io/config: "holdApplicationUntilProxyStarts: true"`, "", ""),
		fields:   proxyConfig, defaulted: "holdApplicationUntilProxyStarts: true\nterminationDrainDuration: 45s\n", stored: "holdApplicationUntilProxyStarts: true\nterminationDrainDuration: 50s\n",
	},
	{
		rule:     "istio-statefulset-sidecar-drain",
		original: gitopsWorkload("StatefulSet", "", `, sidecar.istio.io/inject: "true"`, "", "", ""),
		edited:   gitopsWorkload("StatefulSet", `wsguard.io/prestop-seconds: "20"`, `, sidecar.istio.io/inject: "true"`, "", "", ""),
		fields:   proxyConfig + " " + sleepAndGrace, defaulted: "terminationDrainDuration: 45s\n 15 45", stored: "terminationDrainDuration: 50s\n 20 50",
	},
	{
		// The Ordered container gives the VirtualService CRD the field while the cases run.
		rule:     "istio-virtualservice-websocket-upgrade",
		original: gitopsVirtualService(""),
		edited:   gitopsVirtualService(`wsguard.io/skip-rules: istio-virtualservice-websocket-upgrade`),
		fields:   `{.spec.http[0].websocketUpgrade}`, defaulted: "true", stored: "",
	},
	{
		rule:     "daemonset-prestop-sleep",
		original: gitopsWorkload("DaemonSet", "", "", "", "", ""),
		edited:   gitopsWorkload("DaemonSet", "", "", "", "", "{preStop: {sleep: {seconds: 25}}}"),
		fields:   sleepAndGrace, defaulted: "15 45", stored: "25 55",
	},
	{
		rule:     "daemonset-grace-period",
		original: gitopsWorkload("DaemonSet", "", "", "", "", ""),
		edited:   gitopsWorkload("DaemonSet", `wsguard.io/drain-seconds: "60"`, "", "", "", ""),
		fields:   sleepAndGrace, defaulted: "15 45", stored: "15 75",
	},
	{
		rule:     "istio-daemonset-sidecar-drain",
		original: gitopsWorkload("DaemonSet", "", `, sidecar.istio.io/inject: "true"`, "", "", ""),
		edited:   gitopsWorkload("DaemonSet", `wsguard.io/prestop-seconds: "20"`, `, sidecar.istio.io/inject: "true"`, "", "", ""),
		fields:   proxyConfig + " " + sleepAndGrace, defaulted: "terminationDrainDuration: 45s\n 15 45", stored: "terminationDrainDuration: 50s\n 20 50",
	},
	{
		rule:      "hpa-scale-down",
		original:  gitopsHPA(""),
		edited:    gitopsHPA("  behavior:\n    scaleDown: {stabilizationWindowSeconds: 600, policies: [{type: Pods, value: 1, periodSeconds: 120}]}\n"),
		fields:    `{.spec.behavior.scaleDown.stabilizationWindowSeconds} {.spec.behavior.scaleDown.policies[0].type} {.spec.behavior.scaleDown.policies[0].value}`,
		defaulted: "300 Percent 10", stored: "600 Pods 1",
	},
	{
		// Skipping the rule gives the Kubernetes default back: wsguard's values leave with it.
		rule:     "hpa-scale-down",
		original: gitopsHPA(""),
		edited:   strings.Replace(gitopsHPA(""), "metadata: {name: %NAME%}", "metadata: {name: %NAME%, annotations: {wsguard.io/skip-rules: hpa-scale-down}}", 1),
		// The API server may fill in its own scaleDown beside the scaleUp it defaulted; that one
		// has no window.
		fields: `{.spec.behavior.scaleDown.stabilizationWindowSeconds}`, defaulted: "300", stored: "",
	},
	{
		rule:     "contour-httpproxy-websockets",
		original: gitopsHTTPProxy(""),
		edited:   gitopsHTTPProxy("\n    enableWebsockets: true\n    timeoutPolicy: {idle: 2h}"),
		fields:   `{.spec.routes[0].enableWebsockets} {.spec.routes[0].timeoutPolicy.idle}`, defaulted: "true 3600s", stored: "true 2h",
	},
	{
		rule:     "contour-httpproxy-idle-timeout",
		original: gitopsHTTPProxy(""),
		edited:   gitopsHTTPProxy("\n    timeoutPolicy: {idle: infinity}"),
		fields:   `{.spec.routes[0].timeoutPolicy.idle}`, defaulted: "3600s", stored: "infinity",
	},
	{
		rule:     "contour-httpproxy-idle-timeout",
		original: gitopsHTTPProxy(""),
		edited:   strings.Replace(gitopsHTTPProxy(""), "metadata: {name: %NAME%}", "metadata: {name: %NAME%, annotations: {wsguard.io/timeout-seconds: \"7200\"}}", 1),
		fields:   `{.spec.routes[0].timeoutPolicy.idle}`, defaulted: "3600s", stored: "7200s",
	},
	{
		rule:     "contour-httpproxy-affinity",
		original: gitopsHTTPProxy(""),
		edited:   gitopsHTTPProxy("\n    loadBalancerPolicy: {strategy: RoundRobin}"),
		fields:   `{.spec.routes[0].loadBalancerPolicy.strategy}`, defaulted: "Cookie", stored: "RoundRobin",
	},
	{
		rule:     "traefik-ingressroute-sticky-cookie",
		original: gitopsIngressRoute(""),
		edited:   gitopsIngressRoute("\n      sticky: {cookie: {name: mine, secure: true}}"),
		fields:   `{.spec.routes[0].services[0].sticky.cookie.name}`, defaulted: "WSGUARD_AFFINITY", stored: "mine",
	},
	{
		rule:     "traefik-traefikservice-sticky-cookie",
		original: gitopsTraefikService(""),
		edited:   gitopsTraefikService("\n    sticky: {cookie: {name: pick, httpOnly: true}}"),
		fields:   `{.spec.weighted.sticky.cookie.name} {.spec.weighted.services[0].sticky.cookie.name}`, defaulted: "WSGUARD_AFFINITY-service WSGUARD_AFFINITY", stored: "pick WSGUARD_AFFINITY",
	},
	{
		rule:     "contour-ingress-websocket-routes",
		original: gitopsIngress("contour", ""),
		edited:   gitopsIngress("contour", `projectcontour.io/websocket-routes: "/ws,/static"`),
		fields:   `{.metadata.annotations.projectcontour\.io/websocket-routes}`, defaulted: "/ws", stored: "/ws,/static",
	},
	{
		rule:     "envoy-gateway-stream-idle-timeout",
		original: gitopsBackendPolicy(""),
		edited:   gitopsBackendPolicy("  timeout: {http: {streamIdleTimeout: 0s}}\n"),
		fields:   `{.spec.timeout.http.streamIdleTimeout}`, defaulted: "3600s", stored: "0s",
	},
	{
		rule:      "envoy-gateway-affinity",
		original:  gitopsBackendPolicy(""),
		edited:    gitopsBackendPolicy("  loadBalancer: {type: LeastRequest}\n"),
		fields:    `{.spec.loadBalancer.type} {.spec.loadBalancer.consistentHash.type}`,
		defaulted: "ConsistentHash Cookie", stored: "LeastRequest ",
	},
	{
		rule:      "envoy-gateway-affinity",
		original:  gitopsBackendPolicy(""),
		edited:    strings.Replace(gitopsBackendPolicy(""), "metadata: {name: %NAME%}", "metadata: {name: %NAME%, annotations: {wsguard.io/affinity: \"false\"}}", 1),
		fields:    `{.spec.loadBalancer}`,
		defaulted: `{"consistentHash":{"cookie":{"name":"WSGUARD_AFFINITY","ttl":"86400s"},"tableSize":65537,"type":"Cookie"},"type":"ConsistentHash"}`, stored: "",
	},
	{
		rule:     "gateway-httproute-timeouts",
		original: gitopsHTTPRoute(""),
		edited:   gitopsHTTPRoute("\n    timeouts: {request: 2h}"),
		fields:   `{.spec.rules[0].timeouts.request}`, defaulted: "0s", stored: "2h",
	},
}

// The GitOps sequence of issue #11 for every rule that injects: apply, then apply an edited
// manifest that picks an alternative to the default or adds an override. The edit is admitted
// and its values are stored, with the real kubectl, client-side and server-side.
var _ = Describe("re-applying an edited manifest, for every rule that injects", Ordered, ContinueOnFailure, func() {
	modes := []struct{ name, flag string }{{"client-side", ""}, {"server-side", "--server-side"}}

	// name is the object's name for a case and mode: the rule, the case's place among the
	// rule's cases, and the mode.
	name := func(c gitopsCase, index int, mode string) string {
		n, earlier := c.rule, 0
		for _, other := range gitopsCases[:index] {
			if other.rule == c.rule {
				earlier++
			}
		}
		if earlier > 0 {
			n += fmt.Sprintf("-%d", earlier+1)
		}
		return n + "-" + strings.TrimSuffix(mode, "-side")
	}

	// apply applies every case's original or edited manifest in one kubectl call (a kubectl
	// call costs far more than an object) and returns the stored objects by name, as kubectl
	// prints them.
	apply := func(g Gomega, mode, flag string, edited bool) map[string]map[string]any {
		var docs []string
		for i, c := range gitopsCases {
			manifest := c.original
			if edited {
				manifest = c.edited
			}
			docs = append(docs, strings.ReplaceAll(manifest, "%NAME%", name(c, i, mode)))
		}
		path := filepath.Join(GinkgoT().TempDir(), "cases.yaml")
		g.Expect(os.WriteFile(path, []byte(strings.Join(docs, "---\n")), 0o644)).To(Succeed())
		args := []string{"apply", "-n", gitopsNamespace, "-f", path, "-o", "json"}
		if flag != "" {
			args = append(args, flag)
		}
		stdout, stderr, err := kubectl(args...)
		g.Expect(err).NotTo(HaveOccurred(), stderr)
		var list struct{ Items []map[string]any }
		g.Expect(json.Unmarshal([]byte(stdout), &list)).To(Succeed())
		stored := map[string]map[string]any{}
		for _, obj := range list.Items {
			stored[obj["metadata"].(map[string]any)["name"].(string)] = obj
		}
		return stored
	}
	// mismatches reads each case's fields from its stored object and lists those that differ
	// from what the case wants.
	mismatches := func(g Gomega, stored map[string]map[string]any, mode string, edited bool) []string {
		var out []string
		for i, c := range gitopsCases {
			n := name(c, i, mode)
			jp := jsonpath.New(n).AllowMissingKeys(true)
			g.Expect(jp.Parse(c.fields)).To(Succeed())
			var got bytes.Buffer
			g.Expect(jp.Execute(&got, stored[n])).To(Succeed())
			want, stage := c.defaulted, "applied"
			if edited {
				want, stage = c.stored, "edited"
			}
			if got.String() != want {
				out = append(out, fmt.Sprintf("%s (%s, %s %s): %s = %q, want %q", c.rule, n, stage, mode, c.fields, got.String(), want))
			}
		}
		return out
	}

	BeforeAll(func() {
		Expect(env.CreateNamespace(context.Background(), gitopsNamespace, true, nil)).To(Succeed())
		// The Services whose rules read the Ingresses in front of them are routed to first.
		var routes []string
		for i, c := range gitopsCases {
			class := map[string]string{"traefik-service-sticky-cookie": "traefik", "kong-service-timeouts": "kong"}[c.rule]
			if class == "" {
				continue
			}
			for _, m := range modes {
				routes = append(routes, strings.NewReplacer("%CLASS%", class, "%SERVICE%", name(c, i, m.name)).Replace(`apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: %SERVICE%}
spec:
  ingressClassName: %CLASS%
  defaultBackend: {service: {name: %SERVICE%, port: {name: websocket}}}
`))
			}
		}
		path := filepath.Join(GinkgoT().TempDir(), "prerequisites.yaml")
		Expect(os.WriteFile(path, []byte(strings.Join(append(routes, gitopsBackend, gitopsRoute, gitopsScaled), "---\n")), 0o644)).To(Succeed())
		_, stderr, err := kubectl("apply", "-n", gitopsNamespace, "-f", path)
		Expect(err).NotTo(HaveOccurred(), stderr)

		// websocketUpgrade is gone from Istio's API, and wsguard injects it only where the
		// installed CRD still has it (as an old Istio install does): give it the field while
		// these cases run, then put the real CRD back.
		crdPatch := func(op string) string {
			var ops []string
			for _, version := range []string{"0", "1", "2"} {
				o := `{"op":"` + op + `","path":"/spec/versions/` + version + `/schema/openAPIV3Schema/properties/spec/properties/http/items/properties/websocketUpgrade"`
				if op == "add" {
					o += `,"value":{"type":"boolean"}`
				}
				ops = append(ops, o+"}")
			}
			return "[" + strings.Join(ops, ",") + "]"
		}
		_, stderr, err = kubectl("patch", "crd", "virtualservices.networking.istio.io", "--type=json", "-p", crdPatch("add"))
		Expect(err).NotTo(HaveOccurred(), stderr)
		DeferCleanup(func() {
			_, stderr, err := kubectl("patch", "crd", "virtualservices.networking.istio.io", "--type=json", "-p", crdPatch("remove"))
			Expect(err).NotTo(HaveOccurred(), stderr)
		})
	})

	for _, m := range modes {
		It("stores each rule's default, then the user's edit ("+m.name+")", func() {
			// Rules that read other objects see them once wsguard's cache has them: applying the
			// originals again is what a GitOps tool does anyway.
			Eventually(func(g Gomega) {
				g.Expect(mismatches(g, apply(g, m.name, m.flag, false), m.name, false)).To(BeEmpty())
			}).Should(Succeed())
			Expect(mismatches(Default, apply(Default, m.name, m.flag, true), m.name, true)).To(BeEmpty())
		})
	}
})

// TestGitOpsCoversEveryInjectingRule needs no cluster: a rule that injects cannot be added
// without its GitOps case.
func TestGitOpsCoversEveryInjectingRule(t *testing.T) {
	covered := map[string]bool{}
	for _, c := range gitopsCases {
		if _, ok := defaults.RuleByID(c.rule); !ok {
			t.Errorf("gitopsCases names %q, which is not a rule", c.rule)
		}
		covered[c.rule] = true
	}
	for _, r := range defaults.Rules() {
		if r.Effects.Has(defaults.Defaults) && !covered[r.ID] {
			t.Errorf("rule %s injects defaults but has no case in gitopsCases (e2e/gitops_rules_test.go): add one that applies a manifest, then an edit that picks an alternative or an override", r.ID)
		}
	}
}
