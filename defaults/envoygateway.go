package defaults

import (
	"fmt"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Envoy Gateway (envoyproxy/gateway) programs Envoy from Gateway API routes and its own policies.
// Routes allow the WebSocket upgrade by default. What ends an idle WebSocket is Envoy's stream
// idle timeout: 5 minutes at the listener unless a ClientTrafficPolicy on the Gateway changes it,
// or a BackendTrafficPolicy on the route or Gateway sets timeout.http.streamIdleTimeout. A
// BackendTrafficPolicy can also remove the upgrade: an httpUpgrade list replaces the default
// (websocket) list, and requestBuffer drops the default upgrade configuration
// (api/v1alpha1/backendtrafficpolicy_types.go, v1.9.1).

var envoyGatewayRules = family("envoy-gateway", []Rule{
	{ID: "envoy-gateway-stream-idle-timeout", Kind: KindBackendTrafficPolicy, Effects: Defaults | Denies, check: defaultBackendStreamIdleTimeout,
		Summary:     "default timeout.http.streamIdleTimeout to the policy timeout on BackendTrafficPolicies of WebSocket routes; deny shorter ones",
		Remediation: "set timeout.http.streamIdleTimeout to at least the policy minimum, or 0s to disable it"},
	{ID: "envoy-gateway-max-duration", Kind: KindBackendTrafficPolicy, Effects: Denies, check: checkBackendMaxDurations,
		Summary:     "deny maxStreamDuration or maxConnectionDuration below the policy minimum on WebSocket routes",
		Remediation: "remove it (no limit), write 0s, or at least the policy minimum"},
	{ID: "envoy-gateway-upgrade", Kind: KindBackendTrafficPolicy, Effects: Denies, check: checkBackendUpgrade,
		Summary:     "deny requestBuffer, and an httpUpgrade list without websocket, on WebSocket routes",
		Remediation: "remove requestBuffer; add {type: websocket} to httpUpgrade, or remove the list"},
	{ID: "envoy-gateway-affinity", Kind: KindBackendTrafficPolicy, Effects: Defaults, check: defaultBackendAffinity,
		Summary: "default consistent-hash cookie affinity on BackendTrafficPolicies of WebSocket routes without a load balancer"},
	{ID: "envoy-gateway-client-stream-idle-timeout", Kind: KindClientTrafficPolicy, Effects: Denies | Warns, check: checkClientStreamIdleTimeout,
		Summary:     "deny a listener streamIdleTimeout below the policy minimum on Gateways with WebSocket routes; warn when it is left at 5 minutes",
		Remediation: "set timeout.http.streamIdleTimeout to at least the policy minimum, or 0s to disable it"},
})

// envoyPolicyView is what the rules read of an Envoy Gateway policy: whom it targets and the
// fields they judge (ClientTrafficPolicy has only timeout.http.streamIdleTimeout of these).
type envoyPolicyView struct {
	Spec struct {
		TargetRef  *policyTargetRef  `json:"targetRef"`
		TargetRefs []policyTargetRef `json:"targetRefs"`
		Timeout    *struct {
			HTTP *struct {
				StreamIdleTimeout     *string `json:"streamIdleTimeout"`
				MaxStreamDuration     *string `json:"maxStreamDuration"`
				MaxConnectionDuration *string `json:"maxConnectionDuration"`
			} `json:"http"`
		} `json:"timeout"`
		LoadBalancer  map[string]any `json:"loadBalancer"`
		RequestBuffer map[string]any `json:"requestBuffer"`
		HTTPUpgrade   []struct {
			Type string `json:"type"`
		} `json:"httpUpgrade"`
	} `json:"spec"`
}

// policyTargetRef is a Gateway API policy attachment (GEP-713): a local object by group, kind and name.
type policyTargetRef struct {
	Group string `json:"group"`
	Kind  string `json:"kind"`
	Name  string `json:"name"`
}

func (ev *evaluation) envoyPolicy() *envoyPolicyView { return view[envoyPolicyView](ev) }

func (p *envoyPolicyView) targets() []policyTargetRef {
	out := p.Spec.TargetRefs
	if p.Spec.TargetRef != nil {
		out = append([]policyTargetRef{*p.Spec.TargetRef}, out...)
	}
	return out
}

var (
	envoyHTTPTimeoutField = at("spec", "timeout", "http")
	envoyHTTPTimeoutPath  = envoyHTTPTimeoutField.Field()
)

// envoyPolicyIsWebSocket: the policy targets a WebSocket HTTPRoute of the namespace, or a Gateway
// that one of them attaches to.
func envoyPolicyIsWebSocket(ev *evaluation) bool {
	for _, t := range ev.envoyPolicy().targets() {
		if t.Group != gatewayAPIGroup {
			continue
		}
		switch t.Kind {
		case "HTTPRoute":
			if r, ok := ev.webSocketRouteFact(t.Name); ok {
				ev.because(r.via("it targets HTTPRoute %s", t.Name))
				return true
			}
		case "Gateway":
			if name, r, ok := ev.webSocketRouteOnGateway(t.Name); ok {
				ev.because(r.via("it targets Gateway %s, which HTTPRoute %s attaches to", t.Name, name))
				return true
			}
		}
	}
	return false
}

// defaultBackendStreamIdleTimeout raises Envoy's stream idle timeout for WebSocket routes: the
// listener's 5 minutes would close a quiet WebSocket. "0s" disables it, and is kept.
func defaultBackendStreamIdleTimeout(ev *evaluation) {
	p := ev.envoyPolicy()
	var current *string
	if p.Spec.Timeout != nil && p.Spec.Timeout.HTTP != nil {
		current = p.Spec.Timeout.HTTP.StreamIdleTimeout
	}
	if current == nil {
		ev.setDefault(envoyHTTPTimeoutField.Child("streamIdleTimeout"), seconds(ev.policy.TimeoutSeconds),
			"Envoy closes a WebSocket after its stream idle timeout, 5 minutes unless the Gateway's ClientTrafficPolicy raises it")
		return
	}
	judgeEnvoyIdle(ev, envoyHTTPTimeoutPath.Child("streamIdleTimeout"), *current, "this route's")
}

// judgeEnvoyIdle denies an idle timeout that closes quiet WebSockets before the policy minimum.
func judgeEnvoyIdle(ev *evaluation, path *field.Path, raw, whose string) {
	minimum := ev.policy.MinTimeoutSeconds
	d, ok := parseGatewayDuration(raw)
	switch {
	case !ok:
		ev.violate(path, raw, "is not a Gateway API duration", fmt.Sprintf(`write a duration such as "%s", or "0s" to disable it`, seconds(ev.policy.TimeoutSeconds)))
	case d != 0 && d.Seconds() < float64(minimum):
		ev.violate(path, raw, fmt.Sprintf("makes Envoy close %s WebSockets after %s without traffic", whose, raw),
			fmt.Sprintf(`write at least %s, or "0s" to disable it`, atLeast(minimum)))
	}
}

// checkBackendMaxDurations denies hard limits on stream and connection life that end WebSockets
// however busy they are. Unset or "0s", there is no limit.
func checkBackendMaxDurations(ev *evaluation) {
	p := ev.envoyPolicy()
	if p.Spec.Timeout == nil || p.Spec.Timeout.HTTP == nil {
		return
	}
	minimum := ev.policy.MinTimeoutSeconds
	for _, t := range []struct {
		name  string
		value *string
		what  string
	}{
		{"maxStreamDuration", p.Spec.Timeout.HTTP.MaxStreamDuration, "every WebSocket on these routes"},
		{"maxConnectionDuration", p.Spec.Timeout.HTTP.MaxConnectionDuration, "every upstream connection, and the WebSocket it carries"},
	} {
		if t.value == nil {
			continue
		}
		path := envoyHTTPTimeoutPath.Child(t.name)
		d, ok := parseGatewayDuration(*t.value)
		switch {
		case !ok:
			ev.violate(path, *t.value, "is not a Gateway API duration", `remove it for no limit, or write "0s"`)
		case d != 0 && d < time.Duration(minimum)*time.Second:
			ev.violate(path, *t.value, fmt.Sprintf("makes Envoy end %s after %s, however busy", t.what, *t.value),
				fmt.Sprintf(`remove it (no limit), write "0s", or at least %s`, atLeast(minimum)))
		}
	}
}

// checkBackendUpgrade denies the two settings that take the WebSocket upgrade away from the
// targeted routes, where Envoy then answers the handshake with 403 (or hangs it, buffering).
func checkBackendUpgrade(ev *evaluation) {
	p := ev.envoyPolicy()
	if p.Spec.RequestBuffer != nil {
		ev.violate(field.NewPath("spec", "requestBuffer"), renderValue(p.Spec.RequestBuffer),
			"makes Envoy Gateway drop the default upgrade configuration and buffer each request whole, so WebSocket handshakes on these routes hang or fail",
			"remove requestBuffer from the policy of WebSocket routes, or move the routes that need it to a policy of their own")
	}
	if p.Spec.HTTPUpgrade == nil {
		return
	}
	for _, u := range p.Spec.HTTPUpgrade {
		if strings.EqualFold(strings.TrimSpace(u.Type), "websocket") {
			return
		}
	}
	var types []string
	for _, u := range p.Spec.HTTPUpgrade {
		types = append(types, u.Type)
	}
	ev.unsupported(field.NewPath("spec", "httpUpgrade"), strings.Join(types, ","),
		"replaces Envoy Gateway's default upgrade list (websocket), so Envoy refuses the WebSocket handshake on these routes",
		"add {type: websocket} to httpUpgrade, or remove the list to keep the default")
}

// defaultBackendAffinity asks Envoy for a session cookie, so that a reconnecting client returns to
// the pod that holds its session. A policy with any load balancer keeps it. The CRD's default
// table size is written too: the API server would add it after admission, and the stored value
// would then differ from wsguard's record, which would read as the user's change
// (AnnotationDefaults), and an override added later could not take it back.
func defaultBackendAffinity(ev *evaluation) {
	if !ev.policy.AffinityEnabled() || ev.envoyPolicy().Spec.LoadBalancer != nil {
		return
	}
	lb := map[string]any{
		"type": "ConsistentHash",
		"consistentHash": map[string]any{
			"type":      "Cookie",
			"cookie":    map[string]any{"name": ev.policy.Affinity.CookieName, "ttl": seconds(ev.policy.Affinity.CookieMaxAgeSeconds)},
			"tableSize": envoyDefaultTableSize,
		},
	}
	ev.setDefault(at("spec", "loadBalancer"), lb, "a reconnecting WebSocket client returns to the pod that holds its session")
}

// checkClientStreamIdleTimeout judges the listener's stream idle timeout of a Gateway that carries
// WebSocket routes: a short one is denied; left unset (5 minutes) it is warned about, since a
// route's BackendTrafficPolicy can raise it for that route alone.
func checkClientStreamIdleTimeout(ev *evaluation) {
	p := ev.envoyPolicy()
	if p.Spec.Timeout == nil || p.Spec.Timeout.HTTP == nil || p.Spec.Timeout.HTTP.StreamIdleTimeout == nil {
		ev.warn(envoyHTTPTimeoutPath.Child("streamIdleTimeout"), fmt.Sprintf(
			"left unset, Envoy closes a WebSocket on this Gateway after 5 minutes without traffic; set it to at least %s here, "+
				"or set timeout.http.streamIdleTimeout in a BackendTrafficPolicy that targets the WebSocket routes (wsguard defaults it there)",
			atLeast(ev.policy.MinTimeoutSeconds)))
		return
	}
	judgeEnvoyIdle(ev, envoyHTTPTimeoutPath.Child("streamIdleTimeout"), *p.Spec.Timeout.HTTP.StreamIdleTimeout, "this Gateway's")
}

// envoyDefaultTableSize is the CRD's default for consistentHash.tableSize (Maglev's table size).
const envoyDefaultTableSize int64 = 65537

// gatewayAPIGroup is the group of Gateway API's own kinds.
const gatewayAPIGroup = "gateway.networking.k8s.io"

// routeFactView is what detection reads of an HTTPRoute among the facts, and the NGINX Gateway
// Fabric rule of the route under review: the Gateways it attaches to and its backends.
type routeFactView struct {
	Spec struct {
		ParentRefs []gatewayRef `json:"parentRefs"`
		Rules      []struct {
			BackendRefs []gatewayRef `json:"backendRefs"`
		} `json:"rules"`
	} `json:"spec"`
}

// webSocketRouteFact reports whether the namespace's HTTPRoute of that name is WebSocket, and why.
func (ev *evaluation) webSocketRouteFact(name string) (Reason, bool) {
	for i := range ev.facts.HTTPRoutes {
		if u := &ev.facts.HTTPRoutes[i]; u.GetName() == name {
			return ev.routeFactIsWebSocket(u)
		}
	}
	return Reason{}, false
}

// webSocketRouteOnGateway returns a WebSocket HTTPRoute of the namespace that attaches to the
// namespace's Gateway of that name.
func (ev *evaluation) webSocketRouteOnGateway(gateway string) (string, Reason, bool) {
	for i := range ev.facts.HTTPRoutes {
		u := &ev.facts.HTTPRoutes[i]
		attached := false
		for _, p := range factView[routeFactView](ev, u).Spec.ParentRefs {
			if ns, ok := p.gateway(u.GetNamespace()); ok && p.Name == gateway && ns == u.GetNamespace() {
				attached = true
			}
		}
		if !attached {
			continue
		}
		if r, ok := ev.routeFactIsWebSocket(u); ok {
			return u.GetName(), r, true
		}
	}
	return "", Reason{}, false
}

// routeFactIsWebSocket: the HTTPRoute is marked WebSocket, or a rule sends traffic to a WebSocket
// Service of its namespace (as httpRouteIsWebSocket judges the route under review).
func (ev *evaluation) routeFactIsWebSocket(u *unstructured.Unstructured) (Reason, bool) {
	if v, set := webSocketAnnotation(u.GetAnnotations()); set {
		return Reason{SignalAnnotation, fmt.Sprintf("HTTPRoute %s is annotated %s: \"true\"", u.GetName(), AnnotationWebSocket)}, v
	}
	for _, r := range factView[routeFactView](ev, u).Spec.Rules {
		for _, b := range r.BackendRefs {
			if !localServiceRef(b.Group, b.Kind, b.Namespace, u.GetNamespace()) {
				continue
			}
			if svc := ev.facts.service(b.Name); svc != nil {
				if ws, ok := ev.webSocketService(svc); ok {
					return ws.reason.via("HTTPRoute %s routes to Service %s", u.GetName(), svc.Name), true
				}
			}
		}
	}
	return Reason{}, false
}
