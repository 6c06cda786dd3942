package webhooks

import (
	"fmt"

	admissionv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/wsguard/wsguard/defaults"
)

// ConfigurationOptions says how the API server reaches wsguard and how it treats failures. The
// webhook rules, selectors and paths are not options: every install uses the same ones.
type ConfigurationOptions struct {
	// Name of both configuration objects.
	Name string
	// ServiceNamespace and ServiceName address an in-cluster Service on port 443; used when
	// URL is empty. ServiceNamespace is also never intercepted.
	ServiceNamespace string
	ServiceName      string
	// ServiceAccount is the name of wsguard's own service account in ServiceNamespace; its
	// requests are never intercepted. Empty leaves that exemption out.
	ServiceAccount string
	// URL, when set, is the base address (https://host:port) of a webhook running outside
	// the cluster; each handler's path is appended.
	URL string
	// CABundle is the PEM CA that signed the serving certificate; empty when a CA injector
	// (cert-manager) fills it in.
	CABundle []byte
	// MutatingFailurePolicy and ValidatingFailurePolicy say what the API server does when
	// wsguard cannot be reached.
	MutatingFailurePolicy   admissionv1.FailurePolicyType
	ValidatingFailurePolicy admissionv1.FailurePolicyType
	// TimeoutSeconds bounds each call (1 to 30).
	TimeoutSeconds int32
	// CAInjectFrom, when set, is the namespace/name of the cert-manager Certificate whose CA
	// cert-manager's CA injector writes into every caBundle.
	CAInjectFrom string
}

// DefaultConfigurationOptions are the values the shipped installs use: config/ adds CA injection
// to them, and the Helm chart's default values are the same. A mutating webhook that cannot be
// reached is ignored (objects are admitted without defaults); a validating one fails closed,
// because wsguard's purpose is to stop unsafe objects.
func DefaultConfigurationOptions() ConfigurationOptions {
	return ConfigurationOptions{
		Name:                    "wsguard",
		ServiceNamespace:        "wsguard-system",
		ServiceName:             "wsguard-webhook",
		ServiceAccount:          "wsguard",
		MutatingFailurePolicy:   admissionv1.Ignore,
		ValidatingFailurePolicy: admissionv1.Fail,
		TimeoutSeconds:          5,
	}
}

// Webhook names; the API server requires fully qualified names.
const (
	mutatingWebhookSuffix   = ".mutate.wsguard.io"
	validatingWebhookSuffix = ".validate.wsguard.io"
)

// Configurations builds the MutatingWebhookConfiguration and ValidatingWebhookConfiguration for
// every served kind.
func Configurations(o ConfigurationOptions) (*admissionv1.MutatingWebhookConfiguration, *admissionv1.ValidatingWebhookConfiguration) {
	mutating := &admissionv1.MutatingWebhookConfiguration{
		TypeMeta:   metav1.TypeMeta{APIVersion: "admissionregistration.k8s.io/v1", Kind: "MutatingWebhookConfiguration"},
		ObjectMeta: metav1.ObjectMeta{Name: o.Name, Annotations: o.annotations()},
	}
	validating := &admissionv1.ValidatingWebhookConfiguration{
		TypeMeta:   metav1.TypeMeta{APIVersion: "admissionregistration.k8s.io/v1", Kind: "ValidatingWebhookConfiguration"},
		ObjectMeta: metav1.ObjectMeta{Name: o.Name, Annotations: o.annotations()},
	}
	for _, k := range ServedKinds() {
		rules := []admissionv1.RuleWithOperations{{
			// DELETE and CONNECT carry nothing to default or judge.
			Operations: []admissionv1.OperationType{admissionv1.Create, admissionv1.Update},
			Rule: admissionv1.Rule{
				APIGroups:   []string{k.GroupKind.Group},
				APIVersions: k.Versions,
				Resources:   []string{k.Resource},
				Scope:       ptr.To(admissionv1.NamespacedScope),
			},
		}}
		mutating.Webhooks = append(mutating.Webhooks, admissionv1.MutatingWebhook{
			Name:                    k.webhookName() + mutatingWebhookSuffix,
			ClientConfig:            o.clientConfig(k.MutatePath()),
			Rules:                   rules,
			FailurePolicy:           ptr.To(o.MutatingFailurePolicy),
			MatchPolicy:             ptr.To(admissionv1.Equivalent),
			NamespaceSelector:       o.namespaceSelector(),
			MatchConditions:         append(o.matchConditions(), skipMutating...),
			SideEffects:             ptr.To(admissionv1.SideEffectClassNone),
			TimeoutSeconds:          ptr.To(o.TimeoutSeconds),
			AdmissionReviewVersions: []string{"v1"},
			// Other mutating webhooks may add containers or ports after wsguard ran; running
			// again lets wsguard default those too. Safe because the engine is idempotent.
			ReinvocationPolicy: ptr.To(admissionv1.IfNeededReinvocationPolicy),
		})
		validating.Webhooks = append(validating.Webhooks, admissionv1.ValidatingWebhook{
			Name:                    k.webhookName() + validatingWebhookSuffix,
			ClientConfig:            o.clientConfig(k.ValidatePath()),
			Rules:                   rules,
			FailurePolicy:           ptr.To(o.ValidatingFailurePolicy),
			MatchPolicy:             ptr.To(admissionv1.Equivalent),
			NamespaceSelector:       o.namespaceSelector(),
			MatchConditions:         append(o.matchConditions(), skipValidating...),
			SideEffects:             ptr.To(admissionv1.SideEffectClassNone),
			TimeoutSeconds:          ptr.To(o.TimeoutSeconds),
			AdmissionReviewVersions: []string{"v1"},
		})
	}
	return mutating, validating
}

func (o ConfigurationOptions) clientConfig(path string) admissionv1.WebhookClientConfig {
	cc := admissionv1.WebhookClientConfig{CABundle: o.CABundle}
	if o.URL != "" {
		cc.URL = ptr.To(o.URL + path)
		return cc
	}
	cc.Service = &admissionv1.ServiceReference{Namespace: o.ServiceNamespace, Name: o.ServiceName, Path: ptr.To(path), Port: ptr.To[int32](443)}
	return cc
}

// namespaceSelector admits only opted-in namespaces, and never kube-system or wsguard's own
// namespace, even when someone labels them: a webhook that intercepts the namespace it runs in
// can block its own recovery.
func (o ConfigurationOptions) namespaceSelector() *metav1.LabelSelector {
	excluded := []string{metav1.NamespaceSystem}
	if o.ServiceNamespace != "" && o.ServiceNamespace != metav1.NamespaceSystem {
		excluded = append(excluded, o.ServiceNamespace)
	}
	return &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
		{Key: defaults.LabelInject, Operator: metav1.LabelSelectorOpIn, Values: []string{defaults.InjectEnabled}},
		{Key: corev1.LabelMetadataName, Operator: metav1.LabelSelectorOpNotIn, Values: excluded},
	}}
}

// AnnotationInjectCAFrom tells cert-manager's CA injector which Certificate's CA to write into
// the caBundle of every webhook in the object.
const AnnotationInjectCAFrom = "cert-manager.io/inject-ca-from"

func (o ConfigurationOptions) annotations() map[string]string {
	if o.CAInjectFrom == "" {
		return nil
	}
	return map[string]string{AnnotationInjectCAFrom: o.CAInjectFrom}
}

// matchConditions exempt the identities a cluster needs to keep running and to recover, in
// every namespace, whatever its labels: with a failurePolicy of Fail and wsguard down, a node,
// a control plane component or wsguard itself must still be able to write. The API server
// calls the webhook only when every condition is true.
func (o ConfigurationOptions) matchConditions() []admissionv1.MatchCondition {
	conds := []admissionv1.MatchCondition{
		{Name: "not-a-node", Expression: "!('system:nodes' in request.userInfo.groups)"},
		{Name: "not-the-control-plane", Expression: "!(request.userInfo.username in ['system:apiserver', 'system:kube-controller-manager', 'system:kube-scheduler'])"},
		// Controllers of kube-controller-manager run as kube-system service accounts when it
		// uses service account credentials, as kubeadm and most distributions configure it.
		{Name: "not-a-kube-system-service-account", Expression: "!request.userInfo.username.startsWith('system:serviceaccount:kube-system:')"},
	}
	if o.ServiceAccount != "" && o.ServiceNamespace != "" {
		conds = append(conds, admissionv1.MatchCondition{
			Name:       "not-wsguard-itself",
			Expression: fmt.Sprintf("request.userInfo.username != 'system:serviceaccount:%s:%s'", o.ServiceNamespace, o.ServiceAccount),
		})
	}
	return conds
}

// The API server also skips the objects on which a call would change and say nothing, as the
// engine decides from the object alone. Each such call cost about a millisecond of the write
// (docs/benchmarks.md, "Match conditions").
var (
	// An object being deleted is neither defaulted nor judged: the updates it still receives
	// remove finalizers, and refusing one would leave the object stuck in deletion.
	notBeingDeleted = admissionv1.MatchCondition{
		Name:       "not-being-deleted",
		Expression: "!has(object.metadata.deletionTimestamp)",
	}
	// An object that opted out (wsguard.io/websocket: "false") is never judged.
	notOptedOut = admissionv1.MatchCondition{
		Name:       "not-opted-out",
		Expression: fmt.Sprintf("!(%s)", annotationIs(defaults.AnnotationWebSocket, "false")),
	}
	// The mutating webhook must still see an opted-out object that records defaults wsguard
	// injected earlier (wsguard.io/defaults), so as to take them out again.
	notOptedOutWithoutDefaults = admissionv1.MatchCondition{
		Name: "not-opted-out-without-defaults",
		Expression: fmt.Sprintf("!(%s && !(has(object.metadata.annotations) && '%s' in object.metadata.annotations))",
			annotationIs(defaults.AnnotationWebSocket, "false"), defaults.AnnotationDefaults),
	}

	skipMutating   = []admissionv1.MatchCondition{notBeingDeleted, notOptedOutWithoutDefaults}
	skipValidating = []admissionv1.MatchCondition{notBeingDeleted, notOptedOut}
)

// annotationIs is a CEL expression true when the object carries the annotation with that value.
func annotationIs(key, value string) string {
	return fmt.Sprintf("has(object.metadata.annotations) && '%s' in object.metadata.annotations && object.metadata.annotations['%s'] == '%s'", key, key, value)
}
