package defaults

import (
	"fmt"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Read-only views of the Istio fields the rules judge. Only what rules read is declared; the
// object itself is edited as unstructured, so nothing else is lost.
type (
	virtualServiceView struct {
		Spec struct {
			HTTP []struct {
				Route []struct {
					Destination struct {
						Host string `json:"host"`
					} `json:"destination"`
				} `json:"route"`
				Timeout          *string `json:"timeout"`
				WebsocketUpgrade *bool   `json:"websocketUpgrade"`
			} `json:"http"`
		} `json:"spec"`
	}
	destinationRuleView struct {
		Spec struct {
			Host          string              `json:"host"`
			TrafficPolicy *istioTrafficPolicy `json:"trafficPolicy"`
			Subsets       []struct {
				TrafficPolicy *istioTrafficPolicy `json:"trafficPolicy"`
			} `json:"subsets"`
		} `json:"spec"`
	}
	istioTrafficPolicy struct {
		ConnectionPool    *istioConnectionPool `json:"connectionPool"`
		LoadBalancer      map[string]any       `json:"loadBalancer"`
		PortLevelSettings []struct {
			Port *struct {
				Number int32 `json:"number"`
			} `json:"port"`
			ConnectionPool *istioConnectionPool `json:"connectionPool"`
		} `json:"portLevelSettings"`
	}
	istioConnectionPool struct {
		HTTP *struct {
			H2UpgradePolicy string `json:"h2UpgradePolicy"`
			IdleTimeout     string `json:"idleTimeout"`
		} `json:"http"`
	}
)

var istioRules = family("istio", []Rule{
	{ID: "istio-virtualservice-websocket-upgrade", Kind: KindVirtualService, Effects: Defaults, check: defaultVirtualServiceWebsocketUpgrade,
		Summary: "set websocketUpgrade: true on WebSocket routes, only where the installed CRD still has the field"},
	{ID: "istio-virtualservice-timeout", Kind: KindVirtualService, Effects: Denies, check: checkVirtualServiceTimeout,
		Summary:     "deny a route timeout below the policy minimum on WebSocket routes",
		Remediation: "remove the route timeout, or set one of at least the policy minimum"},
	{ID: "istio-destinationrule-affinity", Kind: KindDestinationRule, Effects: Defaults, check: defaultDestinationRuleAffinity,
		Summary: "default consistent-hash cookie affinity when no load balancer is set"},
	{ID: "istio-destinationrule-h2-upgrade", Kind: KindDestinationRule, Effects: Denies, check: checkDestinationRuleH2Upgrade,
		Summary:     "deny h2UpgradePolicy UPGRADE for WebSocket hosts (istio#27078)",
		Remediation: "use h2UpgradePolicy DEFAULT or DO_NOT_UPGRADE for WebSocket hosts"},
	{ID: "istio-destinationrule-idle-timeout", Kind: KindDestinationRule, Effects: Denies, check: checkDestinationRuleIdleTimeout,
		Summary:     "deny a connection pool idleTimeout below the policy minimum for WebSocket hosts",
		Remediation: "remove idleTimeout, or set one of at least the policy minimum"},
	{ID: "istio-sidecar-drain", Kind: KindDeployment, Effects: Defaults | Denies | Warns, check: defaultIstioSidecarDrain,
		Summary:     "default the sidecar's terminationDrainDuration to cover the preStop sleep and drain; deny one shorter than the sleep",
		Remediation: "set terminationDrainDuration in proxy.istio.io/config to at least the preStop sleep plus the drain"},
	{ID: "istio-statefulset-sidecar-drain", Kind: KindStatefulSet, Effects: Defaults | Denies | Warns, check: defaultIstioSidecarDrain,
		Summary:     "istio-sidecar-drain for StatefulSets",
		Remediation: "set terminationDrainDuration in proxy.istio.io/config to at least the preStop sleep plus the drain"},
	{ID: "istio-daemonset-sidecar-drain", Kind: KindDaemonSet, Effects: Defaults | Denies | Warns, check: defaultIstioSidecarDrain,
		Summary:     "istio-sidecar-drain for DaemonSets",
		Remediation: "set terminationDrainDuration in proxy.istio.io/config to at least the preStop sleep plus the drain"},
})

var (
	httpRoutesField = at("spec", "http")
	httpRoutesPath  = httpRoutesField.Field()
)

func (ev *evaluation) virtualService() *virtualServiceView { return view[virtualServiceView](ev) }

func (ev *evaluation) destinationRule() *destinationRuleView { return view[destinationRuleView](ev) }

func virtualServiceIsWebSocket(ev *evaluation) bool {
	return len(webSocketHTTPRoutes(ev)) > 0
}

// webSocketHTTPRoutes returns the indexes of the http routes that send traffic to a WebSocket
// Service or set websocketUpgrade: true (obsolete since Istio 1.0 upgrades by itself, but still
// its author's word that the route carries WebSockets); for a VirtualService marked only by
// annotation, every http route.
func webSocketHTTPRoutes(ev *evaluation) []int {
	vs := ev.virtualService()
	var idx []int
	for i, r := range vs.Spec.HTTP {
		if r.WebsocketUpgrade != nil && *r.WebsocketUpgrade {
			ev.because(Reason{SignalController, fmt.Sprintf("its http route %d sets websocketUpgrade: true", i)})
			idx = append(idx, i)
			continue
		}
		for _, d := range r.Route {
			if webSocketHost(ev, d.Destination.Host) {
				idx = append(idx, i)
				break
			}
		}
	}
	return ev.everyIndexWhenMarked(idx, len(vs.Spec.HTTP))
}

// defaultVirtualServiceWebsocketUpgrade sets websocketUpgrade: true, which some Istio installs
// still read, but only where the installed CRD has the field: Istio removed it from its API in
// 2020 (upgrades are automatic since 1.0), current CRDs prune it, and a pruned default would be
// re-injected on every update.
func defaultVirtualServiceWebsocketUpgrade(ev *evaluation) {
	if !ev.facts.WebsocketUpgradeInSchema {
		return
	}
	for _, i := range webSocketHTTPRoutes(ev) {
		ev.setDefault(httpRoutesField.Index(i).Child("websocketUpgrade"), true, "this Istio's VirtualService schema still has the field")
	}
}

// checkVirtualServiceTimeout denies short route timeouts on WebSocket routes: Envoy has applied a
// route timeout to the whole upgraded stream, so a 300s timeout dropped every socket at five
// minutes (kubeflow#6126). An unset timeout is already disabled, which is why the fix is to
// remove it; "0s" is never suggested, because current Istio rejects it.
func checkVirtualServiceTimeout(ev *evaluation) {
	vs := ev.virtualService()
	minimum := ev.policy.MinTimeoutSeconds
	for _, i := range webSocketHTTPRoutes(ev) {
		t := vs.Spec.HTTP[i].Timeout
		if t == nil {
			continue
		}
		path := httpRoutesPath.Index(i).Child("timeout")
		d, ok := parseIstioDuration(*t)
		if !ok {
			ev.violate(path, *t, "is not a duration Istio reads", fmt.Sprintf("remove it (Istio then applies no route timeout), or write a duration of at least %s such as %q", atLeast(minimum), seconds(ev.policy.TimeoutSeconds)))
			continue
		}
		if d.Seconds() < float64(minimum) {
			ev.violate(path, *t,
				fmt.Sprintf("ends WebSocket connections on this route after %s: Envoy applies the route timeout to the upgraded stream", d),
				fmt.Sprintf("remove it (Istio then applies no route timeout) or set at least %s", atLeast(minimum)))
		}
	}
}

func destinationRuleIsWebSocket(ev *evaluation) bool {
	return webSocketHost(ev, ev.destinationRule().Spec.Host)
}

// defaultDestinationRuleAffinity defaults cookie-based consistent hashing, so that a reconnecting
// client reaches the pod that holds its session. A DestinationRule with any load balancer keeps it.
func defaultDestinationRuleAffinity(ev *evaluation) {
	dr := ev.destinationRule()
	if !ev.policy.AffinityEnabled() || (dr.Spec.TrafficPolicy != nil && dr.Spec.TrafficPolicy.LoadBalancer != nil) {
		return
	}
	cookie := map[string]any{"name": ev.policy.Affinity.CookieName, "ttl": seconds(ev.policy.Affinity.CookieMaxAgeSeconds)}
	ev.setDefault(at("spec", "trafficPolicy", "loadBalancer", "consistentHash", "httpCookie"), cookie,
		"a reconnecting WebSocket client returns to the pod that holds its session")
}

// connectionPools visits every HTTP connection pool of a DestinationRule that applies to a
// WebSocket port: the top-level and subset pools, and port-level pools of WebSocket ports.
func connectionPools(ev *evaluation, visit func(path *field.Path, pool *istioConnectionPool)) {
	dr := ev.destinationRule()
	svc := serviceForHost(ev, dr.Spec.Host)
	wsPort := func(n int32) bool {
		if svc == nil {
			return true
		}
		ws, _ := ev.webSocketService(svc)
		for _, i := range ws.ports {
			if svc.Spec.Ports[i].Port == n {
				return true
			}
		}
		return false
	}
	policy := func(path *field.Path, tp *istioTrafficPolicy) {
		if tp == nil {
			return
		}
		if tp.ConnectionPool != nil && tp.ConnectionPool.HTTP != nil {
			visit(path.Child("connectionPool", "http"), tp.ConnectionPool)
		}
		for i, pl := range tp.PortLevelSettings {
			if pl.ConnectionPool != nil && pl.ConnectionPool.HTTP != nil && (pl.Port == nil || wsPort(pl.Port.Number)) {
				visit(path.Child("portLevelSettings").Index(i).Child("connectionPool", "http"), pl.ConnectionPool)
			}
		}
	}
	policy(field.NewPath("spec", "trafficPolicy"), dr.Spec.TrafficPolicy)
	for i, s := range dr.Spec.Subsets {
		policy(field.NewPath("spec", "subsets").Index(i).Child("trafficPolicy"), s.TrafficPolicy)
	}
}

// checkDestinationRuleH2Upgrade denies h2UpgradePolicy: UPGRADE for WebSocket hosts: the sidecar
// then upgrades the connection to the backend to HTTP/2, which cannot carry the HTTP/1.1 Upgrade
// of a WebSocket handshake (istio#27078). The guide wsguard grew from recommends this setting.
func checkDestinationRuleH2Upgrade(ev *evaluation) {
	connectionPools(ev, func(path *field.Path, pool *istioConnectionPool) {
		if pool.HTTP.H2UpgradePolicy == "UPGRADE" {
			ev.unsupported(path.Child("h2UpgradePolicy"), pool.HTTP.H2UpgradePolicy,
				"makes the sidecar speak HTTP/2 to the backend, and HTTP/2 cannot carry the HTTP/1.1 Upgrade of a WebSocket handshake (istio#27078)",
				"remove it or write DO_NOT_UPGRADE; put HTTP/2 traffic in a separate DestinationRule or port-level setting")
		}
	})
}

// checkDestinationRuleIdleTimeout denies short connection pool idle timeouts for WebSocket hosts:
// a WebSocket that carries no frame for that long is closed by the sidecar.
func checkDestinationRuleIdleTimeout(ev *evaluation) {
	minimum := ev.policy.MinTimeoutSeconds
	connectionPools(ev, func(path *field.Path, pool *istioConnectionPool) {
		raw := pool.HTTP.IdleTimeout
		if raw == "" {
			return
		}
		d, ok := parseIstioDuration(raw)
		if ok && d.Seconds() >= float64(minimum) {
			return
		}
		reason := fmt.Sprintf("closes WebSocket connections that carry no frame for %s", d)
		if !ok {
			reason = "is not a duration Istio reads"
		}
		ev.violate(path.Child("idleTimeout"), raw, reason, fmt.Sprintf("remove it (Istio's default is one hour) or set at least %s", atLeast(minimum)))
	})
}
