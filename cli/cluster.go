package cli

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/wsguard/wsguard/audit"
	"github.com/wsguard/wsguard/defaults"
	"github.com/wsguard/wsguard/webhooks"
)

// `wsguard check --cluster`: the objects come from a live API server instead of files, judged by
// package audit with the webhooks' own facts, and reported by the writers of `check -f`.

// ClusterReport is the JSON report of `check --cluster`: the report of `check -f` (objects have
// no file, document or line) and what the run covered.
type ClusterReport struct {
	Report
	Cluster ClusterScope `json:"cluster"`
}

// ClusterScope says what `check --cluster` read.
type ClusterScope struct {
	// Server is the API server's address.
	Server string `json:"server"`
	// Namespaces are the namespaces judged; NotOptedIn those of the scope left out because they
	// lack the wsguard.io/inject=enabled label; Excluded those wsguard never judges.
	Namespaces []string `json:"namespaces"`
	NotOptedIn []string `json:"notOptedIn"`
	Excluded   []string `json:"excluded"`
	// Kinds are the kinds read, as apiVersion/kind; SkippedKinds the served kinds the cluster
	// does not have (their CRDs are not installed), as kind.group.
	Kinds        []string `json:"kinds"`
	SkippedKinds []string `json:"skippedKinds"`
}

// clusterRun is one check over a cluster.
type clusterRun struct {
	opts    *options
	server  string
	objects []*object
	errors  []*InputError
	scope   audit.Summary
}

// checkCluster runs `wsguard check --cluster` and returns the exit code.
func checkCluster(o *options, stdout, stderr io.Writer) int {
	r := &clusterRun{opts: o}
	if err := r.load(context.Background()); err != nil {
		r.errors = append(r.errors, &InputError{File: cmp.Or(r.server, "cluster"), Message: err.Error()})
	}
	s := r.summary()
	r.printNotes(stderr)
	if o.output == "json" {
		if err := writeClusterJSON(stdout, r.report(s)); err != nil {
			fmt.Fprintf(stderr, "wsguard check: %v\n", err)
			return ExitUsage
		}
	} else {
		t := &textReport{w: stdout, color: useColor(o.color, stdout), changeLabel: "default", explain: o.explain}
		for _, obj := range r.objects {
			t.object(obj)
		}
		fmt.Fprintf(stdout, "wsguard check: %s, %s judged: %s\n", plural(len(r.scope.Namespaces), "namespace"), plural(s.Judged, "object"), t.findings("check", s))
	}
	switch {
	case s.Errors > 0:
		return ExitUsage
	case s.Denied > 0, o.failOnDefaults && s.Changed > 0:
		return ExitViolations
	}
	return ExitOK
}

// load reads and judges the objects of the scope.
func (r *clusterRun) load(ctx context.Context) error {
	c := &r.opts.cluster
	cfg, namespace, err := c.restConfig()
	if err != nil {
		return err
	}
	r.server = cfg.Host
	if c.allNamespaces {
		namespace = ""
	} else if r.opts.namespace != "" {
		namespace = r.opts.namespace
	}
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		return err
	}
	if err := apiextensionsv1.AddToScheme(scheme); err != nil {
		return err
	}
	live, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		return fmt.Errorf("connecting to %s: %w", cfg.Host, err)
	}
	// Facts are listed once per type and scope, as the webhook's cache holds them.
	snapshot := &audit.Snapshot{Live: live, Namespace: namespace}
	facts, err := audit.FactsReader(live.RESTMapper(), snapshot)
	if err != nil {
		return err
	}
	facts.Stores = snapshot.Store
	a := &audit.Auditor{
		Objects:              live,
		Facts:                facts,
		Mapper:               live.RESTMapper(),
		Policy:               r.opts.policy,
		Namespace:            namespace,
		Selector:             c.labelSelector,
		AllNamespacesOptedIn: c.allNamespacesOptedIn,
		Excluded:             excludedNamespaceNames(),
	}
	order := map[string]int{}
	for i, k := range webhooks.ServedKinds() {
		order[k.GroupKind.String()] = i
	}
	r.scope, err = a.Run(ctx, func(f audit.Finding) {
		o := &object{obj: f.Object, apiVersion: f.Object.GetAPIVersion(), kind: f.Object.GetKind(), name: f.Object.GetName(), item: -1}
		if f.Err != nil {
			r.errors = append(r.errors, &InputError{File: r.server, Message: f.Err.Error()})
			return
		}
		o.verdict = clusterVerdict(f, r.opts.explain)
		r.objects = append(r.objects, o)
	})
	slices.SortStableFunc(r.objects, func(a, b *object) int {
		return cmp.Or(
			strings.Compare(a.obj.GetNamespace(), b.obj.GetNamespace()),
			cmp.Compare(order[a.obj.GroupVersionKind().GroupKind().String()], order[b.obj.GroupVersionKind().GroupKind().String()]),
			strings.Compare(a.obj.GetName(), b.obj.GetName()))
	})
	if err != nil {
		if apierrors.IsForbidden(err) {
			return fmt.Errorf("%w (docs/cli.md lists the get and list rights check --cluster needs)", err)
		}
		return err
	}
	return nil
}

// clusterVerdict is the CLI's verdict on a stored object.
func clusterVerdict(f audit.Finding, explain bool) verdict {
	v := f.Verdict
	out := verdict{
		judged: true, namespace: f.Object.GetNamespace(), websocket: v.WebSocket, reason: v.Reason, mode: v.Mode,
		changes: v.Changes, violations: v.Violations, warnings: v.Warnings, fixed: v.Fixed,
	}
	if explain && !v.WebSocket {
		out.hints = defaults.Hints(f.Object)
	}
	return out
}

// restConfig reads the kubeconfig as kubectl does, and returns the context's namespace.
func (c *clusterOptions) restConfig() (*rest.Config, string, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = c.kubeconfig
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: c.context})
	cfg, err := cc.ClientConfig()
	if err != nil {
		return nil, "", fmt.Errorf("cannot find a cluster (%v): give --kubeconfig, set KUBECONFIG or run inside a cluster", err)
	}
	namespace, _, err := cc.Namespace()
	if err != nil {
		return nil, "", fmt.Errorf("reading the context's namespace: %w", err)
	}
	cfg = rest.CopyConfig(cfg)
	// An audit lists a few types per namespace; kubectl's own limits.
	cfg.QPS, cfg.Burst = 50, 300
	cfg.Timeout = time.Minute
	cfg.UserAgent = "wsguard-check"
	return cfg, namespace, nil
}

// summary counts the run's findings as run.summary does for files.
func (r *clusterRun) summary() Summary {
	s := Summary{Objects: len(r.objects), Errors: len(r.errors)}
	for _, o := range r.objects {
		s.count(&o.verdict)
	}
	return s
}

// report is the JSON report.
func (r *clusterRun) report(s Summary) ClusterReport {
	rep := ClusterReport{
		Report: Report{APIVersion: ReportAPIVersion, Kind: ReportKind, Summary: s, Objects: []ObjectReport{}, Errors: []InputError{}},
		Cluster: ClusterScope{Server: r.server, Namespaces: nonNil(r.scope.Namespaces), NotOptedIn: nonNil(r.scope.NotOptedIn),
			Excluded: nonNil(r.scope.Excluded), Kinds: []string{}, SkippedKinds: []string{}},
	}
	for _, e := range r.errors {
		rep.Errors = append(rep.Errors, *e)
	}
	for _, o := range r.objects {
		rep.Objects = append(rep.Objects, objectReport(o))
	}
	for _, k := range r.scope.Kinds {
		rep.Cluster.Kinds = append(rep.Cluster.Kinds, k.GroupVersion().String()+"/"+k.Kind)
	}
	for _, k := range r.scope.SkippedKinds {
		rep.Cluster.SkippedKinds = append(rep.Cluster.SkippedKinds, k.String())
	}
	return rep
}

// printNotes says on stderr what was not judged, and the errors.
func (r *clusterRun) printNotes(w io.Writer) {
	for _, k := range r.scope.SkippedKinds {
		fmt.Fprintf(w, "wsguard check: skipped %s: the cluster does not serve it (its CRD is not installed)\n", k)
	}
	switch n := len(r.scope.NotOptedIn); {
	case n == 1 && r.opts.cluster.allNamespaces:
		fmt.Fprintf(w, "wsguard check: namespace %s has not opted in (label %s=%s) and was not judged; --all-namespaces-as-opted-in judges it too\n", r.scope.NotOptedIn[0], defaults.LabelInject, defaults.InjectEnabled)
	case n == 1:
		fmt.Fprintf(w, "wsguard check: namespace %s has not opted in (label %s=%s), so the webhooks leave its objects alone and none was judged; --all-namespaces-as-opted-in judges them as if it had\n", r.scope.NotOptedIn[0], defaults.LabelInject, defaults.InjectEnabled)
	case n > 1:
		names := r.scope.NotOptedIn
		more := ""
		if len(names) > 10 {
			names, more = names[:10], fmt.Sprintf(" and %d more", len(names)-10)
		}
		fmt.Fprintf(w, "wsguard check: %d namespaces have not opted in (label %s=%s) and were not judged: %s%s; --all-namespaces-as-opted-in judges them too\n", n, defaults.LabelInject, defaults.InjectEnabled, strings.Join(names, ", "), more)
	}
	for _, problem := range r.scope.NamespaceProblems {
		fmt.Fprintf(w, "wsguard check: %s\n", problem)
	}
	if !r.opts.cluster.allNamespaces && len(r.scope.Excluded) > 0 {
		fmt.Fprintf(w, "wsguard check: namespace %s is never judged, as the webhooks never judge it\n", r.scope.Excluded[0])
	}
	for _, e := range r.errors {
		fmt.Fprintf(w, "wsguard check: %s\n", e.Error())
	}
}

// excludedNamespaceNames are the namespaces the shipped webhook configurations never send.
func excludedNamespaceNames() []string {
	var names []string
	for name := range excludedNamespaces {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// writeClusterJSON prints the report as writeJSON does.
func writeClusterJSON(w io.Writer, rep ClusterReport) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(rep)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
