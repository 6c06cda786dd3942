package webhooks_test

import (
	"context"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/wsguard/wsguard/defaults"
)

// websocketUpgrade was removed from Istio's API; wsguard injects it only where the installed
// CRD still has it. These specs run with the real CRD, then with a variant of it that has the
// field (as an old Istio install would), and put the real one back.
var _ = Describe("VirtualService websocketUpgrade", Ordered, func() {
	var (
		ctx      context.Context
		ns       string
		original *apiextensionsv1.CustomResourceDefinition
	)
	crdClient := func() client.Client {
		scheme := k8s.Scheme()
		Expect(apiextensionsv1.AddToScheme(scheme)).To(Succeed())
		c, err := client.New(env.Config, client.Options{Scheme: scheme})
		Expect(err).NotTo(HaveOccurred())
		return c
	}
	applyVS := func(name string) *unstructured.Unstructured {
		vs := parse(fill(virtualServiceYAML, "%TIMEOUT%", ""), ns)
		vs.SetName(name)
		Expect(k8s.Create(ctx, vs)).To(Succeed())
		return vs
	}
	upgradeOf := func(vs *unstructured.Unstructured) (bool, bool) {
		routes, _, _ := unstructured.NestedSlice(vs.Object, "spec", "http")
		v, found, _ := unstructured.NestedBool(routes[0].(map[string]any), "websocketUpgrade")
		return v, found
	}

	BeforeAll(func() {
		ctx = context.Background()
		ns = uniqueName("vs")
		Expect(env.CreateNamespace(ctx, ns, true, nil)).To(Succeed())
		Expect(k8s.Create(ctx, parse(chatService, ns))).To(Succeed())
		original = &apiextensionsv1.CustomResourceDefinition{}
		Expect(crdClient().Get(ctx, client.ObjectKey{Name: "virtualservices.networking.istio.io"}, original)).To(Succeed())
	})

	AfterAll(func() {
		c := crdClient()
		current := &apiextensionsv1.CustomResourceDefinition{}
		Expect(c.Get(ctx, client.ObjectKeyFromObject(original), current)).To(Succeed())
		current.Spec = original.Spec
		Expect(c.Update(ctx, current)).To(Succeed())
	})

	It("is not injected with the current Istio CRD, which would prune it", func() {
		// Wait until the Service is in wsguard's cache: the affinity default on a
		// DestinationRule shows the host is seen as WebSocket.
		Eventually(func(g Gomega) {
			dr := parse(fill(destinationRuleYAML, "%POLICY%", ""), ns)
			g.Expect(k8s.Create(ctx, dr, client.DryRunAll)).To(Succeed())
			g.Expect(dr.GetAnnotations()[defaults.AnnotationAppliedRules]).To(ContainSubstring("istio-destinationrule-affinity"))
		}).Should(Succeed())
		vs := applyVS("current")
		_, found := upgradeOf(vs)
		Expect(found).To(BeFalse())
		Expect(vs.GetAnnotations()).NotTo(HaveKey(defaults.AnnotationAppliedRules))
	})

	It("is injected where the CRD still has the field, and the API server keeps it", func() {
		c := crdClient()
		variant := &apiextensionsv1.CustomResourceDefinition{}
		Expect(c.Get(ctx, client.ObjectKeyFromObject(original), variant)).To(Succeed())
		for i := range variant.Spec.Versions {
			route := variant.Spec.Versions[i].Schema.OpenAPIV3Schema.Properties["spec"].Properties["http"].Items.Schema
			route.Properties["websocketUpgrade"] = apiextensionsv1.JSONSchemaProps{Type: "boolean"}
		}
		Expect(c.Update(ctx, variant)).To(Succeed())
		// wsguard sees the new schema through its watch of the CRD.
		Eventually(func(g Gomega) {
			vs := parse(fill(virtualServiceYAML, "%TIMEOUT%", ""), ns)
			g.Expect(k8s.Create(ctx, vs, client.DryRunAll)).To(Succeed())
			v, found := upgradeOf(vs)
			g.Expect(found && v).To(BeTrue())
		}).WithTimeout(30 * time.Second).Should(Succeed())
		vs := applyVS("variant")
		v, found := upgradeOf(vs)
		Expect(found && v).To(BeTrue())
		Expect(vs.GetAnnotations()[defaults.AnnotationAppliedRules]).To(Equal("istio-virtualservice-websocket-upgrade"))
	})
})
