package defaults

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// Signal names the kind of evidence that made an object WebSocket.
type Signal string

const (
	// SignalAnnotation: wsguard.io/websocket: "true" on the object or a related one.
	SignalAnnotation Signal = "annotation"
	// SignalPortName: a port named ws, wss or websocket.
	SignalPortName Signal = "port-name"
	// SignalAppProtocol: a port with appProtocol kubernetes.io/ws or kubernetes.io/wss.
	SignalAppProtocol Signal = "app-protocol"
	// SignalController: a WebSocket setting written for another controller (F5's
	// websocket-services, Contour's websocket-routes and HTTPProxy enableWebsockets, Emissary's
	// allow_upgrade, Upgrade headers in an nginx snippet, Istio's websocketUpgrade).
	SignalController Signal = "controller-setting"
	// SignalNamespace: the namespace is annotated wsguard.io/websocket: "true", so its HTTP
	// Services carry WebSockets.
	SignalNamespace Signal = "namespace"
	// SignalKnownApp: a container runs the image of a known WebSocket application. The only
	// inferred signal: the application's authors, not the object's, said it serves WebSockets.
	SignalKnownApp Signal = "known-app"
)

// Reason says why an object is WebSocket: the signal and, in words, where it was found.
type Reason struct {
	Signal Signal `json:"signal"`
	// Detail completes "recognised as WebSocket because ...".
	Detail string `json:"detail"`
}

// Inferred reports whether the reason is a guess rather than something the object, a related
// object or the namespace declared. Violations found on a guess warn unless the policy says
// otherwise (Policy.InferredEnforcement).
func (r Reason) Inferred() bool { return r.Signal == SignalKnownApp }

// Sentence is the reason as users read it.
func (r Reason) Sentence() string {
	if r.Detail == "" {
		return ""
	}
	return "recognised as WebSocket because " + r.Detail
}

// via wraps a related object's reason: the signal stays, so an inferred reason stays inferred.
func (r Reason) via(format string, args ...any) Reason {
	return Reason{Signal: r.Signal, Detail: fmt.Sprintf(format, args...) + ", " + r.Detail}
}

// because records the first reason detection found for the object under review.
func (ev *evaluation) because(r Reason) {
	if ev.result.Reason.Signal == "" {
		ev.result.Reason = r
	}
}

// webSocketSvc is what detection concluded about one Service of the namespace.
type webSocketSvc struct {
	reason Reason
	ports  []int // indexes of the ports that carry WebSocket traffic
}

// webSocketService reports whether a Service carries WebSocket traffic, why, and on which
// ports. In order: its own annotation ("false" wins over everything), ports that say so, a
// WebSocket setting of an Ingress that routes to it, the namespace's declaration, and the
// pods it selects running a known WebSocket application.
func (ev *evaluation) webSocketService(svc *corev1.Service) (webSocketSvc, bool) {
	// Facts are read-only for the whole evaluation, so a related Service's answer is kept:
	// detection asks once per route, backend and selector it follows.
	if m, ok := ev.serviceMemo[svc]; ok {
		return m.ws, m.ok
	}
	ws, ok := ev.recogniseService(svc)
	if ev.serviceMemo == nil {
		ev.serviceMemo = map[*corev1.Service]serviceMemo{}
	}
	ev.serviceMemo[svc] = serviceMemo{ws, ok}
	return ws, ok
}

type serviceMemo struct {
	ws webSocketSvc
	ok bool
}

func (ev *evaluation) recogniseService(svc *corev1.Service) (webSocketSvc, bool) {
	if v, set := webSocketAnnotation(svc.Annotations); set {
		if !v {
			return webSocketSvc{}, false
		}
		return webSocketSvc{Reason{SignalAnnotation, fmt.Sprintf("Service %s is annotated %s: \"true\"", svc.Name, AnnotationWebSocket)}, allIndexes(len(svc.Spec.Ports))}, true
	}
	var ws webSocketSvc
	for i, p := range svc.Spec.Ports {
		switch {
		case IsWebSocketPortName(p.Name):
			ws.ports = append(ws.ports, i)
			if ws.reason.Signal == "" {
				ws.reason = Reason{SignalPortName, fmt.Sprintf("port %q of Service %s is named as WebSocket", p.Name, svc.Name)}
			}
		case p.AppProtocol != nil && IsWebSocketAppProtocol(*p.AppProtocol):
			ws.ports = append(ws.ports, i)
			if ws.reason.Signal == "" {
				ws.reason = Reason{SignalAppProtocol, fmt.Sprintf("port %d of Service %s has appProtocol %s", p.Port, svc.Name, *p.AppProtocol)}
			}
		}
	}
	if len(ws.ports) > 0 {
		return ws, true
	}
	if ws, ok := ev.serviceNamedByIngressSetting(svc); ok {
		return ws, true
	}
	if ws, ok := ev.serviceNamedByHTTPProxy(svc); ok {
		return ws, true
	}
	if ws, ok := ev.serviceNamedByMapping(svc); ok {
		return ws, true
	}
	if ev.namespaceDeclared() {
		if ports := httpPorts(svc); len(ports) > 0 {
			return webSocketSvc{ev.namespaceReason(), ports}, true
		}
	}
	return ev.serviceOfKnownApp(svc)
}

// namespaceDeclared reports whether the namespace says its HTTP Services carry WebSockets.
func (ev *evaluation) namespaceDeclared() bool {
	ns := ev.facts.Namespace
	return ns != nil && ns.Annotations[AnnotationWebSocket] == "true"
}

func (ev *evaluation) namespaceReason() Reason {
	return Reason{SignalNamespace, fmt.Sprintf("namespace %s is annotated %s: \"true\"", ev.facts.Namespace.Name, AnnotationWebSocket)}
}

// httpPorts are the ports of a Service that may carry HTTP: TCP ports not declared as another
// protocol by name prefix or appProtocol (gRPC, HTTP/2, plain TCP or TLS, databases). A
// namespace's declaration covers only these.
func httpPorts(svc *corev1.Service) []int {
	var idx []int
	for i, p := range svc.Spec.Ports {
		if (p.Protocol == "" || p.Protocol == corev1.ProtocolTCP) && !nonHTTPProtocol(p.Name) && (p.AppProtocol == nil || !nonHTTPProtocol(*p.AppProtocol)) {
			idx = append(idx, i)
		}
	}
	return idx
}

// nonHTTPProtocol reports whether a port name or appProtocol declares a protocol that is not
// HTTP/1.1 (Istio's naming convention, and the appProtocols of KEP-3726 and gRPC).
func nonHTTPProtocol(s string) bool {
	if isHTTP2Protocol(s) {
		return true
	}
	first, _, _ := strings.Cut(strings.TrimPrefix(strings.ToLower(s), "kubernetes.io/"), "-")
	switch first {
	case "tcp", "tls", "udp", "mongo", "mysql", "redis", "postgres", "postgresql", "amqp", "mqtt", "kafka", "dns", "smtp":
		return true
	}
	return false
}

// serviceOfKnownApp: the Service selects pods of a Deployment or StatefulSet of the namespace whose container
// runs a known WebSocket application, and a port targets one of that application's ports.
func (ev *evaluation) serviceOfKnownApp(svc *corev1.Service) (webSocketSvc, bool) {
	for _, w := range ev.facts.workloads() {
		if !selectsPods(svc, w.template.Labels) {
			continue
		}
		pod := &w.template.Spec
		for _, c := range pod.Containers {
			app, ok := ev.policy.knownApp(c.Image)
			if !ok {
				continue
			}
			var ports []int
			for i, sp := range svc.Spec.Ports {
				if sp.Protocol != "" && sp.Protocol != corev1.ProtocolTCP {
					continue // WebSockets run over TCP; a UDP port of the same number is another protocol
				}
				if n, ok := targetPortNumber(sp, c); ok && app.serves(n) {
					ports = append(ports, i)
				}
			}
			if len(ports) > 0 {
				return webSocketSvc{Reason{SignalKnownApp, fmt.Sprintf("Service %s sends port %d to %s %s, whose container %s runs %s (%s serves WebSockets on port %s)",
					svc.Name, svc.Spec.Ports[ports[0]].Port, w.kind, w.name, c.Name, c.Image, app.Name, app.portsText())}, ports}, true
			}
		}
	}
	return webSocketSvc{}, false
}

// targetPortNumber is the container port number a Service port sends traffic to in container c:
// its numeric targetPort, the number of c's port with its named targetPort, or its own port.
func targetPortNumber(sp corev1.ServicePort, c corev1.Container) (int32, bool) {
	switch {
	case sp.TargetPort.Type == intstr.String && sp.TargetPort.StrVal != "":
		for _, cp := range c.Ports {
			if cp.Name == sp.TargetPort.StrVal {
				return cp.ContainerPort, true
			}
		}
		return 0, false
	case sp.TargetPort.Type == intstr.Int && sp.TargetPort.IntVal != 0:
		return sp.TargetPort.IntVal, true
	default:
		return sp.Port, true
	}
}

// Other controllers' explicit WebSocket settings on an Ingress.
const (
	annotationContourWebSocketRoutes = "projectcontour.io/websocket-routes"
	annotationF5GRPCServices         = "nginx.org/grpc-services"
)

// ingressNGINXSnippets are the ingress-nginx annotations that carry raw nginx configuration.
var ingressNGINXSnippets = []string{
	"nginx.ingress.kubernetes.io/configuration-snippet",
	"nginx.ingress.kubernetes.io/server-snippet",
	"nginx.org/location-snippets",
	"nginx.org/server-snippets",
}

// upgradeHeaders matches nginx directives that forward the WebSocket upgrade: whoever wrote
// them meant the location to carry WebSockets.
var upgradeHeaders = regexp.MustCompile(`(?i)proxy_set_header\s+(upgrade\s|connection\s+["']?upgrade)`)

// ingressSetting reports whether an Ingress declares, in another controller's annotations, that
// a backend carries WebSockets, and which setting says so.
func ingressSetting(ing *networkingv1.Ingress, backend *networkingv1.IngressBackend, path string) (string, bool) {
	if backend == nil || backend.Service == nil {
		return "", false
	}
	if raw, ok := ing.Annotations[annotationF5WebSocketServices]; ok {
		for name := range strings.SplitSeq(raw, ",") {
			if strings.TrimSpace(name) == backend.Service.Name {
				return annotationF5WebSocketServices, true
			}
		}
	}
	if raw, ok := ing.Annotations[annotationContourWebSocketRoutes]; ok && path != "" {
		for p := range strings.SplitSeq(raw, ",") {
			if strings.TrimSpace(p) == path {
				return annotationContourWebSocketRoutes, true
			}
		}
	}
	for _, key := range ingressNGINXSnippets {
		if upgradeHeaders.MatchString(ing.Annotations[key]) {
			return key, true
		}
	}
	return "", false
}

// serviceNamedByIngressSetting: an Ingress of the namespace declares, in another controller's
// annotations, that its backend on this Service carries WebSockets. The ports are those the
// Ingress's backends use, or every HTTP port when a backend's port cannot be resolved.
func (ev *evaluation) serviceNamedByIngressSetting(svc *corev1.Service) (webSocketSvc, bool) {
	var found *webSocketSvc
	for ii := range ev.facts.Ingresses {
		ing := ev.facts.Ingresses[ii]
		if ing.Namespace != "" && svc.Namespace != "" && ing.Namespace != svc.Namespace {
			continue
		}
		forEachBackend(ing, func(b *networkingv1.IngressBackend, path string) {
			if b.Service == nil || b.Service.Name != svc.Name {
				return
			}
			key, ok := ingressSetting(ing, b, path)
			if !ok {
				return
			}
			if found == nil {
				found = &webSocketSvc{reason: Reason{SignalController, fmt.Sprintf("Ingress %s routes to Service %s with %s", ing.Name, svc.Name, key)}}
			}
			if i, ok := servicePortIndex(svc, b.Service.Port); ok {
				found.ports = appendUnique(found.ports, i)
			} else {
				found.ports = append(found.ports, httpPorts(svc)...)
			}
		})
	}
	if found == nil {
		return webSocketSvc{}, false
	}
	slices.Sort(found.ports)
	found.ports = slices.Compact(found.ports)
	return *found, true
}

// forEachBackend visits an Ingress's Service backends with the path of their rule ("" for the
// default backend).
func forEachBackend(ing *networkingv1.Ingress, visit func(b *networkingv1.IngressBackend, path string)) {
	if ing.Spec.DefaultBackend != nil {
		visit(ing.Spec.DefaultBackend, "")
	}
	for _, r := range ing.Spec.Rules {
		if r.HTTP == nil {
			continue
		}
		for pi := range r.HTTP.Paths {
			visit(&r.HTTP.Paths[pi].Backend, r.HTTP.Paths[pi].Path)
		}
	}
}

// servicePortIndex resolves an Ingress backend's port to the index of the Service port.
func servicePortIndex(svc *corev1.Service, port networkingv1.ServiceBackendPort) (int, bool) {
	for i, p := range svc.Spec.Ports {
		if (port.Name != "" && p.Name == port.Name) || (port.Name == "" && port.Number != 0 && p.Port == port.Number) {
			return i, true
		}
	}
	return 0, false
}

// everyIndexWhenMarked returns idx, the parts of the object detection found WebSocket, or, when
// it found none and the object is marked wsguard.io/websocket: "true", all n parts: the mark
// says the whole object carries WebSockets without saying which part.
func (ev *evaluation) everyIndexWhenMarked(idx []int, n int) []int {
	if len(idx) == 0 && ev.annots[AnnotationWebSocket] == "true" {
		return allIndexes(n)
	}
	return idx
}

func allIndexes(n int) []int {
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	return idx
}
