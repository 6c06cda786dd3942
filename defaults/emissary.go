package defaults

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// Emissary-ingress (formerly Ambassador) routes with Mappings (getambassador.io). A Mapping
// forwards the WebSocket upgrade only when it lists "websocket" in allow_upgrade (compared
// without case), or sets the deprecated use_websocket: true
// (emissary-ingress/emissary, pkg/api/getambassador.io/v3alpha1/crd_mapping.go). Either is its
// author's word that the Service it names carries WebSockets. wsguard judges no Mapping: it reads
// them as facts.

// mappingView is what detection reads of an Emissary Mapping.
type mappingView struct {
	Spec struct {
		// Service is [scheme://]name[.namespace[.svc.cluster.local]][:port].
		Service      string   `json:"service"`
		AllowUpgrade []string `json:"allow_upgrade"`
		UseWebsocket *bool    `json:"use_websocket"`
		GRPC         *bool    `json:"grpc"`
	} `json:"spec"`
}

// upgradesWebSocket reports whether the Mapping forwards WebSocket upgrades, and which field says so.
func (m *mappingView) upgradesWebSocket() (string, bool) {
	if m.Spec.GRPC != nil && *m.Spec.GRPC {
		return "", false
	}
	if slices.ContainsFunc(m.Spec.AllowUpgrade, func(p string) bool { return strings.EqualFold(strings.TrimSpace(p), "websocket") }) {
		return "allow_upgrade: [websocket]", true
	}
	if m.Spec.UseWebsocket != nil && *m.Spec.UseWebsocket {
		return "use_websocket: true", true
	}
	return "", false
}

// mappingTarget splits a Mapping's service into the Service's name, its namespace ("" when the
// Mapping's own) and its port (0 when none is written).
func mappingTarget(service string) (name, namespace string, port int32) {
	s := strings.TrimSpace(service)
	if i := strings.Index(s, "://"); i >= 0 {
		s = s[i+3:]
	}
	s, _, _ = strings.Cut(s, "/")
	if host, p, ok := strings.Cut(s, ":"); ok {
		if n, err := strconv.ParseInt(p, 10, 32); err == nil {
			port = int32(n)
		}
		s = host
	}
	name, rest, _ := strings.Cut(s, ".")
	namespace, _, _ = strings.Cut(rest, ".")
	return name, namespace, port
}

// serviceNamedByMapping: an Emissary Mapping of the namespace forwards WebSocket upgrades to the
// Service. The ports are the one the Mapping names, or every HTTP port when it names none (or
// one the Service does not have).
func (ev *evaluation) serviceNamedByMapping(svc *corev1.Service) (webSocketSvc, bool) {
	var found *webSocketSvc
	for i := range ev.facts.Mappings {
		u := &ev.facts.Mappings[i]
		m := factView[mappingView](ev, u)
		field, ok := m.upgradesWebSocket()
		if !ok {
			continue
		}
		name, namespace, port := mappingTarget(m.Spec.Service)
		if namespace == "" {
			namespace = u.GetNamespace()
		}
		if name != svc.Name || (namespace != "" && svc.Namespace != "" && namespace != svc.Namespace) {
			continue
		}
		if found == nil {
			found = &webSocketSvc{reason: Reason{SignalController, fmt.Sprintf("Mapping %s sends traffic to Service %s with %s", u.GetName(), svc.Name, field)}}
		}
		if idx := slices.IndexFunc(svc.Spec.Ports, func(p corev1.ServicePort) bool { return p.Port == port }); idx >= 0 {
			found.ports = appendUnique(found.ports, idx)
		} else {
			found.ports = append(found.ports, httpPorts(svc)...)
		}
	}
	if found == nil {
		return webSocketSvc{}, false
	}
	slices.Sort(found.ports)
	found.ports = slices.Compact(found.ports)
	return *found, true
}
