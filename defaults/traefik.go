package defaults

import (
	"strings"
)

// Service annotations of Traefik's Kubernetes Ingress provider that turn on sticky sessions for
// the Service's load balancer. They exist since Traefik v2 and are unchanged in v3.
const (
	annotationTraefikStickyCookie     = "traefik.ingress.kubernetes.io/service.sticky.cookie"
	annotationTraefikStickyCookieName = "traefik.ingress.kubernetes.io/service.sticky.cookie.name"
	// annotationTraefikServersScheme picks the protocol Traefik speaks to the Service's pods.
	annotationTraefikServersScheme = "traefik.ingress.kubernetes.io/service.serversscheme"
)

// traefikRules: Traefik proxies WebSocket upgrades with no configuration and has no per-route
// idle timeout (the entry point's respondingTimeouts are static configuration), so the only
// thing wsguard adds is stickiness, which Traefik reads from the backend Service. The defaulting
// rule comes first, then the warning.
var traefikRules = family("traefik", []Rule{
	{ID: "traefik-service-sticky-cookie", Kind: KindService, Controller: ControllerTraefik, Effects: Defaults, check: defaultTraefikStickyCookie,
		Summary: "default a sticky cookie on Services that Traefik-served Ingresses route to"},
	{ID: "traefik-service-h2c-scheme", Kind: KindService, Controller: ControllerTraefik, Effects: Warns, check: checkTraefikH2CScheme,
		Summary: "warn that serversscheme h2c on a WebSocket Service fails the handshake on Traefik releases without the fix for traefik#7465"},
})

// defaultTraefikStickyCookie turns on Traefik's sticky cookie for a WebSocket Service that a
// Traefik-served Ingress routes to, so that a client whose WebSocket dropped reconnects to the
// pod that holds its session. Traefik reads stickiness for Ingress routes only from the Service,
// which is why this rule judges Services. A sticky.cookie value the user wrote, "false"
// included, is kept, and so is a cookie name.
func defaultTraefikStickyCookie(ev *evaluation) {
	if !ev.policy.AffinityEnabled() || len(ingressesRoutingToService(ev, ControllerTraefik)) == 0 {
		return
	}
	if _, set := ev.annotation(annotationTraefikStickyCookie); set {
		return
	}
	ev.setAnnotationDefault(annotationTraefikStickyCookie, "true",
		"Traefik sets a cookie that brings a reconnecting WebSocket client back to the pod that holds its session")
	ev.setAnnotationDefault(annotationTraefikStickyCookieName, ev.policy.Affinity.CookieName,
		"the affinity cookie name of the wsguard policy")
}

// checkTraefikH2CScheme warns about a WebSocket Service that Traefik reaches over h2c. Traefik
// answered WebSocket handshakes to h2c backends with HTTP 500 for years (traefik/traefik#7465),
// because Go's HTTP/2 transport cannot carry an HTTP/1.1 Upgrade; the fix (traefik/traefik#12967)
// is recent, so wsguard cannot tell from the Service whether the installed Traefik has it. The
// annotation belongs to Traefik alone, so no Ingress facts are needed.
func checkTraefikH2CScheme(ev *evaluation) {
	if scheme, _ := ev.annotation(annotationTraefikServersScheme); strings.EqualFold(strings.TrimSpace(scheme), "h2c") {
		ev.warn(annotationPath(annotationTraefikServersScheme),
			"Traefik releases without the fix for traefik/traefik#7465 answer every WebSocket handshake to an h2c backend with HTTP 500, because an HTTP/2 connection cannot carry the HTTP/1.1 Upgrade; "+
				"check that your Traefik includes traefik/traefik#12967, or serve WebSockets through a Service port with scheme http")
	}
}
