package e2e

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("kubectl apply of examples/traefik-crd and examples/nginx-gateway-fabric", Ordered, func() {
	const ns = "traefik-ngf"

	BeforeAll(func() {
		_, stderr, err := kubectl("create", "namespace", ns)
		Expect(err).NotTo(HaveOccurred(), stderr)
		_, stderr, err = kubectl("label", "namespace", ns, "wsguard.io/inject=enabled")
		Expect(err).NotTo(HaveOccurred(), stderr)
		// The Services the routes name first, so that the routes applied next see them.
		_, stderr, err = kubectl("apply", "-n", ns, "-f", "examples/service.yaml")
		Expect(err).NotTo(HaveOccurred(), stderr)
	})

	It("stores the sticky cookies of the IngressRoute and the weighted TraefikService", func() {
		_, stderr, err := kubectl("apply", "-n", ns, "-f", "examples/traefik-crd/board.yaml")
		Expect(err).NotTo(HaveOccurred(), stderr)
		// The IngressRoute went in with the Service; once wsguard's cache has the Service, a
		// re-apply gets the cookie.
		Eventually(func(g Gomega) {
			_, stderr, err := kubectl("apply", "-n", ns, "-f", "examples/traefik-crd/")
			g.Expect(err).NotTo(HaveOccurred(), stderr)
			out, stderr, err := kubectl("get", "-n", ns, "ingressroute.traefik.io", "board", "-o", "jsonpath={.spec.routes[0].services[0].sticky.cookie.name}")
			g.Expect(err).NotTo(HaveOccurred(), stderr)
			g.Expect(out).To(Equal("WSGUARD_AFFINITY"))
		}).Should(Succeed())
		out, stderr, err := kubectl("get", "-n", ns, "traefikservice", "board-split", "-o",
			"jsonpath={.spec.weighted.sticky.cookie.name} {.spec.weighted.services[0].sticky.cookie.name} {.spec.weighted.services[1].sticky}")
		Expect(err).NotTo(HaveOccurred(), stderr)
		Expect(out).To(Equal("WSGUARD_AFFINITY-service WSGUARD_AFFINITY "))
	})

	It("warns about the HTTPRoute on NGINX Gateway Fabric, naming the ProxySettingsPolicy", func() {
		Eventually(func(g Gomega) {
			_, stderr, err := kubectl("apply", "-n", ns, "-f", "examples/nginx-gateway-fabric/")
			g.Expect(err).NotTo(HaveOccurred(), stderr)
			g.Expect(stderr).To(SatisfyAll(
				ContainSubstring("wsguard [ngf-httproute-read-timeout]"),
				ContainSubstring("ProxySettingsPolicy"),
				ContainSubstring("timeout: {read: 3600s, send: 3600s}"),
			))
		}).Should(Succeed())
	})
})
