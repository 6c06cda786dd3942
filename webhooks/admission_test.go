package webhooks_test

import (
	"context"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/wsguard/wsguard/defaults"
)

var _ = Describe("Deployments", func() {
	var (
		ctx context.Context
		ns  string
	)
	BeforeEach(func() {
		ctx = context.Background()
		ns = uniqueName("ws")
		Expect(env.CreateNamespace(ctx, ns, true, nil)).To(Succeed())
		takeWarnings()
	})

	It("injects a native preStop sleep and a covering grace period into a WebSocket container", func() {
		Expect(k8s.Create(ctx, deployment(ns, "chat", "websocket"))).To(Succeed())

		var got appsv1.Deployment
		Expect(k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: "chat"}, &got)).To(Succeed())
		c := got.Spec.Template.Spec.Containers[0]
		Expect(c.Lifecycle).NotTo(BeNil())
		Expect(c.Lifecycle.PreStop.Sleep).To(Equal(&corev1.SleepAction{Seconds: defaults.DefaultPreStopSeconds}))
		Expect(*got.Spec.Template.Spec.TerminationGracePeriodSeconds).To(BeEquivalentTo(defaults.DefaultPreStopSeconds + defaults.DefaultDrainSeconds))
		Expect(got.Annotations).To(HaveKeyWithValue(defaults.AnnotationAppliedRules, "deployment-grace-period,deployment-prestop-sleep"))
		Expect(takeWarnings()).To(ContainElement(ContainSubstring("wsguard [deployment-prestop-sleep]: set spec.template.spec.containers[0].lifecycle.preStop.sleep.seconds=15")))
	})

	It("keeps a user's own preStop sleep and sizes the grace period from it", func() {
		d := deployment(ns, "own", "websocket", withPreStopSleep(5))
		Expect(k8s.Create(ctx, d)).To(Succeed())
		Expect(d.Spec.Template.Spec.Containers[0].Lifecycle.PreStop.Sleep.Seconds).To(BeEquivalentTo(5))
		Expect(*d.Spec.Template.Spec.TerminationGracePeriodSeconds).To(BeEquivalentTo(5 + defaults.DefaultDrainSeconds))
	})

	It("leaves the same Deployment untouched in a namespace that has not opted in", func() {
		plain := uniqueName("plain")
		Expect(env.CreateNamespace(ctx, plain, false, nil)).To(Succeed())
		Expect(k8s.Create(ctx, deployment(plain, "chat", "websocket"))).To(Succeed())

		var got appsv1.Deployment
		Expect(k8s.Get(ctx, client.ObjectKey{Namespace: plain, Name: "chat"}, &got)).To(Succeed())
		Expect(got.Spec.Template.Spec.Containers[0].Lifecycle).To(BeNil())
		Expect(*got.Spec.Template.Spec.TerminationGracePeriodSeconds).To(BeEquivalentTo(30))
		Expect(got.Annotations).NotTo(HaveKey(defaults.AnnotationAppliedRules))
		Expect(takeWarnings()).To(BeEmpty())
	})

	It("leaves a Deployment without WebSocket signals untouched", func() {
		Expect(k8s.Create(ctx, deployment(ns, "web", "http"))).To(Succeed())
		var got appsv1.Deployment
		Expect(k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: "web"}, &got)).To(Succeed())
		Expect(got.Spec.Template.Spec.Containers[0].Lifecycle).To(BeNil())
	})

	It("shows the defaults on a server-side dry run, without creating anything", func() {
		d := deployment(ns, "dry", "ws")
		Expect(k8s.Create(ctx, d, client.DryRunAll)).To(Succeed())
		Expect(d.Spec.Template.Spec.Containers[0].Lifecycle.PreStop.Sleep.Seconds).To(BeEquivalentTo(defaults.DefaultPreStopSeconds))
		err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: "dry"}, &appsv1.Deployment{})
		Expect(apierrors.IsNotFound(err)).To(BeTrue(), "a dry run must not create the object: %v", err)
	})

	It("denies a grace period not longer than the preStop sleep, naming the field, the reason and the fix", func() {
		err := k8s.Create(ctx, deployment(ns, "short", "websocket", withExecSleep(20), withGracePeriod(10)))
		Expect(err).To(HaveOccurred())
		Expect(apierrors.ReasonForError(err)).To(Equal(metav1.StatusReasonInvalid))
		Expect(err.Error()).To(SatisfyAll(
			ContainSubstring("spec.template.spec.terminationGracePeriodSeconds"),
			ContainSubstring("20s preStop sleep"),
			ContainSubstring("set it to at least 50"),
		))
	})

	It("admits the same Deployment with warnings in a warn-mode namespace", func() {
		warn := uniqueName("warn")
		Expect(env.CreateNamespace(ctx, warn, true, map[string]string{defaults.AnnotationEnforcement: "warn"})).To(Succeed())
		takeWarnings()
		Expect(k8s.Create(ctx, deployment(warn, "short", "websocket", withExecSleep(20), withGracePeriod(10)))).To(Succeed())
		Expect(takeWarnings()).To(ContainElement(SatisfyAll(
			ContainSubstring("warn mode, would deny"),
			ContainSubstring("spec.template.spec.terminationGracePeriodSeconds"),
		)))
	})

	It("treats pods selected by a WebSocket Service as WebSocket", func() {
		Expect(k8s.Create(ctx, service(ns, "chat-svc", "websocket", "by-service"))).To(Succeed())
		// The Service reaches wsguard's cache a moment after it is created.
		Eventually(func() *corev1.Lifecycle {
			d := deployment(ns, uniqueName("by-service"), "http")
			d.Spec.Template.Labels = map[string]string{"app": "by-service"}
			d.Spec.Selector.MatchLabels = d.Spec.Template.Labels
			Expect(k8s.Create(ctx, d)).To(Succeed())
			return d.Spec.Template.Spec.Containers[0].Lifecycle
		}).Should(Not(BeNil()))
	})

	It("defaults objects the real API server accepts on update too, and stays idempotent", func() {
		d := deployment(ns, "update", "websocket")
		Expect(k8s.Create(ctx, d)).To(Succeed())
		before := d.DeepCopy()
		d.Spec.Template.Spec.Containers[0].Image = "example.com/chat:2"
		Expect(k8s.Update(ctx, d)).To(Succeed())
		Expect(d.Spec.Template.Spec.Containers[0].Lifecycle).To(Equal(before.Spec.Template.Spec.Containers[0].Lifecycle))
		Expect(d.Annotations[defaults.AnnotationAppliedRules]).To(Equal(before.Annotations[defaults.AnnotationAppliedRules]))
	})

	It("never intercepts kube-system, even when someone labels it", func() {
		var ks corev1.Namespace
		Expect(k8s.Get(ctx, client.ObjectKey{Name: metav1.NamespaceSystem}, &ks)).To(Succeed())
		if ks.Labels == nil {
			ks.Labels = map[string]string{}
		}
		ks.Labels[defaults.LabelInject] = defaults.InjectEnabled
		Expect(k8s.Update(ctx, &ks)).To(Succeed())
		name := uniqueName("system")
		Expect(k8s.Create(ctx, deployment(metav1.NamespaceSystem, name, "websocket"))).To(Succeed())
		var got appsv1.Deployment
		Expect(k8s.Get(ctx, client.ObjectKey{Namespace: metav1.NamespaceSystem, Name: name}, &got)).To(Succeed())
		Expect(got.Spec.Template.Spec.Containers[0].Lifecycle).To(BeNil())
	})
})

var _ = Describe("Services", func() {
	It("defaults ClientIP affinity and appProtocol, and the API server accepts the result", func() {
		ctx := context.Background()
		ns := uniqueName("svc")
		Expect(env.CreateNamespace(ctx, ns, true, nil)).To(Succeed())
		svc := service(ns, "chat", "websocket", "chat")
		Expect(k8s.Create(ctx, svc)).To(Succeed())
		Expect(svc.Spec.SessionAffinity).To(Equal(corev1.ServiceAffinityClientIP))
		Expect(*svc.Spec.SessionAffinityConfig.ClientIP.TimeoutSeconds).To(BeEquivalentTo(defaults.DefaultClientIPTimeoutSeconds))
		Expect(*svc.Spec.Ports[0].AppProtocol).To(Equal(defaults.AppProtocolWS))
	})

	It("denies a WebSocket port declared as HTTP/2", func() {
		ctx := context.Background()
		ns := uniqueName("svc")
		Expect(env.CreateNamespace(ctx, ns, true, nil)).To(Succeed())
		err := k8s.Create(ctx, service(ns, "chat", "grpc-ws", "chat"))
		Expect(err).To(MatchError(SatisfyAll(ContainSubstring("spec.ports[0].name"), ContainSubstring("HTTP/2"))))
	})
})
