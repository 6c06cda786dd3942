package e2e

import (
	"context"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("kubectl apply of examples/autoscaling", Ordered, func() {
	const ns = "autoscaling"

	BeforeAll(func() {
		Expect(env.CreateNamespace(context.Background(), ns, true, nil)).To(Succeed())
		// The Deployment first, so that the HPA applied next finds the workload it scales.
		_, stderr, err := kubectl("apply", "-n", ns, "-f", "examples/autoscaling/deployment.yaml")
		Expect(err).NotTo(HaveOccurred(), stderr)
	})

	It("gives the HPA of the WebSocket Deployment a gradual scale-down, announced", func() {
		Eventually(func(g Gomega) {
			_, stderr, err := kubectl("apply", "-n", ns, "--dry-run=server", "-f", "examples/autoscaling/hpa.yaml")
			g.Expect(err).NotTo(HaveOccurred(), stderr)
			g.Expect(stderr).To(ContainSubstring("wsguard [hpa-scale-down]"))
		}).Should(Succeed())
		_, stderr, err := kubectl("apply", "-n", ns, "-f", "examples/autoscaling/")
		Expect(err).NotTo(HaveOccurred(), stderr)
		Expect(stderr).To(ContainSubstring("wsguard [hpa-scale-down]"))
		out, stderr, err := kubectl("get", "-n", ns, "hpa", "live-feed", "-o",
			"jsonpath={.spec.behavior.scaleDown.stabilizationWindowSeconds} {.spec.behavior.scaleDown.policies[0].type} {.spec.behavior.scaleDown.policies[0].value} {.spec.behavior.scaleDown.policies[0].periodSeconds}")
		Expect(err).NotTo(HaveOccurred(), stderr)
		Expect(out).To(Equal("300 Percent 10 60"))
	})
})
