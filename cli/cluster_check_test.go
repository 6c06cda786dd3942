package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/wsguard/wsguard/audit"
	"github.com/wsguard/wsguard/cli"
	"github.com/wsguard/wsguard/defaults"
	"github.com/wsguard/wsguard/internal/testenv"
	"github.com/wsguard/wsguard/internal/testsupport"
	"github.com/wsguard/wsguard/webhooks"
)

// TestCheckCluster runs `wsguard check --cluster` against a real API server that stores the
// examples unsafe (no webhook runs, as in a cluster where wsguard was installed after them, or
// a namespace that opted in later), and holds it to `wsguard check -f` on the same manifests:
// the same findings, word for word, and the same exit code.
func TestCheckCluster(t *testing.T) {
	ctx := context.Background()
	crds, err := testenv.MeshCRDs()
	if err != nil {
		t.Fatal(err)
	}
	env, err := testenv.Start(crds...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := env.Stop(); err != nil {
			t.Errorf("stopping the control plane: %v", err)
		}
	})
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	if err := env.WriteKubeconfig(kubeconfig); err != nil {
		t.Fatal(err)
	}

	// Every example, safe or not, in three namespaces: opted in, opted in in warn mode, and
	// not opted in.
	namespaces := map[string]struct {
		optIn       bool
		annotations map[string]string
	}{
		"audit-enforce": {true, nil},
		"audit-warn":    {true, map[string]string{defaults.AnnotationEnforcement: "warn"}},
		"audit-plain":   {false, nil},
	}
	for name, ns := range namespaces {
		if err := env.CreateNamespace(ctx, name, ns.optIn, ns.annotations); err != nil {
			t.Fatal(err)
		}
	}
	for _, in := range readExamples(t) {
		namespaced, err := env.Client.IsObjectNamespaced(in)
		if err != nil {
			t.Fatal(err)
		}
		if !namespaced {
			if err := env.Client.Create(ctx, in.DeepCopy()); err != nil {
				t.Fatalf("creating %s: %v", key(in), err)
			}
			continue
		}
		for name := range namespaces {
			obj := in.DeepCopy()
			obj.SetNamespace(name)
			if err := env.Client.Create(ctx, obj); err != nil {
				t.Fatalf("creating %s in %s: %v", key(in), name, err)
			}
		}
	}
	check := func(args ...string) result {
		return run(t, append([]string{"--cluster", "--kubeconfig", kubeconfig, "--color", "never"}, args...)...)
	}
	files := func(args ...string) result {
		return run(t, append([]string{"-f", examplesDir, "--color", "never"}, args...)...)
	}

	t.Run("the findings and exit code of check -f", func(t *testing.T) {
		want := files("-n", "audit-enforce")
		got := check("-n", "audit-enforce")
		if want.code != cli.ExitViolations {
			t.Fatalf("check -f exits %d on the examples; the test needs denials\n%s%s", want.code, want.stdout, want.stderr)
		}
		sameFindings(t, want, got)
	})

	t.Run("a namespace in warn mode warns instead of denying", func(t *testing.T) {
		want := files("-n", "audit-warn", "--enforcement", "warn")
		got := check("-n", "audit-warn")
		if got.code != cli.ExitOK {
			t.Errorf("exit %d in warn mode, want %d\n%s%s", got.code, cli.ExitOK, got.stdout, got.stderr)
		}
		if strings.Contains(got.stdout, "  deny ") || !strings.Contains(got.stdout, "  violation ") {
			t.Errorf("warn mode should report violations, not denials:\n%s", got.stdout)
		}
		sameFindings(t, want, got)
	})

	t.Run("a namespace that has not opted in is skipped unless asked", func(t *testing.T) {
		got := check("-n", "audit-plain")
		if got.code != cli.ExitOK || !strings.HasSuffix(got.stdout, "wsguard check: 0 namespaces, 0 objects judged: nothing to report\n") {
			t.Errorf("exit %d, stdout:\n%s", got.code, got.stdout)
		}
		if !strings.Contains(got.stderr, "namespace audit-plain has not opted in") {
			t.Errorf("stderr does not say why nothing was judged:\n%s", got.stderr)
		}
		sameFindings(t, files("-n", "audit-plain"), check("-n", "audit-plain", "--all-namespaces-as-opted-in"))
	})

	t.Run("-A judges every namespace that opted in", func(t *testing.T) {
		rep, res := clusterJSON(t, check("-A", "-o", "json"))
		if res.code != cli.ExitViolations {
			t.Errorf("exit %d, want %d", res.code, cli.ExitViolations)
		}
		if want := []string{"audit-enforce", "audit-warn"}; !slices.Equal(rep.Cluster.Namespaces, want) {
			t.Errorf("namespaces judged: %q, want %q", rep.Cluster.Namespaces, want)
		}
		if !slices.Contains(rep.Cluster.NotOptedIn, "audit-plain") || !slices.Contains(rep.Cluster.Excluded, "kube-system") {
			t.Errorf("not opted in %q, excluded %q", rep.Cluster.NotOptedIn, rep.Cluster.Excluded)
		}
		enforce, _ := checkJSONFiles(t, "-n", "audit-enforce")
		if rep.Summary.Judged != 2*enforce.Summary.Judged {
			t.Errorf("judged %d objects, want %d (twice the examples)", rep.Summary.Judged, 2*enforce.Summary.Judged)
		}
		if len(rep.Cluster.SkippedKinds) != 0 {
			t.Errorf("skipped kinds %q; every CRD is installed", rep.Cluster.SkippedKinds)
		}
	})

	t.Run("the audit reads every page, across the cluster or namespace by namespace", func(t *testing.T) {
		for _, all := range []bool{false, true} {
			judged := func(pageSize int64) []string {
				a := &audit.Auditor{
					Objects: env.Client, Facts: webhooks.FactsReader{Cache: env.Client, Live: env.Client}, Mapper: env.Client.RESTMapper(),
					Policy: defaults.DefaultPolicy(), AllNamespacesOptedIn: all, PageSize: pageSize,
				}
				var out []string
				if _, err := a.Run(ctx, func(f audit.Finding) {
					out = append(out, fmt.Sprintf("%s %s/%s: %d changes, %d violations", f.Object.GetKind(), f.Object.GetNamespace(), f.Object.GetName(), len(f.Verdict.Changes), len(f.Verdict.Violations)))
				}); err != nil {
					t.Fatal(err)
				}
				slices.Sort(out)
				return out
			}
			want, got := judged(0), judged(2)
			if len(want) < 30 {
				t.Errorf("all namespaces %v: judged only %d objects", all, len(want))
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("all namespaces %v: pages of 2 differ from pages of 500:\n%s", all, diff)
			}
		}
	})

	t.Run("-o json reports what check -f -o json does", func(t *testing.T) {
		want, wantRes := checkJSONFiles(t, "-n", "audit-enforce")
		got, gotRes := clusterJSON(t, check("-n", "audit-enforce", "-o", "json"))
		if gotRes.code != wantRes.code {
			t.Errorf("exit %d, check -f exits %d", gotRes.code, wantRes.code)
		}
		want.Summary.Files, want.Summary.SkippedFiles, want.Summary.Objects = 0, 0, want.Summary.Judged
		if diff := cmp.Diff(want.Summary, got.Summary); diff != "" {
			t.Errorf("summary differs (-check -f +check --cluster):\n%s", diff)
		}
		if diff := cmp.Diff(byName(want.Objects), byName(got.Objects)); diff != "" {
			t.Errorf("objects differ (-check -f +check --cluster):\n%s", diff)
		}
		if got.Cluster.Server == "" || len(got.Cluster.Kinds) != len(webhooks.ServedKinds()) {
			t.Errorf("cluster: %+v", got.Cluster)
		}
	})

	t.Run("-l judges only the objects it selects", func(t *testing.T) {
		rep, _ := clusterJSON(t, check("-n", "audit-enforce", "-l", "app=chat", "-o", "json"))
		if got := names(rep.Objects); !slices.Equal(got, []string{"Deployment/chat"}) {
			t.Errorf("judged %q, want the one Deployment labelled app=chat", got)
		}
	})

	t.Run("an object wsguard defaulted reports no defaults", func(t *testing.T) {
		const ns = "audit-defaulted"
		if err := env.CreateNamespace(ctx, ns, true, nil); err != nil {
			t.Fatal(err)
		}
		// What the mutating webhook stores: the object with the defaults and their record.
		var services []*unstructured.Unstructured
		for _, m := range []string{testsupport.ChatService, testsupport.ChatDeployment} {
			obj := testsupport.Object(t, m)
			obj.SetNamespace(ns)
			if obj.GetKind() == "Service" {
				services = append(services, obj)
			}
			res := defaults.Evaluate(obj, defaults.DefaultPolicy(), factsWith(t, ns, services))
			if len(res.Changes) == 0 {
				t.Fatalf("%s gets no defaults; the test needs an object that does", key(obj))
			}
			if _, ok := res.Object.GetAnnotations()[defaults.AnnotationDefaults]; !ok {
				t.Fatalf("%s: the engine recorded no defaults", key(obj))
			}
			if err := env.Client.Create(ctx, res.Object); err != nil {
				t.Fatal(err)
			}
		}
		rep, res := clusterJSON(t, check("-n", ns, "-o", "json"))
		if res.code != cli.ExitOK || rep.Summary.Judged != 2 || rep.Summary.WebSocket != 2 {
			t.Errorf("exit %d, summary %+v; want both objects judged as WebSocket", res.code, rep.Summary)
		}
		for _, o := range rep.Objects {
			if len(o.Changes) > 0 || len(o.Violations) > 0 {
				t.Errorf("%s/%s: changes %+v, violations %+v; wsguard's own defaults are not findings", o.Kind, o.Name, o.Changes, o.Violations)
			}
		}
		if got := check("-n", ns, "--fail-on-defaults"); got.code != cli.ExitOK {
			t.Errorf("--fail-on-defaults exits %d:\n%s", got.code, got.stdout)
		}
	})

	t.Run("with exactly the documented rights", func(t *testing.T) {
		limited := filepath.Join(t.TempDir(), "kubeconfig")
		if err := env.WriteUserKubeconfig(limited, "auditor"); err != nil {
			t.Fatal(err)
		}
		role := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "wsguard-check"}, Rules: audit.ReadPermissions()}
		binding := &rbacv1.ClusterRoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: "wsguard-check"},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role.Name},
			Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: "auditor"}},
		}
		denied := run(t, "--cluster", "--kubeconfig", limited, "-A")
		if denied.code != cli.ExitUsage || !strings.Contains(denied.stderr, "docs/cli.md lists the get and list rights") {
			t.Errorf("without rights: exit %d, stderr:\n%s", denied.code, denied.stderr)
		}
		for _, obj := range []client.Object{role, binding} {
			if err := env.Client.Create(ctx, obj); err != nil {
				t.Fatal(err)
			}
		}
		admin := check("-A", "-o", "json")
		var got result
		waitFor(t, "the auditor's rights", func() error {
			got = run(t, "--cluster", "--kubeconfig", limited, "-A", "-o", "json")
			if got.code == cli.ExitUsage {
				return fmt.Errorf("exit %d: %s", got.code, got.stderr)
			}
			return nil
		})
		if got.stdout != admin.stdout {
			t.Errorf("the auditor's report differs from the administrator's:\n%s", cmp.Diff(admin.stdout, got.stdout))
		}
	})

	// Last: it removes a CRD.
	t.Run("a kind whose CRD is not installed is skipped with one line", func(t *testing.T) {
		crd := &apiextensionsv1.CustomResourceDefinition{ObjectMeta: metav1.ObjectMeta{Name: "httproutes.gateway.networking.k8s.io"}}
		if err := env.Client.Delete(ctx, crd); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the CRD to go", func() error {
			if err := env.Client.Get(ctx, client.ObjectKeyFromObject(crd), crd); !apierrors.IsNotFound(err) {
				return fmt.Errorf("still there: %v", err)
			}
			return nil
		})
		var got result
		waitFor(t, "discovery to drop HTTPRoutes", func() error {
			got = check("-n", "audit-enforce")
			if !strings.Contains(got.stderr, "skipped HTTPRoute.gateway.networking.k8s.io") {
				return fmt.Errorf("exit %d, stderr:\n%s", got.code, got.stderr)
			}
			return nil
		})
		if lines := strings.Count(got.stderr, "\n"); lines != 1 || got.code == cli.ExitUsage {
			t.Errorf("exit %d, want one line on stderr, got:\n%s", got.code, got.stderr)
		}
		if strings.Contains(got.stdout, "HTTPRoute ") {
			t.Errorf("HTTPRoutes reported:\n%s", got.stdout)
		}
	})
}

// run runs `wsguard check` with args.
func run(t *testing.T, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := cli.Check(args, strings.NewReader(""), &stdout, &stderr)
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// result is what one run printed and returned.
type result struct {
	code           int
	stdout, stderr string
}

// location is the file:line: (and document N, items[i]:) that check -f puts before an object.
var location = regexp.MustCompile(`^\S+:\d+: (document \d+, items\[\d+\]: )?`)

// sameFindings compares the text reports of check -f and check --cluster: the same blocks,
// but for the location of the object, which a cluster has not (the cluster lists objects by
// namespace, kind and name), the same findings in the closing line, and the same exit code.
func sameFindings(t *testing.T, files, cluster result) {
	t.Helper()
	if files.code != cluster.code {
		t.Errorf("check --cluster exits %d, check -f %d", cluster.code, files.code)
	}
	want, wantSummary := blocks(files.stdout)
	got, gotSummary := blocks(cluster.stdout)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("findings differ (-check -f +check --cluster):\n%s", diff)
	}
	if wantSummary != gotSummary {
		t.Errorf("closing line: check --cluster found %q, check -f %q", gotSummary, wantSummary)
	}
}

// patchOp is the operation of a change's patch line. A field the API server defaults when it
// stores an object (sessionAffinity, terminationGracePeriodSeconds) is replaced in the stored
// object, as the webhook's patch does, where a manifest without it gets it added: the same value
// set, the same message.
var patchOp = regexp.MustCompile(`^ {12}(add|replace) /`)

// blocks splits a text report into its object blocks, sorted, without locations, and the
// findings of its closing line.
func blocks(out string) ([]string, string) {
	var bs []string
	var summary string
	for line := range strings.Lines(out) {
		line = patchOp.ReplaceAllString(line, "            set /")
		switch {
		case strings.HasPrefix(line, "wsguard check: "):
			_, summary, _ = strings.Cut(line, " judged: ")
		case strings.HasPrefix(line, "  ") && len(bs) > 0:
			bs[len(bs)-1] += line
		default:
			bs = append(bs, location.ReplaceAllString(line, ""))
		}
	}
	slices.Sort(bs)
	return bs, summary
}

// clusterJSON decodes the JSON report of check --cluster.
func clusterJSON(t *testing.T, res result) (cli.ClusterReport, result) {
	t.Helper()
	var rep cli.ClusterReport
	if err := json.Unmarshal([]byte(res.stdout), &rep); err != nil {
		t.Fatalf("no JSON report (%v); exit %d\nstdout:\n%s\nstderr:\n%s", err, res.code, res.stdout, res.stderr)
	}
	return rep, res
}

// checkJSONFiles runs check -f examples/ -o json.
func checkJSONFiles(t *testing.T, args ...string) (cli.Report, result) {
	t.Helper()
	res := run(t, append([]string{"-f", examplesDir, "-o", "json"}, args...)...)
	var rep cli.Report
	if err := json.Unmarshal([]byte(res.stdout), &rep); err != nil {
		t.Fatalf("check -f printed no report: %v\n%s", err, res.stderr)
	}
	return rep, res
}

// byName keys object reports by kind and name, without where check -f read them.
func byName(objs []cli.ObjectReport) map[string]cli.ObjectReport {
	out := map[string]cli.ObjectReport{}
	for _, o := range objs {
		o.File, o.Document, o.Line, o.Item = "", 0, 0, nil
		o.Changes = slices.Clone(o.Changes)
		for i := range o.Changes {
			o.Changes[i].Op = "set" // see patchOp
		}
		out[o.Kind+"/"+o.Name] = o
	}
	return out
}

func names(objs []cli.ObjectReport) []string {
	var out []string
	for _, o := range objs {
		out = append(out, o.Kind+"/"+o.Name)
	}
	return out
}

// factsWith are the facts of an opted-in namespace holding services.
func factsWith(t *testing.T, ns string, services []*unstructured.Unstructured) defaults.Facts {
	t.Helper()
	f := defaults.Facts{Namespace: &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns, Labels: map[string]string{defaults.LabelInject: defaults.InjectEnabled}}}}
	for _, s := range services {
		var svc corev1.Service
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(s.Object, &svc); err != nil {
			t.Fatal(err)
		}
		f.Services = append(f.Services, &svc)
	}
	return f
}

// TestCheckClusterAfterAdmission: objects that went through wsguard's webhooks (a real API
// server and the real server, as in TestParityWithTheWebhook) are stored with their defaults and
// wsguard's record of them, so check --cluster finds nothing to change.
func TestCheckClusterAfterAdmission(t *testing.T) {
	ctx := context.Background()
	c := startCluster(t)
	const ns = "admitted"
	if err := c.env.CreateNamespace(ctx, ns, true, nil); err != nil {
		t.Fatal(err)
	}
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	if err := c.env.WriteKubeconfig(kubeconfig); err != nil {
		t.Fatal(err)
	}
	// The Service first: the Deployment and the Ingress are WebSocket only through it, once the
	// webhook's cache has it.
	service := testsupport.Object(t, testsupport.ChatService)
	service.SetNamespace(ns)
	if err := c.client.Create(ctx, service); err != nil {
		t.Fatal(err)
	}
	deployment := testsupport.Object(t, testsupport.ChatDeployment)
	waitFor(t, "the webhook to see the Service", func() error { return defaulted(ctx, c, deployment, ns) })
	for _, m := range []string{testsupport.ChatDeployment, testsupport.ChatIngress} {
		obj := testsupport.Object(t, m)
		obj.SetNamespace(ns)
		if err := c.client.Create(ctx, obj); err != nil {
			t.Fatal(err)
		}
		if _, ok := obj.GetAnnotations()[defaults.AnnotationDefaults]; !ok {
			t.Fatalf("%s was stored without wsguard's defaults", key(obj))
		}
	}

	got := run(t, "--cluster", "--kubeconfig", kubeconfig, "-n", ns, "-o", "json", "--fail-on-defaults")
	rep, _ := clusterJSON(t, got)
	if got.code != cli.ExitOK || rep.Summary.Judged != 3 || rep.Summary.WebSocket != 3 {
		t.Errorf("exit %d, summary %+v; want the three objects judged as WebSocket and nothing to change\n%s", got.code, rep.Summary, got.stderr)
	}
	for _, o := range rep.Objects {
		if len(o.Changes) > 0 || len(o.Violations) > 0 {
			t.Errorf("%s/%s: changes %+v, violations %+v; wsguard's own defaults are not findings", o.Kind, o.Name, o.Changes, o.Violations)
		}
	}
}
