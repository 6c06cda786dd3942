package webhooks_test

import (
	"context"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/wsguard/wsguard/defaults"
)

// The engine's output for mesh and Gateway API objects goes to the real CRDs, in a namespace
// wsguard does not watch, so that only the CRDs' schemas and CEL rules judge it: whatever
// wsguard adds to a valid object must keep it valid. VirtualServices and Linkerd Servers are not
// here: with the current CRDs no rule adds anything to them (websocketUpgrade is covered, with a
// CRD that has it, in websocketupgrade_test.go).
var _ = Describe("Objects wsguard changes", func() {
	inputs := map[string]string{
		"DestinationRule":                         fill(destinationRuleYAML, "%POLICY%", ""),
		"DestinationRule with a connection pool":  fill(destinationRuleYAML, "%POLICY%", ", trafficPolicy: {connectionPool: {http: {idleTimeout: 2h}}, tls: {mode: ISTIO_MUTUAL}}"),
		"DestinationRule with subsets":            fill(destinationRuleYAML, "%POLICY%", ", subsets: [{name: v1, labels: {version: v1}}]"),
		"HTTPRoute":                               fill(httpRouteYAML, "%TIMEOUTS%", ""),
		"HTTPRoute with a backendRequest timeout": fill(httpRouteYAML, "%TIMEOUTS%", ", timeouts: {backendRequest: 2h}"),
		"HTTPRoute with two WebSocket rules":      `{apiVersion: gateway.networking.k8s.io/v1, kind: HTTPRoute, metadata: {name: chat}, spec: {parentRefs: [{name: public}], rules: [{backendRefs: [{name: chat, port: 80}]}, {matches: [{path: {type: PathPrefix, value: /b}}], backendRefs: [{name: chat, port: 80}]}]}}`,
		"Deployment with an Istio sidecar":        istioNamespaceDeployment,
		"Deployment with JSON proxy config": fill(istioNamespaceDeployment, `sidecar.istio.io/inject: "true"}}`,
			`sidecar.istio.io/inject: "true"}, annotations: {proxy.istio.io/config: '{"holdApplicationUntilProxyStarts": true}'}}`),
	}
	var svc corev1.Service
	Expect(runtime.DefaultUnstructuredConverter.FromUnstructured(parse(chatService, "").Object, &svc)).To(Succeed())

	for name, manifest := range inputs {
		It("keeps a valid "+name+" valid for the real CRD", func() {
			ctx := context.Background()
			ns := uniqueName("crd")
			Expect(env.CreateNamespace(ctx, ns, false, nil)).To(Succeed())
			in := parse(manifest, ns)
			Expect(k8s.Create(ctx, in.DeepCopy(), client.DryRunAll)).To(Succeed(), "the input itself must be valid")

			svc.Namespace = ns
			res := defaults.Evaluate(in, defaults.DefaultPolicy(), defaults.Facts{
				Namespace: &corev1.Namespace{}, Services: []*corev1.Service{&svc},
			})
			Expect(res.Changes).NotTo(BeEmpty(), "every input here gets a default")
			Expect(res.Violations).To(BeEmpty())
			Expect(k8s.Create(ctx, res.Object, client.DryRunAll)).To(Succeed())
		})
	}
})
