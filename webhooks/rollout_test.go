package webhooks_test

import (
	"context"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// The disruption-budget rules read the namespace's PodDisruptionBudgets from wsguard's cache
// (slim copies, under the read-only ClusterRole): a budget that covers the pods silences the
// warning, and one that allows no eviction is named.
var _ = Describe("PodDisruptionBudgets as facts", func() {
	budget := func(name, limit string) string {
		return `{apiVersion: policy/v1, kind: PodDisruptionBudget, metadata: {name: ` + name + `}, spec: {` + limit + `, selector: {matchLabels: {app: chat}}}}`
	}
	verdict := func(ctx context.Context, ns string) func(g Gomega) []string {
		return func(g Gomega) []string {
			takeWarnings()
			// Three replicas: below two, no budget is asked for.
			g.Expect(k8s.Create(ctx, parse(deploymentWith("%STRATEGY%", "replicas: 3,"), ns), client.DryRunAll)).To(Succeed())
			return takeWarnings()
		}
	}

	It("leaves a Deployment that a budget covers alone", func() {
		ctx := context.Background()
		ns := uniqueName("budget")
		Expect(env.CreateNamespace(ctx, ns, true, nil)).To(Succeed())
		Eventually(verdict(ctx, ns)).Should(ContainElement(ContainSubstring("[deployment-disruption-budget]")), "without a budget")
		Expect(k8s.Create(ctx, parse(budget("chat", "maxUnavailable: 1"), ns))).To(Succeed())
		Eventually(verdict(ctx, ns)).ShouldNot(ContainElement(ContainSubstring("[deployment-disruption-budget]")))
	})

	It("names a budget that blocks every drain", func() {
		ctx := context.Background()
		ns := uniqueName("budget")
		Expect(env.CreateNamespace(ctx, ns, true, nil)).To(Succeed())
		Expect(k8s.Create(ctx, parse(budget("frozen", "maxUnavailable: 0"), ns))).To(Succeed())
		Eventually(verdict(ctx, ns)).Should(ContainElement(ContainSubstring("PodDisruptionBudget frozen, which covers this Deployment's pods, has maxUnavailable: 0")))
	})
})
