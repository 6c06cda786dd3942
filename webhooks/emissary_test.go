package webhooks_test

import (
	"context"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// An Emissary Mapping with allow_upgrade: [websocket] makes the Service it names WebSocket through
// the cache. The suite installs a minimal Mapping CRD kept in this repository
// (internal/testenv/crds/emissary-mappings.yaml): Emissary's module, which holds the real one,
// is not served by the module proxy.
var _ = Describe("Emissary Mapping allow_upgrade as a signal", func() {
	const (
		mappingYAML = `{apiVersion: getambassador.io/v3alpha1, kind: Mapping, metadata: {name: board},
 spec: {prefix: /live/, service: "board:3000", allow_upgrade: [websocket]}}`
		serviceYAML = `{apiVersion: v1, kind: Service, metadata: {name: board}, spec: {selector: {app: board}, ports: [{name: http, port: 3000}]}}`
		because     = "recognised as WebSocket because Mapping board sends traffic to Service board with allow_upgrade: [websocket]"
	)

	It("makes the Service it names WebSocket", func() {
		ctx := context.Background()
		ns := uniqueName("emissary")
		Expect(env.CreateNamespace(ctx, ns, true, nil)).To(Succeed())
		// Without the Mapping, the Service is not WebSocket.
		plain := parse(serviceYAML, ns)
		Expect(k8s.Create(ctx, plain, client.DryRunAll)).To(Succeed())
		Expect(plain.GetAnnotations()).NotTo(HaveKey("wsguard.io/applied-rules"))

		Expect(k8s.Create(ctx, parse(mappingYAML, ns))).To(Succeed())
		Eventually(func(g Gomega) {
			takeWarnings()
			svc := parse(serviceYAML, ns)
			g.Expect(k8s.Create(ctx, svc, client.DryRunAll)).To(Succeed())
			g.Expect(takeWarnings()).To(ContainElement(ContainSubstring(because)))
			g.Expect(svc.GetAnnotations()).To(HaveKey("wsguard.io/applied-rules"))
		}).Should(Succeed())
	})
})
