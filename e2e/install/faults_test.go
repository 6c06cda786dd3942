package install

import (
	"context"
	"strconv"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

const (
	faultsNamespace = "faults"
	// The webhook timeout the fault specs install; every create below waits at most this long
	// per webhook for a wsguard that does not answer.
	faultTimeoutSeconds = 2
	// requestBound bounds each create on the client side so that a hang fails the spec
	// instead of the suite; far above what the API server may take (two webhooks, each
	// faultTimeoutSeconds, and reinvocation).
	requestBound = 30 * time.Second
	appliedRules = "wsguard.io/applied-rules"
)

var optedIn = map[string]string{"wsguard.io/inject": "enabled"}

// faultsSpecs are the specs that stop wsguard, in the running install. They leave wsguard
// stopped; rotationSpecs starts it again.
func faultsSpecs(ctx context.Context) {
	BeforeAll(func() {
		_, _, err := helm("upgrade", release, chartDir, "--namespace", releaseNS, "--reuse-values",
			"--set", "webhook.timeoutSeconds="+strconv.Itoa(faultTimeoutSeconds))
		Expect(err).NotTo(HaveOccurred())
		Expect(ensureNamespace(faultsNamespace, optedIn)).To(Succeed())
	})

	DescribeTable("a create in an opted-in namespace",
		func(state wsguardState, validatingPolicy string, admitted bool, reason string) {
			setFailurePolicies("Ignore", validatingPolicy)
			setState(ctx, state)
			d := websocketDeployment(faultsNamespace)
			err := boundedClient(nil).Create(ctx, d)
			if admitted {
				Expect(err).NotTo(HaveOccurred())
				Expect(d.Annotations).NotTo(HaveKey(appliedRules), "admitted without wsguard, so without defaults")
				return
			}
			Expect(err).To(MatchError(SatisfyAll(
				ContainSubstring(`failed calling webhook "deployments.validate.wsguard.io"`),
				ContainSubstring(reason),
			)))
		},
		Entry("is refused, naming the webhook, when wsguard is stopped and validating failurePolicy is Fail",
			stopped, "Fail", false, "connection refused"),
		Entry("is admitted without defaults when wsguard is stopped and validating failurePolicy is Ignore",
			stopped, "Ignore", true, ""),
		Entry("is refused after timeoutSeconds when wsguard hangs and validating failurePolicy is Fail",
			frozen, "Fail", false, "context deadline exceeded"),
		Entry("is admitted after timeoutSeconds when wsguard hangs and validating failurePolicy is Ignore",
			frozen, "Ignore", true, ""),
	)

	Context("with both failure policies Fail and wsguard stopped", func() {
		BeforeAll(func() {
			setFailurePolicies("Fail", "Fail")
			setState(ctx, stopped)
		})

		It("still refuses an ordinary user in an opted-in namespace, so the webhooks are in the path", func() {
			Expect(boundedClient(nil).Create(ctx, websocketDeployment(faultsNamespace))).To(MatchError(ContainSubstring("failed calling webhook")))
		})

		It("never intercepts kube-system or its own namespace, even labelled to opt in", func() {
			for _, ns := range []string{metav1.NamespaceSystem, releaseNS} {
				_, _, err := kubectl("label", "namespace", ns, "wsguard.io/inject=enabled", "--overwrite")
				Expect(err).NotTo(HaveOccurred())
				DeferCleanup(kubectl, "label", "namespace", ns, "wsguard.io/inject-")
				d := websocketDeployment(ns)
				Expect(boundedClient(nil).Create(ctx, d)).To(Succeed(), ns)
				Expect(d.Annotations).NotTo(HaveKey(appliedRules))
			}
		})

		It("is not called for an object that opted out or is being deleted, and still is for one that records earlier defaults", func() {
			optedOut := websocketDeployment(faultsNamespace)
			optedOut.Annotations = map[string]string{"wsguard.io/websocket": "false"}
			Expect(boundedClient(nil).Create(ctx, optedOut)).To(Succeed(), "an opted-out object must not reach wsguard")

			// The mutating webhook must see it, to take the recorded defaults out again.
			recorded := websocketDeployment(faultsNamespace)
			recorded.Annotations = map[string]string{"wsguard.io/websocket": "false", "wsguard.io/defaults": "deployment-prestop-sleep:spec.template.spec.containers[chat].lifecycle.preStop"}
			Expect(boundedClient(nil).Create(ctx, recorded)).To(MatchError(ContainSubstring(`failed calling webhook "deployments.mutate.wsguard.io"`)))

			// An object in deletion, held by a finalizer, whose last update opts back in: the
			// API server skips both webhooks, so the finalizer can go while wsguard is down.
			dying := websocketDeployment(faultsNamespace)
			dying.Annotations = map[string]string{"wsguard.io/websocket": "false"}
			dying.Finalizers = []string{"e2e.wsguard.io/hold"}
			c := boundedClient(nil)
			Expect(c.Create(ctx, dying)).To(Succeed())
			Expect(c.Delete(ctx, dying)).To(Succeed())
			Expect(c.Get(ctx, client.ObjectKeyFromObject(dying), dying)).To(Succeed())
			Expect(dying.DeletionTimestamp).NotTo(BeNil())
			dying.Annotations = nil
			dying.Finalizers = nil
			Expect(c.Update(ctx, dying)).To(Succeed(), "an object being deleted must not reach wsguard")
			Eventually(func() bool {
				return apierrors.IsNotFound(c.Get(ctx, client.ObjectKeyFromObject(dying), &appsv1.Deployment{}))
			}).WithTimeout(30 * time.Second).Should(BeTrue())
		})

		It("never intercepts nodes, the control plane, kube-system service accounts or its own service account", func() {
			grantDeploymentCreate(ctx)
			for _, who := range []rest.ImpersonationConfig{
				{UserName: "system:node:worker-1", Groups: []string{"system:nodes", "system:authenticated"}},
				{UserName: "system:kube-controller-manager", Groups: []string{"system:authenticated"}},
				serviceAccount(metav1.NamespaceSystem, "deployment-controller"),
				serviceAccount(releaseNS, release),
			} {
				Expect(boundedClient(&who).Create(ctx, websocketDeployment(faultsNamespace))).To(Succeed(), who.UserName)
			}
			ci := serviceAccount(faultsNamespace, "ci")
			Expect(boundedClient(&ci).Create(ctx, websocketDeployment(faultsNamespace))).To(MatchError(ContainSubstring("failed calling webhook")))
		})
	})
}

// wsguardState is what the API server finds at webhook.url.
type wsguardState int

const (
	running wsguardState = iota
	// stopped: the process has exited; connections are refused.
	stopped
	// frozen: the process is suspended; connections are accepted and never answered.
	frozen
)

// setState brings the wsguard process into state, starting it again from the Deployment if it
// was stopped.
func setState(ctx context.Context, state wsguardState) {
	GinkgoHelper()
	if wsguard != nil && state != frozen {
		Expect(wsguard.thaw()).To(Succeed())
	}
	switch state {
	case stopped:
		if wsguard != nil {
			Expect(wsguard.stop(40 * time.Second)).To(Succeed())
			wsguard = nil
		}
	case running, frozen:
		if wsguard == nil {
			var err error
			wsguard, err = startWsguard(ctx, releaseNS, release, webhookPort, servingCertDir)
			Expect(err).NotTo(HaveOccurred())
			Eventually(wsguard.ready).WithTimeout(60*time.Second).Should(BeTrue(), "wsguard did not become ready:\n%s", wsguard.log)
		}
		if state == frozen {
			Expect(wsguard.freeze()).To(Succeed())
		}
	}
}

// setFailurePolicies changes the release's failure policies the way a user does.
func setFailurePolicies(mutating, validating string) {
	GinkgoHelper()
	_, _, err := helm("upgrade", release, chartDir, "--namespace", releaseNS, "--reuse-values", "--set",
		"webhook.mutating.failurePolicy="+mutating+",webhook.validating.failurePolicy="+validating)
	Expect(err).NotTo(HaveOccurred())
}

// boundedClient is an administrator's client, or one impersonating who, whose requests give
// up after requestBound.
func boundedClient(who *rest.ImpersonationConfig) client.Client {
	GinkgoHelper()
	cfg := rest.CopyConfig(env.Config)
	cfg.Timeout = requestBound
	if who != nil {
		cfg.Impersonate = *who
	}
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	Expect(err).NotTo(HaveOccurred())
	return c
}

func serviceAccount(namespace, name string) rest.ImpersonationConfig {
	return rest.ImpersonationConfig{
		UserName: "system:serviceaccount:" + namespace + ":" + name,
		Groups:   []string{"system:serviceaccounts", "system:serviceaccounts:" + namespace, "system:authenticated"},
	}
}

// grantDeploymentCreate lets every identity the match-condition spec impersonates create
// Deployments, so that only admission can refuse them.
func grantDeploymentCreate(ctx context.Context) {
	GinkgoHelper()
	role := &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: "e2e-deployment-writer"},
		Rules:      []rbacv1.PolicyRule{{APIGroups: []string{"apps"}, Resources: []string{"deployments"}, Verbs: []string{"create"}}},
	}
	binding := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "e2e-deployment-writer"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role.Name},
		Subjects: []rbacv1.Subject{
			{Kind: rbacv1.GroupKind, APIGroup: rbacv1.GroupName, Name: "system:nodes"},
			{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "system:kube-controller-manager"},
			{Kind: rbacv1.ServiceAccountKind, Namespace: metav1.NamespaceSystem, Name: "deployment-controller"},
			{Kind: rbacv1.ServiceAccountKind, Namespace: releaseNS, Name: release},
			{Kind: rbacv1.ServiceAccountKind, Namespace: faultsNamespace, Name: "ci"},
		},
	}
	Expect(k8s.Create(ctx, role)).To(Succeed())
	Expect(k8s.Create(ctx, binding)).To(Succeed())
	DeferCleanup(k8s.Delete, ctx, binding)
	DeferCleanup(k8s.Delete, ctx, role)
}

// websocketDeployment is a Deployment wsguard recognises as WebSocket by its port name.
func websocketDeployment(namespace string) *appsv1.Deployment {
	labels := map[string]string{"app": "chat"}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{GenerateName: "chat-", Namespace: namespace},
		Spec: appsv1.DeploymentSpec{
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{
					Name: "chat", Image: "ghcr.io/example/chat:1.4.2",
					Ports: []corev1.ContainerPort{{Name: "websocket", ContainerPort: 8080}},
				}}},
			},
		},
	}
}
