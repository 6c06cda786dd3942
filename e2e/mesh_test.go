package e2e

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("kubectl apply of examples/mesh, examples/gateway-api, examples/contour and examples/envoy-gateway", Ordered, func() {
	BeforeAll(func() {
		_, stderr, err := kubectl("create", "namespace", "mesh")
		Expect(err).NotTo(HaveOccurred(), stderr)
		_, stderr, err = kubectl("label", "namespace", "mesh", "wsguard.io/inject=enabled")
		Expect(err).NotTo(HaveOccurred(), stderr)
		// The Services first, so that the routes and policies applied next see them.
		_, stderr, err = kubectl("apply", "-n", "mesh", "-f", "examples/mesh/service.yaml", "-f", "examples/service.yaml")
		Expect(err).NotTo(HaveOccurred(), stderr)
	})

	It("applies the fixed mesh and Gateway API examples, with the defaults announced", func() {
		Eventually(func(g Gomega) {
			_, stderr, err := kubectl("apply", "-n", "mesh", "--dry-run=server", "-f", "examples/gateway-api/httproute.yaml")
			g.Expect(err).NotTo(HaveOccurred(), stderr)
			g.Expect(stderr).To(ContainSubstring("wsguard [gateway-httproute-timeouts]"))
		}).Should(Succeed())
		_, stderr, err := kubectl("apply", "-n", "mesh", "-f", "examples/mesh/", "-f", "examples/gateway-api/")
		Expect(err).NotTo(HaveOccurred(), stderr)
		Expect(stderr).To(SatisfyAll(
			ContainSubstring("wsguard [istio-sidecar-drain]"),
			ContainSubstring("wsguard [gateway-httproute-timeouts]"),
		))
	})

	It("stores the sidecar drain and the disabled route timeout", func() {
		out, stderr, err := kubectl("get", "-n", "mesh", "deployment", "websocket-app", "-o", `jsonpath={.spec.template.metadata.annotations.proxy\.istio\.io/config}`)
		Expect(err).NotTo(HaveOccurred(), stderr)
		Expect(out).To(Equal("terminationDrainDuration: 45s\n"))
		out, stderr, err = kubectl("get", "-n", "mesh", "httproute", "chat", "-o", "jsonpath={.spec.rules[0].timeouts.request}")
		Expect(err).NotTo(HaveOccurred(), stderr)
		Expect(out).To(Equal("0s"))
	})

	It("denies the guide's unsafe mesh settings and a short route timeout, naming field, reason and fix", func() {
		_, stderr, err := kubectl("apply", "-n", "mesh", "-f", "examples/mesh/unsafe/", "-f", "examples/gateway-api/unsafe/")
		Expect(err).To(HaveOccurred())
		Expect(stderr).To(SatisfyAll(
			ContainSubstring("spec.trafficPolicy.connectionPool.http.h2UpgradePolicy"),
			ContainSubstring("istio#27078"),
			ContainSubstring("spec.http[0].timeout"),
			ContainSubstring("remove it (Istio then applies no route timeout)"),
			ContainSubstring("spec.proxyProtocol"),
			ContainSubstring("spec.rules[0].timeouts.request"),
		))
		Expect(stderr).NotTo(ContainSubstring("0s or"), "never suggest timeout: 0s for Istio")
	})

	It("applies the Contour HTTPProxy with the upgrade, the idle timeout and the cookie stored", func() {
		_, stderr, err := kubectl("apply", "-n", "mesh", "-f", "examples/contour/httpproxy.yaml")
		Expect(err).NotTo(HaveOccurred(), stderr)
		Expect(stderr).To(ContainSubstring("wsguard [contour-httpproxy-websockets]: set spec.routes[0].enableWebsockets=true"))
		out, stderr, err := kubectl("get", "-n", "mesh", "httpproxy", "chat", "-o",
			"jsonpath={.spec.routes[0].enableWebsockets} {.spec.routes[0].timeoutPolicy.idle} {.spec.routes[0].timeoutPolicy.response} {.spec.routes[0].loadBalancerPolicy.strategy}")
		Expect(err).NotTo(HaveOccurred(), stderr)
		Expect(out).To(Equal("true 3600s 15s Cookie"))
	})

	It("denies the unsafe HTTPProxy, naming both fields", func() {
		_, stderr, err := kubectl("apply", "-n", "mesh", "-f", "examples/contour/unsafe/")
		Expect(err).To(HaveOccurred())
		Expect(stderr).To(SatisfyAll(
			ContainSubstring(`The HTTPProxy "chat-unsafe" is invalid`),
			ContainSubstring("spec.routes[0].enableWebsockets"),
			ContainSubstring("spec.routes[0].timeoutPolicy.idle"),
			ContainSubstring("write infinity to disable the idle timeout, or at least 1h"),
		))
	})

	It("applies the Envoy Gateway policy of the WebSocket route with the stream idle timeout and the cookie stored", func() {
		Eventually(func(g Gomega) {
			_, stderr, err := kubectl("apply", "-n", "mesh", "--dry-run=server", "-f", "examples/envoy-gateway/backendtrafficpolicy.yaml")
			g.Expect(err).NotTo(HaveOccurred(), stderr)
			g.Expect(stderr).To(ContainSubstring("wsguard [envoy-gateway-stream-idle-timeout]"))
		}).Should(Succeed())
		_, stderr, err := kubectl("apply", "-n", "mesh", "-f", "examples/envoy-gateway/backendtrafficpolicy.yaml")
		Expect(err).NotTo(HaveOccurred(), stderr)
		out, stderr, err := kubectl("get", "-n", "mesh", "backendtrafficpolicy", "chat", "-o",
			"jsonpath={.spec.timeout.http.streamIdleTimeout} {.spec.loadBalancer.consistentHash.type} {.spec.retry.numRetries}")
		Expect(err).NotTo(HaveOccurred(), stderr)
		Expect(out).To(Equal("3600s Cookie 2"))
	})

	It("denies the buffered Envoy Gateway policy", func() {
		_, stderr, err := kubectl("apply", "-n", "mesh", "-f", "examples/envoy-gateway/unsafe/")
		Expect(err).To(HaveOccurred())
		Expect(stderr).To(SatisfyAll(
			ContainSubstring(`The BackendTrafficPolicy "chat-buffered" is invalid`),
			ContainSubstring("spec.requestBuffer"),
			ContainSubstring("spec.timeout.http.maxStreamDuration"),
		))
	})
})
