package defaults

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// serviceRules hold WebSocket Services: affinity for reconnecting clients, and ports declared
// with a protocol that can carry the Upgrade.
var serviceRules = family("service", []Rule{
	{ID: "service-session-affinity", Kind: KindService, Effects: Defaults, check: defaultServiceAffinity,
		Summary: "default sessionAffinity ClientIP with the policy timeout (not on headless Services)"},
	{ID: "service-app-protocol", Kind: KindService, Effects: Defaults, check: defaultServiceAppProtocol,
		Summary: "set appProtocol kubernetes.io/ws(s) on ports that say WebSocket only by name"},
	{ID: "service-workloads-without-defaults", Kind: KindService, Effects: Warns, check: checkServiceWorkloadsDefaulted,
		Summary: "warn when the Service makes workloads WebSocket that were admitted before it and lack their defaults"},
	{ID: "service-http2-port", Kind: KindService, Effects: Denies, check: checkServiceHTTP2Port,
		Summary:     "deny WebSocket ports declared as grpc, http2 or h2c",
		Remediation: "declare WebSocket ports as kubernetes.io/ws(s) or http, and serve HTTP/2 on a separate port"},
})

var (
	servicePortsField = at("spec", "ports")
	servicePortsPath  = servicePortsField.Field()
)

func serviceIsWebSocket(ev *evaluation) bool {
	ws, ok := ev.webSocketService(ev.service())
	if ok {
		ev.because(ws.reason)
	}
	return ok
}

// defaultServiceAffinity defaults ClientIP session affinity, so that a client that reconnects after
// a dropped WebSocket lands on the pod that holds its session. The API server writes
// sessionAffinity "None" before admission, so "None" counts as unset; users who want None say
// so with the wsguard.io/affinity annotation.
func defaultServiceAffinity(ev *evaluation) {
	svc := ev.service()
	if !ev.policy.AffinityEnabled() || svc.Spec.ClusterIP == corev1.ClusterIPNone || svc.Spec.Type == corev1.ServiceTypeExternalName {
		return
	}
	if svc.Spec.SessionAffinity != "" && svc.Spec.SessionAffinity != corev1.ServiceAffinityNone {
		return
	}
	timeout := ev.policy.Affinity.ClientIPTimeoutSeconds
	// The API server wrote "None" when the manifest set nothing.
	ev.replaceServerDefault(at("spec", "sessionAffinity"), string(corev1.ServiceAffinityClientIP),
		"a reconnecting WebSocket client returns to the pod that holds its session")
	ev.setDefault(at("spec", "sessionAffinityConfig", "clientIP", "timeoutSeconds"), timeout, "the policy's ClientIP affinity timeout")
}

// defaultServiceAppProtocol sets the standard appProtocol on ports that say WebSocket only by name,
// so that meshes and gateways that read appProtocol (Istio >= 1.24) treat them as HTTP/1.1.
func defaultServiceAppProtocol(ev *evaluation) {
	for i, p := range ev.service().Spec.Ports {
		if p.AppProtocol != nil || !IsWebSocketPortName(p.Name) || isHTTP2Protocol(p.Name) {
			continue
		}
		value := AppProtocolWS
		if strings.Contains(strings.ToLower(p.Name), "wss") || p.Port == 443 {
			value = AppProtocolWSS
		}
		ev.setDefault(servicePortsField.Index(i).Child("appProtocol"), value, "declares the port's protocol to meshes and gateways")
	}
}

// checkServiceHTTP2Port denies WebSocket ports declared as HTTP/2: proxies that trust the
// declaration (Istio protocol selection, gateways reading appProtocol) speak HTTP/2 to the
// backend, and HTTP/2 cannot carry the HTTP/1.1 Upgrade a WebSocket handshake needs.
func checkServiceHTTP2Port(ev *evaluation) {
	svc := ev.service()
	ws, _ := ev.webSocketService(svc)
	for _, i := range ws.ports {
		p := svc.Spec.Ports[i]
		if p.AppProtocol != nil && isHTTP2Protocol(*p.AppProtocol) {
			ev.unsupported(servicePortsPath.Index(i).Child("appProtocol"), *p.AppProtocol,
				"declares HTTP/2 on a WebSocket port, and HTTP/2 cannot carry the HTTP/1.1 Upgrade of a WebSocket handshake",
				fmt.Sprintf("set appProtocol to %s (or %s over TLS)", AppProtocolWS, AppProtocolWSS))
			continue
		}
		if isHTTP2Protocol(p.Name) {
			ev.violate(servicePortsPath.Index(i).Child("name"), p.Name,
				"starts with an HTTP/2 protocol prefix, so Istio's protocol selection speaks HTTP/2 to it, which cannot carry the HTTP/1.1 Upgrade of a WebSocket handshake",
				`rename the port with an "http-" or "ws-" prefix, or serve HTTP/2 traffic on a separate port`)
		}
	}
}

// isHTTP2Protocol reports whether a port name prefix or an appProtocol declares HTTP/2.
func isHTTP2Protocol(s string) bool {
	parts := strings.Split(strings.TrimPrefix(strings.ToLower(s), "kubernetes.io/"), "-")
	if len(parts) > 1 && parts[0] == "grpc" && parts[1] == "web" {
		return false // gRPC-Web runs over HTTP/1.1
	}
	switch parts[0] {
	case "grpc", "http2", "h2c", "h2":
		return true
	}
	return false
}

// checkServiceWorkloadsDefaulted warns about workloads this Service makes WebSocket that have no
// preStop hook in a container it reaches. kubectl apply -f dir/ applies deployment.yaml before
// service.yaml, so a Deployment that is WebSocket only through its Service was admitted before
// wsguard could know, and re-applying it changes nothing (kubectl sends no request when nothing
// changed). A rollout restart updates the Deployment, which the webhook then defaults, and
// restarts the pods, which the new hook needs anyway.
func checkServiceWorkloadsDefaulted(ev *evaluation) {
	svc := ev.service()
	ws, ok := ev.webSocketService(svc)
	if !ok {
		return
	}
	for _, w := range ev.facts.workloads() {
		if !selectsPods(svc, w.template.Labels) {
			continue
		}
		for _, c := range w.template.Spec.Containers {
			if c.Lifecycle != nil && c.Lifecycle.PreStop != nil || !reachedBy(svc, ws.ports, c) {
				continue
			}
			ev.warn(nil, fmt.Sprintf("%s %s, whose pods this Service selects, has no preStop hook in container %s: it was admitted before this Service made it WebSocket, so wsguard could not give it its defaults; "+
				"run kubectl rollout restart %s/%s (wsguard defaults the updated %s and its pods restart with the hook)",
				w.kind, w.name, c.Name, strings.ToLower(w.kind), w.name, w.kind))
			break
		}
	}
}

// reachedBy reports whether one of the Service's WebSocket ports sends traffic to the
// container; a container that declares no ports counts as reached.
func reachedBy(svc *corev1.Service, ports []int, c corev1.Container) bool {
	if len(c.Ports) == 0 {
		return true
	}
	for _, i := range ports {
		for _, cp := range c.Ports {
			if targetsContainerPort(svc.Spec.Ports[i], cp) {
				return true
			}
		}
	}
	return false
}
