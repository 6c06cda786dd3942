// Package audit judges the objects a cluster already stores, as wsguard's admission webhooks
// would judge them if they were applied again now: the objects of every kind wsguard serves
// (webhooks.ServedKinds), in the namespaces that opted in, with the facts the webhooks read
// (webhooks.FactsReader) and the engine's verdict (defaults.Judge).
//
// It reads through controller-runtime client.Readers, so the same core serves `wsguard check
// --cluster` (a live client) and a background audit inside the server (the manager's cache).
// It only gets and lists.
package audit

import (
	"context"
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/wsguard/wsguard/defaults"
	"github.com/wsguard/wsguard/webhooks"
)

// Auditor judges the stored objects of one scope: a namespace or the whole cluster.
type Auditor struct {
	// Objects reads the namespaces and the judged objects, whole: a live client, or a cache
	// that holds the served kinds unabridged.
	Objects client.Reader
	// Facts gathers what the rules need about related objects, exactly as the webhooks do.
	Facts webhooks.FactsReader
	// Mapper tells which served kinds the cluster has, and at which version.
	Mapper meta.RESTMapper
	// Policy is the effective policy, as `wsguard serve` loads it.
	Policy defaults.Policy
	// Namespace limits the audit to one namespace; "" audits every namespace.
	Namespace string
	// Selector limits the judged objects to those whose labels match; nil judges all.
	Selector labels.Selector
	// AllNamespacesOptedIn judges namespaces without the wsguard.io/inject=enabled label as if
	// they had it; their wsguard.io/enforcement annotation still applies.
	AllNamespacesOptedIn bool
	// Excluded namespaces are never judged, as the webhooks never judge them: kube-system and
	// wsguard's own namespace.
	Excluded []string
	// PageSize bounds each list request; 0 means 500. With a RateLimit, a page holds at most a
	// minute's worth of objects, so that its continue token is still valid for the next page.
	PageSize int64
	// Pacer, when set, is waited on before each object is judged (NewRateLimit): the
	// background audit of `wsguard serve` is paced, `wsguard check --cluster` is not.
	Pacer Pacer
	// SkipForbiddenKinds leaves out, instead of failing on, a kind the reader may not list
	// (Summary.ForbiddenKinds): a server whose service account cannot list some kinds still
	// audits the others.
	SkipForbiddenKinds bool
}

// Finding is the verdict on one judged object. Every judged object has one, whether or not
// there is anything to report about it.
type Finding struct {
	// Object is the object as stored.
	Object *unstructured.Unstructured
	// Namespace is its namespace, as judged (with the opt-in label when AllNamespacesOptedIn
	// judged it).
	Namespace *corev1.Namespace
	// Verdict is what the webhooks would do with the object.
	Verdict defaults.Verdict
	// Err reports a panic of the engine on this object: a bug, reported instead of a crash.
	Err error
}

// Summary says what one audit covered.
type Summary struct {
	// Namespaces are the namespaces judged, in name order.
	Namespaces []string
	// NotOptedIn are the namespaces of the scope left out because they have not opted in;
	// Excluded those left out because wsguard never judges them.
	NotOptedIn []string
	Excluded   []string
	// Kinds are the served kinds read, at the version read; SkippedKinds those the cluster
	// does not serve (their CRDs are not installed).
	Kinds        []schema.GroupVersionKind
	SkippedKinds []schema.GroupKind
	// ForbiddenKinds are the kinds left out because the reader may not list them
	// (SkipForbiddenKinds).
	ForbiddenKinds []schema.GroupKind
	// Objects counts the objects read in the judged namespaces (all judged).
	Objects int
	// NamespaceProblems say which judged namespaces have an unreadable wsguard.io/enforcement
	// annotation (judged in enforce mode), as the webhook warns on each of their objects.
	NamespaceProblems []string
}

// Run judges every object of the served kinds in the judged namespaces and hands each verdict
// to each, kind by kind and, within a kind, in the order the reader lists them (by namespace,
// then name, from the API server). It stops at the first read that fails.
func (a *Auditor) Run(ctx context.Context, each func(Finding)) (Summary, error) {
	var s Summary
	judged, err := a.namespaces(ctx, &s)
	if err != nil {
		return s, err
	}
	for _, k := range webhooks.ServedKinds() {
		gvk, ok, err := a.servedVersion(k.GroupKind, k.Versions)
		if err != nil {
			return s, err
		}
		if !ok {
			s.SkippedKinds = append(s.SkippedKinds, k.GroupKind)
			continue
		}
		s.Kinds = append(s.Kinds, gvk)
		if len(judged) == 0 {
			continue
		}
		if err := a.judgeKind(ctx, gvk, judged, &s, each); err != nil {
			if a.SkipForbiddenKinds && apierrors.IsForbidden(err) {
				s.ForbiddenKinds = append(s.ForbiddenKinds, k.GroupKind)
				continue
			}
			return s, err
		}
	}
	return s, nil
}

// namespaces returns the namespaces of the scope that are judged, by name.
func (a *Auditor) namespaces(ctx context.Context, s *Summary) (map[string]*corev1.Namespace, error) {
	var all []corev1.Namespace
	if a.Namespace != "" {
		ns := &corev1.Namespace{}
		if err := a.Objects.Get(ctx, client.ObjectKey{Name: a.Namespace}, ns); err != nil {
			if apierrors.IsNotFound(err) {
				return nil, fmt.Errorf("namespace %s does not exist", a.Namespace)
			}
			return nil, fmt.Errorf("reading namespace %s: %w", a.Namespace, err)
		}
		all = []corev1.Namespace{*ns}
	} else {
		var list corev1.NamespaceList
		if err := a.Objects.List(ctx, &list); err != nil {
			return nil, fmt.Errorf("listing namespaces: %w", err)
		}
		all = list.Items
	}
	judged := map[string]*corev1.Namespace{}
	for i := range all {
		ns := &all[i]
		switch {
		case slices.Contains(a.Excluded, ns.Name) || ns.Name == "kube-system":
			s.Excluded = append(s.Excluded, ns.Name)
		case defaults.OptedIn(ns):
			judged[ns.Name] = ns
		case a.AllNamespacesOptedIn:
			ns = ns.DeepCopy()
			if ns.Labels == nil {
				ns.Labels = map[string]string{}
			}
			ns.Labels[defaults.LabelInject] = defaults.InjectEnabled
			judged[ns.Name] = ns
		default:
			s.NotOptedIn = append(s.NotOptedIn, ns.Name)
		}
	}
	for name := range judged {
		s.Namespaces = append(s.Namespaces, name)
	}
	slices.Sort(s.Namespaces)
	for _, name := range s.Namespaces {
		if problem := defaults.NamespaceEnforcementProblem(judged[name]); problem != "" {
			s.NamespaceProblems = append(s.NamespaceProblems, problem)
		}
	}
	slices.Sort(s.NotOptedIn)
	slices.Sort(s.Excluded)
	return judged, nil
}

// servedVersion is the first of versions (the webhooks' order of preference) at which the
// cluster serves gk; ok is false when it serves none of them.
func (a *Auditor) servedVersion(gk schema.GroupKind, versions []string) (gvk schema.GroupVersionKind, ok bool, err error) {
	for _, v := range versions {
		m, err := a.Mapper.RESTMapping(gk, v)
		if err == nil {
			return m.GroupVersionKind, true, nil
		}
		if !meta.IsNoMatchError(err) {
			return gvk, false, fmt.Errorf("looking up %s: %w", gk, err)
		}
	}
	return gvk, false, nil
}

// judgeKind lists the objects of one kind and judges those of the judged namespaces: across
// the cluster when most namespaces of the scope are judged, else namespace by namespace, so
// that a cluster with a few opted-in namespaces is not read whole.
func (a *Auditor) judgeKind(ctx context.Context, gvk schema.GroupVersionKind, judged map[string]*corev1.Namespace, s *Summary, each func(Finding)) error {
	scope := len(judged) + len(s.NotOptedIn) + len(s.Excluded)
	if a.Namespace != "" || len(judged)*2 > scope {
		return a.judgePages(ctx, gvk, a.Namespace, judged, s, each)
	}
	for _, ns := range s.Namespaces {
		if err := a.judgePages(ctx, gvk, ns, judged, s, each); err != nil {
			return err
		}
	}
	return nil
}

// judgePages lists the objects of one kind in namespace ("" for all), a page at a time, and
// judges those of the judged namespaces.
func (a *Auditor) judgePages(ctx context.Context, gvk schema.GroupVersionKind, namespace string, judged map[string]*corev1.Namespace, s *Summary, each func(Finding)) error {
	opts := []client.ListOption{client.Limit(a.pageSize())}
	if namespace != "" {
		opts = append(opts, client.InNamespace(namespace))
	}
	if a.Selector != nil && !a.Selector.Empty() {
		opts = append(opts, client.MatchingLabelsSelector{Selector: a.Selector})
	}
	// Facts are gathered once per namespace; the API server lists by namespace, then name.
	var factsNS string
	var facts defaults.Facts
	list := &unstructured.UnstructuredList{}
	list.SetGroupVersionKind(gvk.GroupVersion().WithKind(gvk.Kind + "List"))
	for {
		if err := a.Objects.List(ctx, list, opts...); err != nil {
			return fmt.Errorf("listing %s: %w", kindName(gvk), err)
		}
		for i := range list.Items {
			obj := &list.Items[i]
			ns, ok := judged[obj.GetNamespace()]
			if !ok {
				continue
			}
			if obj.GetKind() == "" {
				obj.SetGroupVersionKind(gvk)
			}
			if a.Pacer != nil {
				if err := a.Pacer.Wait(ctx); err != nil {
					return err
				}
			}
			if ns.Name != factsNS {
				f, err := a.Facts.Facts(ctx, ns, gvk)
				if err != nil {
					return err
				}
				factsNS, facts = ns.Name, f
			}
			s.Objects++
			each(judge(obj, ns, a.Policy, facts))
		}
		cont := list.GetContinue()
		if cont == "" {
			return nil
		}
		opts = append(opts, client.Continue(cont))
		list = &unstructured.UnstructuredList{}
		list.SetGroupVersionKind(gvk.GroupVersion().WithKind(gvk.Kind + "List"))
	}
}

// judge is defaults.Judge with the engine's panics turned into the finding's error, as the
// webhook recovers from them (WithRecoverPanic): one object must not end the audit.
func judge(obj *unstructured.Unstructured, ns *corev1.Namespace, policy defaults.Policy, facts defaults.Facts) (f Finding) {
	f = Finding{Object: obj, Namespace: ns}
	defer func() {
		if p := recover(); p != nil {
			f.Verdict = defaults.Verdict{Fixed: obj}
			f.Err = fmt.Errorf("internal error while judging %s %s/%s: %v; please report this", obj.GetKind(), obj.GetNamespace(), obj.GetName(), p)
		}
	}()
	f.Verdict = defaults.Judge(obj, policy, facts)
	return f
}

func (a *Auditor) pageSize() int64 {
	size := int64(500)
	if a.PageSize > 0 {
		size = a.PageSize
	}
	return pagedFor(a.Pacer, size)
}

// kindName names a kind for messages: Kind (group/version), or Kind (version) for the core group.
func kindName(gvk schema.GroupVersionKind) string {
	return fmt.Sprintf("%s (%s)", gvk.Kind, gvk.GroupVersion())
}

// FactsReader is the webhook's facts reader over reader, told which of the custom resources that
// facts read where they are served (webhooks.WatchedWhereServed) the cluster serves.
func FactsReader(mapper meta.RESTMapper, reader client.Reader) (webhooks.FactsReader, error) {
	f := webhooks.FactsReader{Cache: reader, Live: reader}
	for _, t := range []struct {
		gvk schema.GroupVersionKind
		on  *bool
	}{
		{webhooks.BackendConfigGVK, &f.BackendConfigs},
		{webhooks.HTTPProxyGVK, &f.HTTPProxies},
		{webhooks.MappingGVK, &f.Mappings},
		{webhooks.HTTPRouteGVK, &f.HTTPRoutes},
		{webhooks.GatewayGVK, &f.Gateways},
		{webhooks.GatewayClassGVK, &f.GatewayClasses},
	} {
		served, err := serves(mapper, t.gvk)
		if err != nil {
			return f, err
		}
		*t.on = served
	}
	return f, nil
}

// serves reports whether the cluster serves a kind at a version.
func serves(mapper meta.RESTMapper, gvk schema.GroupVersionKind) (bool, error) {
	if _, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version); err != nil {
		if meta.IsNoMatchError(err) {
			return false, nil
		}
		return false, fmt.Errorf("looking up %s: %w", gvk, err)
	}
	return true, nil
}
