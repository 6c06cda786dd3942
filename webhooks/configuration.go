package webhooks

import (
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
}

// DefaultConfigurationOptions are the values the shipped manifests use. A mutating webhook that
// cannot be reached is ignored (objects are admitted without defaults); a validating one fails
// closed, because wsguard's purpose is to stop unsafe objects.
func DefaultConfigurationOptions() ConfigurationOptions {
	return ConfigurationOptions{
		Name:                    "wsguard",
		ServiceNamespace:        "wsguard-system",
		ServiceName:             "wsguard-webhook",
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
		ObjectMeta: metav1.ObjectMeta{Name: o.Name},
	}
	validating := &admissionv1.ValidatingWebhookConfiguration{
		TypeMeta:   metav1.TypeMeta{APIVersion: "admissionregistration.k8s.io/v1", Kind: "ValidatingWebhookConfiguration"},
		ObjectMeta: metav1.ObjectMeta{Name: o.Name},
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
			Name:                    k.Resource + mutatingWebhookSuffix,
			ClientConfig:            o.clientConfig(k.MutatePath()),
			Rules:                   rules,
			FailurePolicy:           ptr.To(o.MutatingFailurePolicy),
			MatchPolicy:             ptr.To(admissionv1.Equivalent),
			NamespaceSelector:       o.namespaceSelector(),
			SideEffects:             ptr.To(admissionv1.SideEffectClassNone),
			TimeoutSeconds:          ptr.To(o.TimeoutSeconds),
			AdmissionReviewVersions: []string{"v1"},
			// Other mutating webhooks may add containers or ports after wsguard ran; running
			// again lets wsguard default those too. Safe because the engine is idempotent.
			ReinvocationPolicy: ptr.To(admissionv1.IfNeededReinvocationPolicy),
		})
		validating.Webhooks = append(validating.Webhooks, admissionv1.ValidatingWebhook{
			Name:                    k.Resource + validatingWebhookSuffix,
			ClientConfig:            o.clientConfig(k.ValidatePath()),
			Rules:                   rules,
			FailurePolicy:           ptr.To(o.ValidatingFailurePolicy),
			MatchPolicy:             ptr.To(admissionv1.Equivalent),
			NamespaceSelector:       o.namespaceSelector(),
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
