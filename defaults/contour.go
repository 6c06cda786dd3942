package defaults

import (
	"fmt"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Contour (projectcontour/contour) programs Envoy. Envoy answers 403 to an Upgrade request on a
// route that has no upgrade config, and Contour adds one only to HTTPProxy routes with
// enableWebsockets: true and to Ingress paths listed in projectcontour.io/websocket-routes. Since
// Envoy 1.36 (Contour 1.33 ships Envoy 1.38) the route timeout, HTTPProxy's timeoutPolicy.response,
// bounds only the handshake; what closes an idle WebSocket is the stream idle timeout: 5 minutes
// unless the route's timeoutPolicy.idle or Contour's configuration says otherwise.

// contourCookieName is the cookie Envoy sets for Contour's Cookie load-balancing strategy; Contour
// fixes its name, and it lives as long as the browser session.
const contourCookieName = "X-Contour-Session-Affinity"

var contourRules = family("contour", []Rule{
	{ID: "contour-httpproxy-websockets", Kind: KindHTTPProxy, Effects: Defaults | Denies, check: defaultHTTPProxyWebsockets,
		Summary:     "default enableWebsockets: true on HTTPProxy routes to WebSocket Services; deny enableWebsockets: false there",
		Remediation: "remove enableWebsockets: false, or write enableWebsockets: true"},
	{ID: "contour-httpproxy-idle-timeout", Kind: KindHTTPProxy, Effects: Defaults | Denies, check: defaultHTTPProxyIdleTimeout,
		Summary:     "default timeoutPolicy.idle to the policy timeout on WebSocket routes; deny shorter ones and 0, which means Envoy's 5 minutes",
		Remediation: "write timeoutPolicy.idle of at least the policy minimum, or infinity"},
	{ID: "contour-httpproxy-affinity", Kind: KindHTTPProxy, Effects: Defaults, check: defaultHTTPProxyAffinity,
		Summary: "default loadBalancerPolicy.strategy: Cookie on WebSocket routes without a load-balancing policy"},
	{ID: "contour-ingress-websocket-routes", Kind: KindIngress, Controller: ControllerContour, Effects: Defaults | Warns, check: listContourWebSocketRoutes,
		Summary: "list the paths of WebSocket backends in projectcontour.io/websocket-routes; warn that an Ingress cannot raise Envoy's stream idle timeout"},
})

// httpProxyView is what the rules read of a Contour HTTPProxy (projectcontour.io/v1).
type httpProxyView struct {
	Spec struct {
		Routes []httpProxyRoute `json:"routes"`
	} `json:"spec"`
}

type httpProxyRoute struct {
	Services []struct {
		Name string `json:"name"`
		Port int32  `json:"port"`
		// Protocol h2 or h2c makes Envoy speak HTTP/2 to the Service (gRPC): not a WebSocket path.
		Protocol *string `json:"protocol"`
	} `json:"services"`
	EnableWebsockets *bool `json:"enableWebsockets"`
	TimeoutPolicy    *struct {
		Idle *string `json:"idle"`
	} `json:"timeoutPolicy"`
	LoadBalancerPolicy map[string]any `json:"loadBalancerPolicy"`
}

var (
	httpProxyRoutesField = at("spec", "routes")
	httpProxyRoutesPath  = httpProxyRoutesField.Field()
)

func (ev *evaluation) httpProxy() *httpProxyView { return view[httpProxyView](ev) }

func httpProxyIsWebSocket(ev *evaluation) bool {
	return len(webSocketProxyRoutes(ev)) > 0
}

// webSocketProxyRoutes returns the indexes of the HTTPProxy's routes that carry WebSockets: those
// whose author enabled WebSockets, and those to a WebSocket port of a Service of the namespace;
// for an HTTPProxy marked only by annotation, every route. Routes included from other HTTPProxies
// are judged with those.
func webSocketProxyRoutes(ev *evaluation) []int {
	proxy := ev.httpProxy()
	var idx []int
	for i, r := range proxy.Spec.Routes {
		if r.EnableWebsockets != nil && *r.EnableWebsockets {
			ev.because(Reason{SignalController, fmt.Sprintf("its route %d sets enableWebsockets: true", i)})
			idx = append(idx, i)
			continue
		}
		for _, s := range r.Services {
			if proxyServiceIsHTTP2(s.Protocol) {
				continue
			}
			svc := ev.facts.service(s.Name)
			if svc == nil {
				continue
			}
			ws, ok := ev.webSocketService(svc)
			if !ok || !slices.ContainsFunc(ws.ports, func(p int) bool { return svc.Spec.Ports[p].Port == s.Port }) {
				continue
			}
			ev.because(ws.reason.via("route %d sends traffic to Service %s", i, svc.Name))
			idx = append(idx, i)
			break
		}
	}
	return ev.everyIndexWhenMarked(idx, len(proxy.Spec.Routes))
}

func proxyServiceIsHTTP2(protocol *string) bool {
	return protocol != nil && (*protocol == "h2" || *protocol == "h2c")
}

// defaultHTTPProxyWebsockets enables the upgrade on WebSocket routes: without it Envoy answers the
// handshake with 403. An explicit false on a route to a WebSocket Service is denied.
func defaultHTTPProxyWebsockets(ev *evaluation) {
	proxy := ev.httpProxy()
	for _, i := range webSocketProxyRoutes(ev) {
		r := proxy.Spec.Routes[i]
		if r.EnableWebsockets == nil {
			ev.setDefault(httpProxyRoutesField.Index(i).Child("enableWebsockets"), true,
				"Envoy refuses the WebSocket upgrade with 403 on a route without it")
			continue
		}
		if !*r.EnableWebsockets {
			ev.violate(httpProxyRoutesPath.Index(i).Child("enableWebsockets"), "false",
				"makes Envoy refuse the WebSocket upgrade on this route with 403",
				"remove the field, or write enableWebsockets: true")
		}
	}
}

// defaultHTTPProxyIdleTimeout keeps Envoy from closing idle WebSockets after its 5-minute stream
// idle timeout. Contour reads "0" as "use Envoy's default" and "infinity" as disabled.
func defaultHTTPProxyIdleTimeout(ev *evaluation) {
	proxy := ev.httpProxy()
	minimum := ev.policy.MinTimeoutSeconds
	for _, i := range webSocketProxyRoutes(ev) {
		r := proxy.Spec.Routes[i]
		if r.TimeoutPolicy == nil || r.TimeoutPolicy.Idle == nil {
			ev.setDefault(httpProxyRoutesField.Index(i).Child("timeoutPolicy", "idle"), seconds(ev.policy.TimeoutSeconds),
				"Envoy closes a WebSocket after 5 minutes without traffic unless the route says otherwise")
			continue
		}
		raw := *r.TimeoutPolicy.Idle
		path := httpProxyRoutesPath.Index(i).Child("timeoutPolicy", "idle")
		if raw == "infinity" || raw == "infinite" {
			continue
		}
		d, err := time.ParseDuration(raw)
		switch {
		case err != nil:
			ev.violate(path, raw, "is not a duration Contour reads, so Contour rejects the route",
				fmt.Sprintf("write a duration of at least %s such as %q, or infinity", atLeast(minimum), seconds(ev.policy.TimeoutSeconds)))
		case d == 0:
			ev.violate(path, raw, "means Envoy's default to Contour, which closes a WebSocket after 5 minutes without traffic",
				fmt.Sprintf("write infinity to disable the idle timeout, or at least %s", atLeast(minimum)))
		case d.Seconds() < float64(minimum):
			ev.violate(path, raw, fmt.Sprintf("makes Envoy close a WebSocket after %s without traffic", d),
				fmt.Sprintf("write at least %s, or infinity", atLeast(minimum)))
		}
	}
}

// defaultHTTPProxyAffinity asks Envoy for a session cookie on WebSocket routes that chose no
// load-balancing policy, so that a reconnecting client returns to the pod that holds its session.
func defaultHTTPProxyAffinity(ev *evaluation) {
	if !ev.policy.AffinityEnabled() {
		return
	}
	proxy := ev.httpProxy()
	for _, i := range webSocketProxyRoutes(ev) {
		if proxy.Spec.Routes[i].LoadBalancerPolicy != nil {
			continue
		}
		ev.setDefault(httpProxyRoutesField.Index(i).Child("loadBalancerPolicy"), map[string]any{"strategy": "Cookie"},
			"Envoy sets the "+contourCookieName+" cookie, which brings a reconnecting WebSocket client back to the pod that holds its session")
	}
}

// listContourWebSocketRoutes lists the paths of the Ingress's WebSocket backends in
// projectcontour.io/websocket-routes: Contour enables the upgrade only on paths listed there,
// compared exactly with the rule's path ("/" when the rule has none). A user's list is kept as
// written and the missing paths are appended. An Ingress has no way to raise Envoy's stream idle
// timeout (Contour's configuration sets it for every route), which is said once.
func listContourWebSocketRoutes(ev *evaluation) {
	var want []string
	for _, b := range webSocketBackends(ev) {
		p := b.RulePath
		if p == "" {
			p = "/"
		}
		want = append(want, p)
	}
	if len(want) == 0 {
		return
	}
	slices.Sort(want)
	want = slices.Compact(want)
	ev.listInAnnotation(annotationContourWebSocketRoutes, want,
		"Contour enables the WebSocket upgrade only on the paths listed here; Envoy answers 403 on the others")
	ev.warn(annotationPath(annotationContourWebSocketRoutes), fmt.Sprintf(
		"Envoy closes a WebSocket after its stream idle timeout (5 minutes unless Contour's configuration sets timeouts.stream-idle-timeout), and an Ingress cannot raise it; "+
			"set timeouts.stream-idle-timeout to at least %s in Contour's configuration, or route this traffic with an HTTPProxy and timeoutPolicy.idle",
		atLeast(ev.policy.MinTimeoutSeconds)))
}

// serviceNamedByHTTPProxy: an HTTPProxy of the namespace enables WebSockets on a route to the
// Service. The ports are those the routes name, or every HTTP port when none resolves.
func (ev *evaluation) serviceNamedByHTTPProxy(svc *corev1.Service) (webSocketSvc, bool) {
	var found *webSocketSvc
	for pi := range ev.facts.HTTPProxies {
		u := &ev.facts.HTTPProxies[pi]
		if u.GetNamespace() != "" && svc.Namespace != "" && u.GetNamespace() != svc.Namespace {
			continue
		}
		for ri, r := range ev.httpProxyFact(u).Spec.Routes {
			if r.EnableWebsockets == nil || !*r.EnableWebsockets {
				continue
			}
			for _, s := range r.Services {
				if s.Name != svc.Name || proxyServiceIsHTTP2(s.Protocol) {
					continue
				}
				if found == nil {
					found = &webSocketSvc{reason: Reason{SignalController, fmt.Sprintf("HTTPProxy %s enables WebSockets on route %d to Service %s", u.GetName(), ri, svc.Name)}}
				}
				if i := slices.IndexFunc(svc.Spec.Ports, func(p corev1.ServicePort) bool { return p.Port == s.Port }); i >= 0 {
					found.ports = appendUnique(found.ports, i)
				}
			}
		}
	}
	if found == nil {
		return webSocketSvc{}, false
	}
	if len(found.ports) == 0 {
		found.ports = httpPorts(svc)
	}
	slices.Sort(found.ports)
	return *found, true
}

// httpProxyFact reads an HTTPProxy among the facts once per evaluation.
func (ev *evaluation) httpProxyFact(u *unstructured.Unstructured) *httpProxyView {
	return factView[httpProxyView](ev, u)
}
