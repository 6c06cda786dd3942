package defaults

import (
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// NGINX Gateway Fabric (nginx/nginx-gateway-fabric) programs nginx from Gateway API objects. It
// does not implement HTTPRoute timeouts: a rule that sets them is accepted with an
// UnsupportedField condition and the field is dropped (internal/controller/state/graph/
// httproute.go, checkForUnsupportedHTTPFields), so an upgraded connection keeps nginx's
// proxy_read_timeout of 60 seconds and an idle WebSocket closes after a minute. Its knob is a
// ProxySettingsPolicy (gateway.nginx.org/v1alpha1, timeout.read and timeout.send, NGF 2.6 and
// later), which no Go module serves, so wsguard names it rather than writing it.

// ControllerNGF is the GatewayClass controllerName NGINX Gateway Fabric installs with
// (charts/nginx-gateway-fabric/values.yaml, nginxGateway.gatewayControllerName).
const ControllerNGF = "gateway.nginx.org/nginx-gateway-controller"

// Gateway API kinds read as facts only: the Gateways routes attach to and their classes.
var (
	KindGateway      = schema.GroupKind{Group: gatewayAPIGroup, Kind: "Gateway"}
	KindGatewayClass = schema.GroupKind{Group: gatewayAPIGroup, Kind: "GatewayClass"}
)

var ngfRules = family("nginx-gateway-fabric", []Rule{
	{ID: "ngf-httproute-read-timeout", Kind: KindHTTPRoute, Effects: Warns, check: warnNGFReadTimeout,
		Summary: "warn that NGINX Gateway Fabric closes idle WebSockets after nginx's 60s proxy_read_timeout unless a ProxySettingsPolicy raises it"},
})

// warnNGFReadTimeout warns once per NGF parent of a WebSocket HTTPRoute, at the parentRef, naming
// the policy to write. Only what the cluster declares decides it (the Gateway's class and the
// class's controllerName), and it only warns: wsguard cannot see whether a ProxySettingsPolicy
// already targets the route or its Gateway.
func warnNGFReadTimeout(ev *evaluation) {
	if len(webSocketRouteRules(ev)) == 0 {
		return
	}
	route := view[routeFactView](ev)
	name, _, _ := unstructured.NestedString(ev.p.object(), "metadata", "name")
	for i, p := range route.Spec.ParentRefs {
		if gwNS, ok := p.gateway(ev.namespace()); !ok || ev.facts.gatewayController(gwNS, p.Name) != ControllerNGF {
			continue
		}
		// Named as the route names it: the namespace only when the parentRef gives one.
		gateway := p.Name
		if p.Namespace != nil && *p.Namespace != "" {
			gateway = *p.Namespace + "/" + p.Name
		}
		ev.warn(field.NewPath("spec", "parentRefs").Index(i), fmt.Sprintf(
			"Gateway %s is NGINX Gateway Fabric's, which ignores HTTPRoute timeouts and closes a WebSocket after nginx's proxy_read_timeout of 60s without traffic; "+
				"write a ProxySettingsPolicy (apiVersion gateway.nginx.org/v1alpha1, NGINX Gateway Fabric 2.6 or later) with "+
				"targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: %s}] and timeout: {read: %s, send: %s}, at least %s",
			gateway, name, seconds(ev.policy.TimeoutSeconds), seconds(ev.policy.TimeoutSeconds), atLeast(ev.policy.MinTimeoutSeconds)))
	}
}

// gatewayController is the controllerName of the class of the Gateway ns/name; "" when the
// Gateway or its class is not among the facts.
func (f *Facts) gatewayController(ns, name string) string {
	class := ""
	for i := range f.Gateways {
		g := &f.Gateways[i]
		if g.GetName() == name && (g.GetNamespace() == ns || g.GetNamespace() == "") {
			class, _, _ = unstructured.NestedString(g.Object, "spec", "gatewayClassName")
			break
		}
	}
	if class == "" {
		return ""
	}
	for i := range f.GatewayClasses {
		if c := &f.GatewayClasses[i]; c.GetName() == class {
			controller, _, _ := unstructured.NestedString(c.Object, "spec", "controllerName")
			return controller
		}
	}
	return ""
}
