package defaults

import (
	"fmt"
)

// gatewayRef is a Gateway API reference to another object, a route's parentRef or backendRef:
// group and kind, when left out, default to what the field expects, the namespace to the route's.
type gatewayRef struct {
	Group     *string `json:"group"`
	Kind      *string `json:"kind"`
	Name      string  `json:"name"`
	Namespace *string `json:"namespace"`
}

// gateway returns the namespace of the Gateway a parentRef of a route of namespace from names,
// and false when it names another kind of parent.
func (r gatewayRef) gateway(from string) (string, bool) {
	if (r.Group != nil && *r.Group != gatewayAPIGroup) || (r.Kind != nil && *r.Kind != "Gateway") {
		return "", false
	}
	if r.Namespace != nil && *r.Namespace != "" {
		return *r.Namespace, true
	}
	return from, true
}

// httpRouteView is what the rules read of a Gateway API HTTPRoute.
type httpRouteView struct {
	Spec struct {
		Rules []struct {
			BackendRefs []gatewayRef `json:"backendRefs"`
			Timeouts    *struct {
				Request        *string `json:"request"`
				BackendRequest *string `json:"backendRequest"`
			} `json:"timeouts"`
		} `json:"rules"`
	} `json:"spec"`
}

var gatewayAPIRules = family("gateway-api", []Rule{
	{ID: "gateway-httproute-timeouts", Kind: KindHTTPRoute, Effects: Defaults | Denies, check: defaultHTTPRouteTimeouts,
		Summary:     "default timeouts.request 0s (disabled) on rules to WebSocket backends; deny non-zero timeouts below the minimum",
		Remediation: "remove the timeout to get 0s (disabled), or set at least the policy minimum"},
})

var (
	httpRouteRulesField = at("spec", "rules")
	httpRouteRulesPath  = httpRouteRulesField.Field()
)

func (ev *evaluation) httpRoute() *httpRouteView { return view[httpRouteView](ev) }

func httpRouteIsWebSocket(ev *evaluation) bool {
	return len(webSocketRouteRules(ev)) > 0
}

// webSocketRouteRules returns the indexes of the rules with a backendRef to a WebSocket Service
// of the namespace; for an HTTPRoute marked only by annotation, every rule.
func webSocketRouteRules(ev *evaluation) []int {
	route := ev.httpRoute()
	var idx []int
	for i, r := range route.Spec.Rules {
		for _, b := range r.BackendRefs {
			if !localServiceRef(b.Group, b.Kind, b.Namespace, ev.namespace()) {
				continue // not a Service of this namespace: wsguard cannot see it
			}
			if svc := ev.facts.service(b.Name); svc != nil {
				if ws, ok := ev.webSocketService(svc); ok {
					ev.because(ws.reason.via("rule %d routes to Service %s", i, svc.Name))
					idx = append(idx, i)
					break
				}
			}
		}
	}
	return ev.everyIndexWhenMarked(idx, len(route.Spec.Rules))
}

// localServiceRef reports whether a Gateway API backendRef names a Service of namespace ns.
func localServiceRef(group, kind, namespace *string, ns string) bool {
	return (group == nil || *group == "") && (kind == nil || *kind == "Service") && (namespace == nil || *namespace == ns)
}

// defaultHTTPRouteTimeouts keeps Gateway API timeouts from ending WebSocket connections. Unset, the
// request timeout is implementation-specific (Envoy Gateway then closes streams idle for 5
// minutes); "0s" disables it (GEP-1742), so it is the default. A non-zero timeout below the
// minimum is denied. Setting request to "0s" never conflicts with backendRequest: the CRD's rule
// allows any backendRequest under a disabled request timeout.
func defaultHTTPRouteTimeouts(ev *evaluation) {
	route := ev.httpRoute()
	minimum := ev.policy.MinTimeoutSeconds
	for _, i := range webSocketRouteRules(ev) {
		rule := route.Spec.Rules[i]
		if rule.Timeouts == nil || rule.Timeouts.Request == nil {
			if ev.policy.RouteTimeoutsDisabled() {
				ev.setDefault(httpRouteRulesField.Index(i).Child("timeouts", "request"), "0s",
					"disables the request timeout, which would otherwise end WebSocket connections")
			}
		}
		if rule.Timeouts == nil {
			continue
		}
		for _, t := range []struct {
			name  string
			value *string
		}{{"request", rule.Timeouts.Request}, {"backendRequest", rule.Timeouts.BackendRequest}} {
			name, value := t.name, t.value
			if value == nil {
				continue
			}
			path := httpRouteRulesPath.Index(i).Child("timeouts", name)
			d, ok := parseGatewayDuration(*value)
			if !ok {
				ev.violate(path, *value, "is not a Gateway API duration", `write "0s" to disable it, or a duration such as "1h"`)
				continue
			}
			if d != 0 && d.Seconds() < float64(minimum) {
				ev.violate(path, *value,
					fmt.Sprintf("ends WebSocket connections on this rule after %s", d),
					fmt.Sprintf(`write "0s" to disable the timeout, or at least %s`, atLeast(minimum)))
			}
		}
	}
}
