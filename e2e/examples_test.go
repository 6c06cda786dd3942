package e2e

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("kubectl apply of examples/", Ordered, func() {
	It("applies every example into the opted-in namespace, announcing each default", func() {
		stdout, stderr, err := kubectl("apply", "-n", "demo", "-f", "examples/")
		Expect(err).NotTo(HaveOccurred(), stderr)
		Expect(stdout).To(ContainSubstring("deployment.apps/chat created"))
		Expect(stderr).To(SatisfyAll(
			ContainSubstring("Warning: wsguard [deployment-prestop-sleep]"),
			ContainSubstring("Warning: wsguard [service-session-affinity]"),
		))
	})

	It("shows the injected preStop sleep and grace period on the stored Deployment", func() {
		out, stderr, err := kubectl("get", "-n", "demo", "deployment", "chat", "-o",
			"jsonpath={.spec.template.spec.containers[0].lifecycle.preStop.sleep.seconds} {.spec.template.spec.terminationGracePeriodSeconds} {.metadata.annotations.wsguard\\.io/applied-rules}")
		Expect(err).NotTo(HaveOccurred(), stderr)
		Expect(out).To(Equal("15 45 deployment-grace-period,deployment-prestop-sleep"))
	})

	It("shows ClientIP affinity and appProtocol on the stored Service", func() {
		out, stderr, err := kubectl("get", "-n", "demo", "service", "chat", "-o", "jsonpath={.spec.sessionAffinity} {.spec.ports[0].appProtocol}")
		Expect(err).NotTo(HaveOccurred(), stderr)
		Expect(out).To(Equal("ClientIP kubernetes.io/ws"))
	})

	It("shows the ingress-nginx timeouts and affinity on the stored Ingress", func() {
		out, stderr, err := kubectl("get", "-n", "demo", "ingress", "chat", "-o", "jsonpath={.metadata.annotations}")
		Expect(err).NotTo(HaveOccurred(), stderr)
		Expect(out).To(SatisfyAll(
			ContainSubstring(`"nginx.ingress.kubernetes.io/proxy-read-timeout":"3600"`),
			ContainSubstring(`"nginx.ingress.kubernetes.io/proxy-send-timeout":"3600"`),
			ContainSubstring(`"nginx.ingress.kubernetes.io/affinity":"cookie"`),
		))
	})

	It("shows the defaults on a server-side dry run", func() {
		out, stderr, err := kubectl("apply", "-n", "demo", "--dry-run=server", "-o", "yaml", "-f", "examples/deployment.yaml")
		Expect(err).NotTo(HaveOccurred(), stderr)
		Expect(out).To(SatisfyAll(ContainSubstring("preStop:"), ContainSubstring("seconds: 15")))
	})

	It("leaves the examples untouched in a namespace that has not opted in", func() {
		_, stderr, err := kubectl("apply", "-n", "plain", "-f", "examples/deployment.yaml")
		Expect(err).NotTo(HaveOccurred(), stderr)
		Expect(stderr).NotTo(ContainSubstring("wsguard"))
		out, _, err := kubectl("get", "-n", "plain", "deployment", "chat", "-o", "jsonpath={.spec.template.spec.containers[0].lifecycle}")
		Expect(err).NotTo(HaveOccurred())
		Expect(out).To(BeEmpty())
	})

	It("denies every unsafe example, naming the field, the reason and the fix", func() {
		_, stderr, err := kubectl("apply", "-n", "demo", "-f", "examples/unsafe/")
		Expect(err).To(HaveOccurred())
		Expect(stderr).To(SatisfyAll(
			ContainSubstring("spec.template.spec.terminationGracePeriodSeconds"),
			ContainSubstring("set it to at least 50"),
			ContainSubstring("spec.ports[0].name"),
			ContainSubstring("nginx.ingress.kubernetes.io/proxy-read-timeout"),
			ContainSubstring("without a unit"),
		))
		out, _, _ := kubectl("get", "-n", "demo", "deployment,service,ingress", "-o", "name")
		Expect(out).NotTo(ContainSubstring("unsafe"))
		Expect(out).NotTo(ContainSubstring("chat-grpc"))
	})

	It("admits the unsafe examples with warnings in a warn-mode namespace", func() {
		_, stderr, err := kubectl("apply", "-n", "demo-warn", "-f", "examples/unsafe/")
		Expect(err).NotTo(HaveOccurred(), stderr)
		Expect(stderr).To(SatisfyAll(
			ContainSubstring("warn mode, would deny"),
			ContainSubstring("spec.template.spec.terminationGracePeriodSeconds"),
		))
	})
})
