package defaults

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// gatewayFacts adds to meshFacts Gateway public of namespace demo and Gateway shared of
// namespace infra, of classes whose controllers are given.
func gatewayFacts(t *testing.T, publicController, sharedController string) Facts {
	f := meshFacts(t)
	f.Gateways = []unstructured.Unstructured{
		*object(t, `{apiVersion: gateway.networking.k8s.io/v1, kind: Gateway, metadata: {name: public, namespace: demo}, spec: {gatewayClassName: public-class, listeners: [{name: http, port: 80, protocol: HTTP}]}}`),
		*object(t, `{apiVersion: gateway.networking.k8s.io/v1, kind: Gateway, metadata: {name: shared, namespace: infra}, spec: {gatewayClassName: shared-class, listeners: [{name: http, port: 80, protocol: HTTP}]}}`),
	}
	f.GatewayClasses = []unstructured.Unstructured{
		*object(t, `{apiVersion: gateway.networking.k8s.io/v1, kind: GatewayClass, metadata: {name: public-class}, spec: {controllerName: `+publicController+`}}`),
		*object(t, `{apiVersion: gateway.networking.k8s.io/v1, kind: GatewayClass, metadata: {name: shared-class}, spec: {controllerName: `+sharedController+`}}`),
	}
	return f
}

func TestNGFReadTimeoutWarning(t *testing.T) {
	const envoy = "gateway.envoyproxy.io/gatewayclass-controller"
	defaulted := map[string]any{"/spec/rules/0/timeouts": map[string]any{"request": "0s"}}
	onShared := replaceOnce(httpRoute, "parentRefs: [{name: public}]", "parentRefs: [{name: public}, {name: shared, namespace: infra}]")
	runRuleCases(t, []ruleCase{
		{name: "a WebSocket route on an NGF Gateway is warned at its parentRef", obj: httpRoute, facts: gatewayFacts(t, ControllerNGF, envoy),
			changes: defaulted, warnings: []string{"ngf-httproute-read-timeout spec.parentRefs[0]"}},
		{name: "the Gateway of another namespace is resolved through parentRef.namespace", obj: onShared, facts: gatewayFacts(t, envoy, ControllerNGF),
			changes: defaulted, warnings: []string{"ngf-httproute-read-timeout spec.parentRefs[1]"}},
		{name: "a Gateway of another implementation: no warning", obj: httpRoute, facts: gatewayFacts(t, envoy, ControllerNGF), changes: defaulted},
		{name: "a Gateway wsguard cannot see: no warning", obj: httpRoute, facts: meshFacts(t), changes: defaulted},
		{name: "a route that is not WebSocket is not judged", obj: httpRoute, notWebSocket: true},
	})
}

// The warning names the policy with its real group, kind and fields, and the route.
func TestNGFWarningNamesThePolicy(t *testing.T) {
	res := Evaluate(object(t, httpRoute), DefaultPolicy(), gatewayFacts(t, ControllerNGF, ControllerNGF))
	var msg string
	for _, w := range res.Warnings {
		if w.Rule == "ngf-httproute-read-timeout" {
			msg = w.Message
		}
	}
	for _, want := range []string{"ProxySettingsPolicy", "gateway.nginx.org/v1alpha1", "kind: HTTPRoute, name: chat", "timeout: {read: 3600s, send: 3600s}", "60s"} {
		if !strings.Contains(msg, want) {
			t.Errorf("warning %q does not say %q", msg, want)
		}
	}
}
