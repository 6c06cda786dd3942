package defaults

import (
	"fmt"
	"slices"

	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Traefik's own CRDs (traefik.io/v1alpha1). Traefik proxies the WebSocket upgrade on any route
// without configuration, and none of these objects carries a timeout that applies to an
// upgraded connection (ServersTransport's forwardingTimeouts bound the dial, the wait for
// response headers and idle pooled connections, not a hijacked stream), so what wsguard adds is
// stickiness: the sticky cookie of pkg/config/dynamic.Sticky, read by the CRD provider
// (pkg/provider/kubernetes/crd/kubernetes_http.go) from a Kubernetes Service entry of an
// IngressRoute or a TraefikService, and from a weighted TraefikService itself.

// traefikWRRCookieSuffix names the weighted TraefikService's cookie apart from the cookie of the
// Services under it: both are set on the same response, and a shared name would make each level
// read the other's value and pick a new target on every request.
const traefikWRRCookieSuffix = "-service"

var traefikCRDRules = family("traefik", []Rule{
	{ID: "traefik-ingressroute-sticky-cookie", Kind: KindIngressRoute, Effects: Defaults, check: defaultIngressRouteStickyCookie,
		Summary: "default sticky.cookie on IngressRoute service entries that name a WebSocket Service"},
	{ID: "traefik-traefikservice-sticky-cookie", Kind: KindTraefikService, Effects: Defaults, check: defaultTraefikServiceStickyCookie,
		Summary: "default weighted.sticky.cookie on weighted TraefikServices that spread WebSocket Services, and sticky.cookie on those Services' entries"},
	{ID: "traefik-legacy-api-group", Kind: KindLegacyIngressRoute, Effects: Warns, check: warnTraefikLegacyGroup,
		Summary: "warn that Traefik v3 does not read IngressRoutes of the traefik.containo.us group"},
})

// traefikServiceRef is an entry of an IngressRoute's services[] or a TraefikService's
// weighted.services[] (Traefik's LoadBalancerSpec): a Kubernetes Service or a TraefikService.
type traefikServiceRef struct {
	Name      string             `json:"name"`
	Kind      string             `json:"kind"`
	Namespace string             `json:"namespace"`
	Port      intstr.IntOrString `json:"port"`
	// Scheme h2c makes Traefik speak HTTP/2 to the Service: the handshake cannot pass there.
	Scheme string         `json:"scheme"`
	Sticky map[string]any `json:"sticky"`
}

// ingressRouteView is what the rules read of an IngressRoute (traefik.io/v1alpha1, and the
// same fields of traefik.containo.us/v1alpha1).
type ingressRouteView struct {
	Spec struct {
		Routes []struct {
			Services []traefikServiceRef `json:"services"`
		} `json:"routes"`
	} `json:"spec"`
}

// traefikServiceView is what the rules read of a TraefikService.
type traefikServiceView struct {
	Spec struct {
		Weighted *struct {
			Services []traefikServiceRef `json:"services"`
			Sticky   map[string]any      `json:"sticky"`
		} `json:"weighted"`
	} `json:"spec"`
}

func (ev *evaluation) ingressRoute() *ingressRouteView     { return view[ingressRouteView](ev) }
func (ev *evaluation) traefikService() *traefikServiceView { return view[traefikServiceView](ev) }

// routeEntry is a service entry of an IngressRoute: route i, entry j.
type routeEntry struct{ route, entry int }

func ingressRouteIsWebSocket(ev *evaluation) bool {
	return len(webSocketRouteEntries(ev)) > 0
}

// webSocketRouteEntries lists the IngressRoute's service entries that send traffic to a
// WebSocket port of a Service of the namespace; for an IngressRoute marked only by annotation,
// every entry that names a Kubernetes Service.
func webSocketRouteEntries(ev *evaluation) []routeEntry {
	route := ev.ingressRoute()
	var found, all []routeEntry
	for i, r := range route.Spec.Routes {
		for j, s := range r.Services {
			if !ev.traefikLocalService(s) {
				continue
			}
			all = append(all, routeEntry{i, j})
			if ev.traefikEntryIsWebSocket(s, fmt.Sprintf("route %d sends traffic to Service %s", i, s.Name)) {
				found = append(found, routeEntry{i, j})
			}
		}
	}
	if len(found) == 0 && ev.annots[AnnotationWebSocket] == "true" {
		return all
	}
	return found
}

func traefikServiceIsWebSocket(ev *evaluation) bool {
	return len(webSocketWeightedEntries(ev)) > 0
}

// webSocketWeightedEntries lists the weighted TraefikService's entries that are WebSocket
// Services of the namespace; for one marked only by annotation, every Kubernetes Service entry.
// Mirroring, failover and highest-random-weight TraefikServices are not judged.
func webSocketWeightedEntries(ev *evaluation) []int {
	w := ev.traefikService().Spec.Weighted
	if w == nil {
		return nil
	}
	var found, all []int
	for j, s := range w.Services {
		if !ev.traefikLocalService(s) {
			continue
		}
		all = append(all, j)
		if ev.traefikEntryIsWebSocket(s, fmt.Sprintf("its weighted entry %d is Service %s", j, s.Name)) {
			found = append(found, j)
		}
	}
	if len(found) == 0 && ev.annots[AnnotationWebSocket] == "true" {
		return all
	}
	return found
}

// traefikLocalService: the entry names a Kubernetes Service (kind empty or Service) of the
// object's namespace, the only Services wsguard sees.
func (ev *evaluation) traefikLocalService(s traefikServiceRef) bool {
	return (s.Kind == "" || s.Kind == "Service") && (s.Namespace == "" || s.Namespace == ev.namespace())
}

// traefikEntryIsWebSocket: the entry's Service is WebSocket and the port it names (by name or
// number, as an Ingress backend names it) is one of its WebSocket ports. An entry without a
// port, which Traefik accepts for a Service of one port, counts.
func (ev *evaluation) traefikEntryIsWebSocket(s traefikServiceRef, via string) bool {
	if s.Scheme == "h2c" {
		return false
	}
	svc := ev.facts.service(s.Name)
	if svc == nil {
		return false
	}
	ws, ok := ev.webSocketService(svc)
	if !ok {
		return false
	}
	port := networkingv1.ServiceBackendPort{}
	if s.Port.Type == intstr.String {
		port.Name = s.Port.StrVal
	} else {
		port.Number = s.Port.IntVal
	}
	if i, resolved := servicePortIndex(svc, port); resolved && !slices.Contains(ws.ports, i) {
		return false
	}
	ev.because(ws.reason.via("%s", via))
	return true
}

// traefikCookie is the sticky setting wsguard defaults: the policy's cookie, which outlives the
// browser session for the policy's lifetime.
func (ev *evaluation) traefikCookie(name string) map[string]any {
	return map[string]any{"cookie": map[string]any{"name": name, "maxAge": ev.policy.Affinity.CookieMaxAgeSeconds}}
}

// defaultIngressRouteStickyCookie asks Traefik for a sticky cookie on each service entry of a
// WebSocket Service, so that a client whose WebSocket dropped reconnects to the pod that holds
// its session. Traefik reads stickiness for an IngressRoute from the entry, not from the
// Service's annotations (those belong to the Ingress provider). An entry with any sticky
// setting of the user's, an empty one included, is kept.
func defaultIngressRouteStickyCookie(ev *evaluation) {
	if !ev.policy.AffinityEnabled() {
		return
	}
	route := ev.ingressRoute()
	for _, e := range webSocketRouteEntries(ev) {
		if route.Spec.Routes[e.route].Services[e.entry].Sticky != nil {
			continue
		}
		ev.setDefault(at("spec", "routes").Index(e.route).Child("services").Index(e.entry).Child("sticky"), ev.traefikCookie(ev.policy.Affinity.CookieName),
			"Traefik sets a cookie that brings a reconnecting WebSocket client back to the pod that holds its session")
	}
}

// defaultTraefikServiceStickyCookie makes a weighted TraefikService that spreads WebSocket
// Services sticky at both levels: weighted.sticky brings a reconnecting client back to the same
// Service (without it the weighted round robin may send it to another), and sticky on each
// WebSocket Service's entry to the same pod of it. User settings at either level are kept.
func defaultTraefikServiceStickyCookie(ev *evaluation) {
	if !ev.policy.AffinityEnabled() {
		return
	}
	entries := webSocketWeightedEntries(ev)
	if len(entries) == 0 {
		return
	}
	w := ev.traefikService().Spec.Weighted
	if w.Sticky == nil {
		ev.setDefault(at("spec", "weighted", "sticky"), ev.traefikCookie(ev.policy.Affinity.CookieName+traefikWRRCookieSuffix),
			"Traefik sets a cookie that brings a reconnecting WebSocket client back to the same Service")
	}
	for _, j := range entries {
		if w.Services[j].Sticky != nil {
			continue
		}
		ev.setDefault(at("spec", "weighted", "services").Index(j).Child("sticky"), ev.traefikCookie(ev.policy.Affinity.CookieName),
			"Traefik sets a cookie that brings a reconnecting WebSocket client back to the pod that holds its session")
	}
}

// warnTraefikLegacyGroup warns about an IngressRoute of traefik.containo.us, the group Traefik
// v2 served (beside traefik.io since v2.10) and v3 removed: Traefik v3 ignores the object, so
// its routes do not exist. Old guides still show it. A warning: the cluster may run Traefik v2.
func warnTraefikLegacyGroup(ev *evaluation) {
	ev.warn(field.NewPath("apiVersion"),
		"traefik.containo.us is the API group of Traefik v2, removed in Traefik v3, which does not read this IngressRoute, so its routes are not served; "+
			"write apiVersion: traefik.io/v1alpha1 (the fields are the same)")
}
