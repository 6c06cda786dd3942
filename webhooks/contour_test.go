package webhooks_test

import (
	"context"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// An HTTPProxy's enableWebsockets: true is its author's word that the route carries WebSockets:
// through the cache (HTTPProxies are watched because the suite installs Contour's CRD), it makes
// the Service the route names WebSocket, and the Deployment that Service selects, although
// neither names a port as WebSocket. A route without it leaves them alone.
var _ = Describe("Contour HTTPProxy enableWebsockets as a signal", func() {
	const (
		proxyYAML = `{apiVersion: projectcontour.io/v1, kind: HTTPProxy, metadata: {name: board},
 spec: {virtualhost: {fqdn: board.example.com}, routes: [{conditions: [{prefix: /live}], enableWebsockets: true, services: [{name: board, port: 3000}]}]}}`
		serviceYAML  = `{apiVersion: v1, kind: Service, metadata: {name: board}, spec: {selector: {app: board}, ports: [{name: http, port: 3000}]}}`
		workloadYAML = `{apiVersion: apps/v1, kind: Deployment, metadata: {name: board}, spec: {selector: {matchLabels: {app: board}},
 template: {metadata: {labels: {app: board}}, spec: {containers: [{name: board, image: example/board:1, ports: [{containerPort: 3000}]}]}}}}`
		because = "recognised as WebSocket because HTTPProxy board enables WebSockets on route 0 to Service board"
	)

	It("makes the Service it routes to WebSocket, and the workload behind it", func() {
		ctx := context.Background()
		ns := uniqueName("contour")
		Expect(env.CreateNamespace(ctx, ns, true, nil)).To(Succeed())
		Expect(k8s.Create(ctx, parse(proxyYAML, ns))).To(Succeed())
		// The HTTPProxy reaches the cache a moment after it is created: dry runs tell when.
		Eventually(func(g Gomega) {
			takeWarnings()
			g.Expect(k8s.Create(ctx, parse(serviceYAML, ns), client.DryRunAll)).To(Succeed())
			g.Expect(takeWarnings()).To(ContainElement(ContainSubstring(because)))
		}).Should(Succeed())
		svc := parse(serviceYAML, ns)
		Expect(k8s.Create(ctx, svc)).To(Succeed())
		Expect(svc.GetAnnotations()).To(HaveKey("wsguard.io/applied-rules"))

		Eventually(func(g Gomega) {
			takeWarnings()
			deploy := parse(workloadYAML, ns)
			g.Expect(k8s.Create(ctx, deploy, client.DryRunAll)).To(Succeed())
			g.Expect(takeWarnings()).To(ContainElement(ContainSubstring("HTTPProxy board enables WebSockets")))
			g.Expect(deploy.Object).To(HaveKeyWithValue("spec", HaveKeyWithValue("template", HaveKeyWithValue("spec", HaveKey("terminationGracePeriodSeconds")))))
		}).Should(Succeed())
	})

	It("leaves them alone when the route does not enable WebSockets", func() {
		ctx := context.Background()
		ns := uniqueName("contour")
		Expect(env.CreateNamespace(ctx, ns, true, nil)).To(Succeed())
		plain := parse(proxyYAML, ns)
		routes := plain.Object["spec"].(map[string]any)["routes"].([]any)
		delete(routes[0].(map[string]any), "enableWebsockets")
		Expect(k8s.Create(ctx, plain)).To(Succeed())
		// The plain HTTPProxy itself is not WebSocket (Service board is unknown), so it was not
		// defaulted; once it is cached, the Service is still not recognised.
		Expect(plain.GetAnnotations()).NotTo(HaveKey("wsguard.io/applied-rules"))
		Consistently(func(g Gomega) {
			takeWarnings()
			svc := parse(serviceYAML, ns)
			g.Expect(k8s.Create(ctx, svc, client.DryRunAll)).To(Succeed())
			g.Expect(svc.GetAnnotations()).NotTo(HaveKey("wsguard.io/applied-rules"))
		}, "2s").Should(Succeed())
	})
})
