package webhooks_test

import (
	"context"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/wsguard/wsguard/defaults"
	"github.com/wsguard/wsguard/internal/testsupport"
)

// Every rule is exercised once more through the real API server, which proves that its defaults
// are accepted by the real schema and that its denials and warnings reach kubectl. The unit
// tables in defaults/ cover each rule's cases in depth.

type outcome string

const (
	defaulted outcome = "defaulted"
	denied    outcome = "denied"
	warned    outcome = "warned"
)

type ruleSpec struct {
	rule   string
	expect outcome
	// setup objects are created first (cluster-scoped ones once, by name).
	setup []string
	obj   string
}

const (
	classNGINX   = "{apiVersion: networking.k8s.io/v1, kind: IngressClass, metadata: {name: nginx}, spec: {controller: k8s.io/ingress-nginx}}"
	classF5      = "{apiVersion: networking.k8s.io/v1, kind: IngressClass, metadata: {name: nginx-f5}, spec: {controller: nginx.org/ingress-controller}}"
	classHAProxy = "{apiVersion: networking.k8s.io/v1, kind: IngressClass, metadata: {name: haproxy}, spec: {controller: haproxy.org/ingress-controller}}"
	classTraefik = "{apiVersion: networking.k8s.io/v1, kind: IngressClass, metadata: {name: traefik}, spec: {controller: traefik.io/ingress-controller}}"
	classALB     = "{apiVersion: networking.k8s.io/v1, kind: IngressClass, metadata: {name: alb}, spec: {controller: ingress.k8s.aws/alb}}"
	classKong    = "{apiVersion: networking.k8s.io/v1, kind: IngressClass, metadata: {name: kong}, spec: {controller: ingress-controllers.konghq.com/kong}}"
	classAGIC    = "{apiVersion: networking.k8s.io/v1, kind: IngressClass, metadata: {name: azure-application-gateway}, spec: {controller: azure/application-gateway}}"
	classGCE     = "{apiVersion: networking.k8s.io/v1, kind: IngressClass, metadata: {name: gce}, spec: {controller: k8s.io/ingress-gce}}"
	classContour = "{apiVersion: networking.k8s.io/v1, kind: IngressClass, metadata: {name: contour}, spec: {controller: projectcontour.io/contour}}"
	chatService  = "{apiVersion: v1, kind: Service, metadata: {name: chat}, spec: {selector: {app: chat}, ports: [{name: websocket, port: 80}]}}"
)

// ingressYAML is an Ingress of the given class routing to Service chat's websocket port.
func ingressYAML(class, annotations string) string {
	return `{apiVersion: networking.k8s.io/v1, kind: Ingress, metadata: {name: chat, annotations: {` + annotations + `}},
 spec: {ingressClassName: ` + class + `, rules: [{host: chat.example.com, http: {paths: [{path: /, pathType: Prefix,
 backend: {service: {name: chat, port: {name: websocket}}}}]}}]}}`
}

func serviceYAML(annotations string) string {
	return `{apiVersion: v1, kind: Service, metadata: {name: chat, annotations: {` + annotations + `}}, spec: {selector: {app: chat}, ports: [{name: websocket, port: 80}]}}`
}

const deploymentYAML = `{apiVersion: apps/v1, kind: Deployment, metadata: {name: chat}, spec: {selector: {matchLabels: {app: chat}},
 %STRATEGY% template: {metadata: {labels: {app: chat}}, spec: {%GRACE% containers: [{name: chat, image: chat:1,
 ports: [{name: websocket, containerPort: 8080}], %PROBE% %HOOK%}]}}}}`

func deploymentWith(replacements ...string) string {
	s := deploymentYAML
	for i := 0; i+1 < len(replacements); i += 2 {
		s = strings.Replace(s, replacements[i], replacements[i+1], 1)
	}
	for _, hole := range []string{"%STRATEGY%", "%GRACE%", "%HOOK%"} {
		s = strings.Replace(s, hole, "", 1)
	}
	return strings.Replace(s, "%PROBE%", "readinessProbe: {tcpSocket: {port: 8080}},", 1)
}

// statefulSetWith is deploymentWith for the same workload as a StatefulSet.
func statefulSetWith(replacements ...string) string {
	return strings.Replace(strings.Replace(deploymentWith(replacements...), "kind: Deployment", "kind: StatefulSet", 1),
		"spec: {selector:", "spec: {serviceName: chat, selector:", 1)
}

// daemonSetWith is deploymentWith for the same workload as a DaemonSet.
func daemonSetWith(replacements ...string) string {
	return strings.Replace(deploymentWith(replacements...), "kind: Deployment", "kind: DaemonSet", 1)
}

// hpaYAML is an HPA of Deployment chat (deploymentWith), with more spec fields appended.
func hpaYAML(more string) string {
	return `{apiVersion: autoscaling/v2, kind: HorizontalPodAutoscaler, metadata: {name: chat}, spec: {scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: chat},
 minReplicas: 2, maxReplicas: 10, metrics: [{type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 70}}}]` + more + `}}`
}

var ruleSpecs = []ruleSpec{
	{rule: "deployment-prestop-sleep", expect: defaulted, obj: deploymentWith()},
	{rule: "deployment-grace-period", expect: denied, obj: deploymentWith("%GRACE%", "terminationGracePeriodSeconds: 10,", "%HOOK%", "lifecycle: {preStop: {exec: {command: [sh, -c, sleep 20]}}}")},
	{rule: "deployment-readiness-probe", expect: warned, obj: deploymentWith("%PROBE%", "")},
	{rule: "deployment-recreate-strategy", expect: warned, obj: deploymentWith("%STRATEGY%", "strategy: {type: Recreate},")},
	{rule: "service-workloads-without-defaults", expect: warned, obj: serviceYAML(""),
		setup: []string{`{apiVersion: apps/v1, kind: Deployment, metadata: {name: before}, spec: {selector: {matchLabels: {app: chat}}, template: {metadata: {labels: {app: chat}}, spec: {containers: [{name: chat, image: chat:1}]}}}}`}},
	{rule: "statefulset-prestop-sleep", expect: defaulted, obj: statefulSetWith()},
	{rule: "statefulset-grace-period", expect: denied, obj: statefulSetWith("%GRACE%", "terminationGracePeriodSeconds: 10,", "%HOOK%", "lifecycle: {preStop: {exec: {command: [sh, -c, sleep 20]}}}")},
	{rule: "statefulset-readiness-probe", expect: warned, obj: statefulSetWith("%PROBE%", "")},
	{rule: "statefulset-update-strategy", expect: warned, obj: statefulSetWith("%STRATEGY%", "replicas: 4, updateStrategy: {rollingUpdate: {maxUnavailable: 2}},")},

	{rule: "hpa-scale-down", expect: defaulted, setup: []string{deploymentWith()}, obj: hpaYAML("")},
	// The API server fills scaleDown in beside a scaleUp before webhooks run; it counts as unset.
	{rule: "hpa-scale-down", expect: defaulted, setup: []string{deploymentWith()}, obj: hpaYAML(", behavior: {scaleUp: {stabilizationWindowSeconds: 0}}")},
	// An autoscaling/v1 HPA reaches the webhook as v2 and keeps the default in v2's behavior.
	{rule: "hpa-scale-down", expect: defaulted, setup: []string{deploymentWith()}, obj: strings.Replace(strings.Replace(hpaYAML(""), "autoscaling/v2", "autoscaling/v1", 1),
		"metrics: [{type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 70}}}]", "targetCPUUtilizationPercentage: 70", 1)},
	{rule: "hpa-scale-down-policy", expect: warned, setup: []string{deploymentWith()}, obj: hpaYAML(", behavior: {scaleDown: {policies: [{type: Percent, value: 50, periodSeconds: 15}]}}")},

	{rule: "deployment-rolling-update", expect: warned, obj: deploymentWith("%STRATEGY%", "replicas: 8,")},
	{rule: "deployment-disruption-budget", expect: warned, obj: deploymentWith("%STRATEGY%", "replicas: 3,")},
	{rule: "statefulset-disruption-budget", expect: warned, obj: statefulSetWith("%STRATEGY%", "replicas: 3,")},

	{rule: "service-session-affinity", expect: defaulted, obj: serviceYAML("")},
	{rule: "service-app-protocol", expect: defaulted, obj: serviceYAML("")},
	{rule: "service-http2-port", expect: denied, obj: `{apiVersion: v1, kind: Service, metadata: {name: chat}, spec: {ports: [{name: grpc-ws, port: 80}]}}`},

	{rule: "ingress-controller-unknown", expect: warned, obj: ingressYAML("mystery", "")},
	{rule: "ingress-nginx-snippet", expect: warned, setup: []string{classNGINX}, obj: ingressYAML("nginx", "nginx.ingress.kubernetes.io/configuration-snippet: 'proxy_set_header Upgrade $http_upgrade;'")},
	{rule: "ingress-nginx-connect-timeout", expect: warned, setup: []string{classNGINX}, obj: ingressYAML("nginx", "nginx.ingress.kubernetes.io/proxy-connect-timeout: '3600'")},
	{rule: "linkerd-service-proxy-annotations", expect: warned, obj: serviceYAML("linkerd.io/inject: enabled")},
	{rule: "ingress-nginx-ssl-passthrough", expect: warned, setup: []string{classNGINX}, obj: ingressYAML("nginx", "nginx.ingress.kubernetes.io/ssl-passthrough: 'true'")},
	{rule: "ingress-nginx-timeouts", expect: defaulted, setup: []string{classNGINX}, obj: ingressYAML("nginx", "")},
	{rule: "ingress-nginx-timeouts", expect: denied, setup: []string{classNGINX}, obj: ingressYAML("nginx", "nginx.ingress.kubernetes.io/proxy-read-timeout: '60'")},
	{rule: "ingress-nginx-affinity", expect: defaulted, setup: []string{classNGINX}, obj: ingressYAML("nginx", "")},
	{rule: "ingress-nginx-affinity", expect: denied, setup: []string{classNGINX}, obj: ingressYAML("nginx", "nginx.ingress.kubernetes.io/affinity: cookie, nginx.ingress.kubernetes.io/upstream-hash-by: $remote_addr")},
	{rule: "ingress-nginx-timeout-format", expect: denied, setup: []string{classNGINX}, obj: ingressYAML("nginx", "nginx.ingress.kubernetes.io/proxy-send-timeout: 3600s")},
	{rule: "ingress-nginx-backend-protocol", expect: denied, setup: []string{classNGINX}, obj: ingressYAML("nginx", "nginx.ingress.kubernetes.io/backend-protocol: FCGI")},
	{rule: "ingress-nginx-websocket-services-noop", expect: warned, setup: []string{classNGINX}, obj: ingressYAML("nginx", "nginx.ingress.kubernetes.io/websocket-services: chat")},

	{rule: "f5-nginx-websocket-services", expect: defaulted, setup: []string{classF5}, obj: ingressYAML("nginx-f5", "")},
	{rule: "f5-nginx-timeouts", expect: defaulted, setup: []string{classF5}, obj: ingressYAML("nginx-f5", "")},
	{rule: "f5-nginx-timeouts", expect: denied, setup: []string{classF5}, obj: ingressYAML("nginx-f5", "nginx.org/proxy-read-timeout: 60s")},

	{rule: "haproxy-cookie-persistence", expect: defaulted, setup: []string{classHAProxy}, obj: ingressYAML("haproxy", "")},
	{rule: "haproxy-configmap-only-timeout", expect: warned, setup: []string{classHAProxy}, obj: ingressYAML("haproxy", "haproxy.org/timeout-tunnel: 1h")},
	{rule: "haproxy-tunnel-timeout-snippet", expect: denied, setup: []string{classHAProxy}, obj: ingressYAML("haproxy", "haproxy.org/backend-config-snippet: timeout tunnel 60s")},
	{rule: "haproxy-service-configmap-only-timeout", expect: warned, obj: serviceYAML("haproxy.org/timeout-tunnel: 1h")},
	{rule: "haproxy-service-tunnel-timeout-snippet", expect: denied, obj: serviceYAML("haproxy.org/backend-config-snippet: timeout tunnel 60s")},

	{rule: "agic-request-timeout", expect: defaulted, setup: []string{classAGIC}, obj: ingressYAML("azure-application-gateway", "")},
	{rule: "agic-request-timeout", expect: denied, setup: []string{classAGIC}, obj: ingressYAML("azure-application-gateway", "appgw.ingress.kubernetes.io/request-timeout: '30'")},
	{rule: "agic-cookie-affinity", expect: defaulted, setup: []string{classAGIC}, obj: ingressYAML("azure-application-gateway", "")},
	{rule: "agic-health-probe", expect: warned, setup: []string{classAGIC}, obj: ingressYAML("azure-application-gateway", "")},
	{rule: "kong-service-timeouts", expect: defaulted, setup: []string{classKong, ingressYAML("kong", "")}, obj: serviceYAML("")},
	{rule: "kong-service-timeouts", expect: denied, setup: []string{classKong, ingressYAML("kong", "")}, obj: serviceYAML("konghq.com/read-timeout: '60000'")},
	{rule: "daemonset-prestop-sleep", expect: defaulted, obj: daemonSetWith()},
	{rule: "daemonset-grace-period", expect: defaulted, obj: daemonSetWith()},
	{rule: "daemonset-grace-period", expect: denied, obj: daemonSetWith("%GRACE%", "terminationGracePeriodSeconds: 10,", "%HOOK%", "lifecycle: {preStop: {exec: {command: [sh, -c, sleep 20]}}}")},
	{rule: "daemonset-readiness-probe", expect: warned, obj: daemonSetWith("%PROBE%", "")},
	{rule: "daemonset-update-strategy", expect: warned, obj: daemonSetWith("%STRATEGY%", "updateStrategy: {rollingUpdate: {maxUnavailable: 10%}},")},
	{rule: "ingress-nginx-unknown-annotation", expect: warned, setup: []string{classNGINX}, obj: ingressYAML("nginx", "nginx.ingress.kubernetes.io/server-snippets: 'proxy_read_timeout 3600s;'")},
	{rule: "contour-ingress-websocket-routes", expect: defaulted, setup: []string{classContour}, obj: ingressYAML("contour", "")},
	{rule: "contour-ingress-websocket-routes", expect: warned, setup: []string{classContour}, obj: ingressYAML("contour", "projectcontour.io/websocket-routes: /")},
	{rule: "traefik-service-sticky-cookie", expect: defaulted, setup: []string{classTraefik, ingressYAML("traefik", "")}, obj: serviceYAML("")},
	{rule: "traefik-service-h2c-scheme", expect: warned, obj: serviceYAML("traefik.ingress.kubernetes.io/service.serversscheme: h2c")},

	{rule: "aws-alb-idle-timeout", expect: defaulted, setup: []string{classALB}, obj: ingressYAML("alb", "")},
	{rule: "aws-alb-stickiness", expect: defaulted, setup: []string{classALB}, obj: ingressYAML("alb", "")},
	{rule: "aws-alb-idle-timeout-minimum", expect: denied, setup: []string{classALB}, obj: ingressYAML("alb", "alb.ingress.kubernetes.io/load-balancer-attributes: idle_timeout.timeout_seconds=60")},

	{rule: "gke-backend-timeout", expect: denied, setup: []string{classGCE, chatService}, obj: ingressYAML("gce", "")},
	// The envtest API server serves no BackendConfig CRD, so a named BackendConfig cannot be
	// checked: wsguard warns instead of guessing.
	{rule: "gke-backend-timeout", expect: warned, setup: []string{classGCE, serviceYAML(`cloud.google.com/backend-config: '{"default":"ws"}'`)}, obj: ingressYAML("gce", "")},
}

// Mesh and Gateway API objects route to Service chat; ingressYAML's chatService is WebSocket.
const (
	virtualServiceYAML = `{apiVersion: networking.istio.io/v1, kind: VirtualService, metadata: {name: chat},
 spec: {hosts: [chat.example.com], http: [{route: [{destination: {host: chat}}] %TIMEOUT%}]}}`
	destinationRuleYAML = `{apiVersion: networking.istio.io/v1, kind: DestinationRule, metadata: {name: chat},
 spec: {host: chat %POLICY%}}`
	linkerdServerYAML = `{apiVersion: policy.linkerd.io/v1beta3, kind: Server, metadata: {name: chat},
 spec: {podSelector: {matchLabels: {app: chat}}, port: 80, proxyProtocol: %PROTOCOL%}}`
	httpProxyYAML = `{apiVersion: projectcontour.io/v1, kind: HTTPProxy, metadata: {name: chat},
 spec: {virtualhost: {fqdn: chat.example.com}, routes: [{services: [{name: chat, port: 80}] %ROUTE%}]}}`
	backendPolicyYAML = `{apiVersion: gateway.envoyproxy.io/v1alpha1, kind: BackendTrafficPolicy, metadata: {name: chat},
 spec: {targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: chat}] %SPEC%}}`
	clientPolicyYAML = `{apiVersion: gateway.envoyproxy.io/v1alpha1, kind: ClientTrafficPolicy, metadata: {name: public},
 spec: {targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: public}] %SPEC%}}`
	httpRouteYAML = `{apiVersion: gateway.networking.k8s.io/v1, kind: HTTPRoute, metadata: {name: chat},
 spec: {parentRefs: [{name: public}], rules: [{backendRefs: [{name: chat, port: 80}] %TIMEOUTS%}]}}`
	ingressRouteYAML = `{apiVersion: %GROUP%/v1alpha1, kind: IngressRoute, metadata: {name: chat},
 spec: {routes: [{match: "Host(` + "`chat.example.com`" + `)", kind: Rule, services: [{name: chat, port: websocket}]}]}}`
	traefikServiceYAML = `{apiVersion: traefik.io/v1alpha1, kind: TraefikService, metadata: {name: chat},
 spec: {weighted: {services: [{name: chat, port: 80, weight: 1}]}}}`
	// ngfClass and ngfGateway put HTTPRoute chat (parentRefs public) on NGINX Gateway Fabric.
	ngfClass                 = "{apiVersion: gateway.networking.k8s.io/v1, kind: GatewayClass, metadata: {name: nginx}, spec: {controllerName: gateway.nginx.org/nginx-gateway-controller}}"
	ngfGateway               = "{apiVersion: gateway.networking.k8s.io/v1, kind: Gateway, metadata: {name: public}, spec: {gatewayClassName: nginx, listeners: [{name: http, port: 80, protocol: HTTP}]}}"
	istioNamespaceDeployment = `{apiVersion: apps/v1, kind: Deployment, metadata: {name: chat}, spec: {selector: {matchLabels: {app: chat}},
 template: {metadata: {labels: {app: chat, sidecar.istio.io/inject: "true"}}, spec: {containers: [{name: chat, image: chat:1,
 ports: [{name: websocket, containerPort: 8080}], readinessProbe: {tcpSocket: {port: 8080}}}]}}}}`
)

func fill(template, hole, value string) string { return strings.Replace(template, hole, value, 1) }

var meshRuleSpecs = []ruleSpec{
	{rule: "istio-virtualservice-timeout", expect: denied, setup: []string{chatService}, obj: fill(virtualServiceYAML, "%TIMEOUT%", ", timeout: 300s")},
	{rule: "istio-destinationrule-affinity", expect: defaulted, setup: []string{chatService}, obj: fill(destinationRuleYAML, "%POLICY%", "")},
	{rule: "istio-destinationrule-h2-upgrade", expect: denied, setup: []string{chatService}, obj: fill(destinationRuleYAML, "%POLICY%", ", trafficPolicy: {connectionPool: {http: {h2UpgradePolicy: UPGRADE}}}")},
	{rule: "istio-destinationrule-idle-timeout", expect: denied, setup: []string{chatService}, obj: fill(destinationRuleYAML, "%POLICY%", ", trafficPolicy: {connectionPool: {http: {idleTimeout: 60s}}}")},
	{rule: "istio-sidecar-drain", expect: defaulted, obj: istioNamespaceDeployment},
	{rule: "istio-daemonset-sidecar-drain", expect: defaulted, obj: strings.Replace(istioNamespaceDeployment, "kind: Deployment", "kind: DaemonSet", 1)},
	{rule: "istio-statefulset-sidecar-drain", expect: defaulted, obj: strings.Replace(strings.Replace(istioNamespaceDeployment, "kind: Deployment", "kind: StatefulSet", 1), "spec: {selector:", "spec: {serviceName: chat, selector:", 1)},
	{rule: "linkerd-server-protocol", expect: denied, setup: []string{chatService}, obj: fill(linkerdServerYAML, "%PROTOCOL%", "HTTP/2")},
	{rule: "linkerd-server-protocol", expect: warned, setup: []string{chatService}, obj: fill(linkerdServerYAML, "%PROTOCOL%", "opaque")},
	{rule: "gateway-httproute-timeouts", expect: defaulted, setup: []string{chatService}, obj: fill(httpRouteYAML, "%TIMEOUTS%", "")},
	{rule: "gateway-httproute-timeouts", expect: denied, setup: []string{chatService}, obj: fill(httpRouteYAML, "%TIMEOUTS%", ", timeouts: {request: 5m}")},
	{rule: "envoy-gateway-stream-idle-timeout", expect: defaulted, setup: []string{chatService, fill(httpRouteYAML, "%TIMEOUTS%", "")}, obj: fill(backendPolicyYAML, "%SPEC%", "")},
	{rule: "envoy-gateway-stream-idle-timeout", expect: denied, setup: []string{chatService, fill(httpRouteYAML, "%TIMEOUTS%", "")}, obj: fill(backendPolicyYAML, "%SPEC%", ", timeout: {http: {streamIdleTimeout: 5m}}")},
	{rule: "envoy-gateway-max-duration", expect: denied, setup: []string{chatService, fill(httpRouteYAML, "%TIMEOUTS%", "")}, obj: fill(backendPolicyYAML, "%SPEC%", ", timeout: {http: {maxStreamDuration: 10m}}")},
	{rule: "envoy-gateway-upgrade", expect: denied, setup: []string{chatService, fill(httpRouteYAML, "%TIMEOUTS%", "")}, obj: fill(backendPolicyYAML, "%SPEC%", ", httpUpgrade: [{type: CONNECT}]")},
	{rule: "envoy-gateway-affinity", expect: defaulted, setup: []string{chatService, fill(httpRouteYAML, "%TIMEOUTS%", "")}, obj: fill(backendPolicyYAML, "%SPEC%", "")},
	{rule: "envoy-gateway-client-stream-idle-timeout", expect: warned, setup: []string{chatService, fill(httpRouteYAML, "%TIMEOUTS%", "")}, obj: fill(clientPolicyYAML, "%SPEC%", "")},
	{rule: "envoy-gateway-client-stream-idle-timeout", expect: denied, setup: []string{chatService, fill(httpRouteYAML, "%TIMEOUTS%", "")}, obj: fill(clientPolicyYAML, "%SPEC%", ", timeout: {http: {streamIdleTimeout: 5m}}")},
	{rule: "contour-httpproxy-websockets", expect: defaulted, setup: []string{chatService}, obj: fill(httpProxyYAML, "%ROUTE%", "")},
	{rule: "contour-httpproxy-websockets", expect: denied, setup: []string{chatService}, obj: fill(httpProxyYAML, "%ROUTE%", ", enableWebsockets: false")},
	{rule: "contour-httpproxy-idle-timeout", expect: defaulted, setup: []string{chatService}, obj: fill(httpProxyYAML, "%ROUTE%", ", timeoutPolicy: {response: 15s}")},
	{rule: "contour-httpproxy-idle-timeout", expect: denied, setup: []string{chatService}, obj: fill(httpProxyYAML, "%ROUTE%", ", timeoutPolicy: {idle: 0s}")},
	{rule: "contour-httpproxy-affinity", expect: defaulted, setup: []string{chatService}, obj: fill(httpProxyYAML, "%ROUTE%", "")},
	{rule: "traefik-ingressroute-sticky-cookie", expect: defaulted, setup: []string{chatService}, obj: fill(ingressRouteYAML, "%GROUP%", "traefik.io")},
	{rule: "traefik-traefikservice-sticky-cookie", expect: defaulted, setup: []string{chatService}, obj: traefikServiceYAML},
	{rule: "traefik-legacy-api-group", expect: warned, setup: []string{chatService}, obj: fill(ingressRouteYAML, "%GROUP%", "traefik.containo.us")},
	{rule: "ngf-httproute-read-timeout", expect: warned, setup: []string{chatService, ngfClass, ngfGateway}, obj: fill(httpRouteYAML, "%TIMEOUTS%", "")},
}

// coveredElsewhere names rules whose envtest spec needs a setup of its own.
var coveredElsewhere = map[string]string{
	"istio-virtualservice-websocket-upgrade": "websocketupgrade_test.go",
}

var _ = Describe("Every rule through the real API server", func() {
	It("has a spec for every rule in the catalog", func() {
		covered := map[string]bool{}
		for id := range coveredElsewhere {
			covered[id] = true
		}
		for _, s := range append(ruleSpecs, meshRuleSpecs...) {
			covered[s.rule] = true
		}
		for _, r := range defaults.Rules() {
			Expect(covered).To(HaveKey(r.ID), "rule %s has no envtest spec in webhooks/rules_test.go", r.ID)
		}
	})

	for _, spec := range append(ruleSpecs, meshRuleSpecs...) {
		It(spec.rule+" is "+string(spec.expect), func() {
			ctx := context.Background()
			ns := uniqueName("rule")
			Expect(env.CreateNamespace(ctx, ns, true, nil)).To(Succeed())
			for _, s := range spec.setup {
				obj := parse(s, ns)
				if err := k8s.Create(ctx, obj); err != nil && obj.GetNamespace() == "" {
					Expect(client.IgnoreAlreadyExists(err)).To(Succeed())
				} else {
					Expect(err).NotTo(HaveOccurred())
				}
			}
			marker := "wsguard [" + spec.rule + "]"
			check := func(g Gomega, obj *unstructured.Unstructured, err error, warnings []string) {
				switch spec.expect {
				case denied:
					g.Expect(err).To(MatchError(ContainSubstring("[" + spec.rule + "]")))
				case warned:
					g.Expect(err).NotTo(HaveOccurred())
					g.Expect(warnings).To(ContainElement(ContainSubstring(marker)))
				case defaulted:
					g.Expect(err).NotTo(HaveOccurred())
					g.Expect(warnings).To(ContainElement(ContainSubstring(marker)))
					g.Expect(strings.Split(obj.GetAnnotations()[defaults.AnnotationAppliedRules], ",")).To(ContainElement(spec.rule))
				}
			}
			// The setup objects reach wsguard's cache a moment after they are created: a
			// server-side dry run (which calls the webhooks) tells when the verdict is in.
			Eventually(func(g Gomega) {
				takeWarnings()
				obj := parse(spec.obj, ns)
				err := k8s.Create(ctx, obj, client.DryRunAll)
				check(g, obj, err, takeWarnings())
			}).Should(Succeed())
			takeWarnings()
			obj := parse(spec.obj, ns)
			err := k8s.Create(ctx, obj)
			check(Default, obj, err, takeWarnings())
		})
	}
})

func parse(manifest, ns string) *unstructured.Unstructured {
	obj := testsupport.Object(GinkgoT(), manifest)
	if kind := obj.GetKind(); kind != "IngressClass" && kind != "GatewayClass" {
		obj.SetNamespace(ns)
	}
	return obj
}
