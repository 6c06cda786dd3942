package audit_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr/funcr"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	reportsv1alpha1 "github.com/openreports/reports-api/apis/openreports.io/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/wsguard/wsguard/audit"
	"github.com/wsguard/wsguard/cli"
	"github.com/wsguard/wsguard/defaults"
	"github.com/wsguard/wsguard/internal/testenv"
)

// The reports suite runs the background audit against a real API server with the Report CRD
// exactly as the OpenReports module publishes it, so that every report wsguard writes is
// validated by the real schema.
var (
	reportsEnv *testenv.Env
	k8s        client.Client
)

func TestReports(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "wsguard's OpenReports Reports through a real API server")
}

var _ = BeforeSuite(func() {
	crd, err := testenv.ReportsCRD()
	Expect(err).NotTo(HaveOccurred())
	reportsEnv, err = testenv.Start(crd)
	Expect(err).NotTo(HaveOccurred())
	scheme := runtime.NewScheme()
	Expect(clientgoscheme.AddToScheme(scheme)).To(Succeed())
	Expect(reportsv1alpha1.Install(scheme)).To(Succeed())
	k8s, err = client.New(reportsEnv.Config, client.Options{Scheme: scheme})
	Expect(err).NotTo(HaveOccurred())
})

var _ = AfterSuite(func() {
	if reportsEnv != nil {
		Expect(reportsEnv.Stop()).To(Succeed())
	}
})

// newRunner is the background audit as `wsguard serve` wires it, over k8s.
func newRunner() *audit.Runner {
	facts, err := audit.FactsReader(k8s.RESTMapper(), k8s)
	Expect(err).NotTo(HaveOccurred())
	return &audit.Runner{
		Auditor:  &audit.Auditor{Objects: k8s, Facts: facts, Mapper: k8s.RESTMapper(), Policy: defaults.DefaultPolicy(), SkipForbiddenKinds: true},
		Interval: time.Hour,
		Log:      GinkgoLogr,
		Reports:  &audit.ReportWriter{Client: k8s, Log: GinkgoLogr},
	}
}

// unsafeManifests are the repository's examples of objects admission denies.
func unsafeManifests() []string {
	files, err := filepath.Glob("../examples/unsafe/*.yaml")
	Expect(err).NotTo(HaveOccurred())
	Expect(files).NotTo(BeEmpty())
	return files
}

// storeUnsafe creates the unsafe examples in namespace, as they were stored before wsguard
// judged it (no webhook runs here).
func storeUnsafe(ctx context.Context, namespace string) {
	for _, file := range unsafeManifests() {
		b, err := os.ReadFile(file)
		Expect(err).NotTo(HaveOccurred())
		u := &unstructured.Unstructured{}
		Expect(yaml.Unmarshal(b, &u.Object)).To(Succeed())
		u.SetNamespace(namespace)
		Expect(k8s.Create(ctx, u)).To(Succeed())
	}
}

func setOptIn(ctx context.Context, name string, in bool) {
	ns := &corev1.Namespace{}
	Expect(k8s.Get(ctx, client.ObjectKey{Name: name}, ns)).To(Succeed())
	if in {
		ns.Labels[defaults.LabelInject] = defaults.InjectEnabled
	} else {
		delete(ns.Labels, defaults.LabelInject)
	}
	Expect(k8s.Update(ctx, ns)).To(Succeed())
}

// reportsIn are wsguard's reports in namespace, by the kind and name of their object.
func reportsIn(ctx context.Context, namespace string) map[string]reportsv1alpha1.Report {
	var list reportsv1alpha1.ReportList
	Expect(k8s.List(ctx, &list, client.InNamespace(namespace), client.MatchingLabels{audit.LabelManagedBy: audit.ManagedByWSGuard})).To(Succeed())
	out := map[string]reportsv1alpha1.Report{}
	for _, r := range list.Items {
		Expect(r.Scope).NotTo(BeNil())
		out[r.Scope.Kind+"/"+r.Scope.Name] = r
	}
	return out
}

// reportFindings are a report's results as "rule outcome field" lines.
func reportFindings(r reportsv1alpha1.Report) []string {
	var out []string
	for _, x := range r.Results {
		if x.Result == "pass" {
			continue
		}
		out = append(out, x.Rule+" "+x.Properties[audit.PropertyOutcome]+" "+x.Properties[audit.PropertyField])
	}
	slices.Sort(out)
	return out
}

// checkFindings are what `wsguard check -o json` finds in files, by the kind and name of each
// object, as "rule outcome field" lines.
func checkFindings(files []string) map[string][]string {
	var stdout, stderr bytes.Buffer
	cli.Check(append([]string{"-o", "json"}, files...), nil, &stdout, &stderr)
	var report cli.Report
	Expect(json.Unmarshal(stdout.Bytes(), &report)).To(Succeed(), stderr.String())
	out := map[string][]string{}
	for _, o := range report.Objects {
		var lines []string
		for _, c := range o.Changes {
			if c.Rule == defaults.RuleAppliedRules {
				continue // bookkeeping, not a finding: the audit leaves it out as its gauges do
			}
			lines = append(lines, c.Rule+" "+audit.OutcomeDefaulted+" "+c.Path)
		}
		for _, v := range o.Violations {
			outcome := audit.OutcomeWarned
			if o.Denied {
				outcome = audit.OutcomeDenied
			}
			lines = append(lines, v.Rule+" "+outcome+" "+v.Field)
		}
		for _, w := range o.Warnings {
			lines = append(lines, w.Rule+" "+audit.OutcomeWarned+" "+w.Field)
		}
		if len(lines) == 0 && !o.WebSocket {
			continue
		}
		slices.Sort(lines)
		out[o.Kind+"/"+o.Name] = lines
	}
	return out
}

var _ = Describe("the background audit's Reports", Ordered, func() {
	const ns = "legacy"
	var runner *audit.Runner

	BeforeAll(func(ctx SpecContext) {
		Expect(reportsEnv.CreateNamespace(ctx, ns, false, nil)).To(Succeed())
		storeUnsafe(ctx, ns)
		runner = newRunner()
	})

	It("reports nothing in a namespace that has not opted in", func(ctx SpecContext) {
		runner.RunOnce(ctx)
		Expect(reportsIn(ctx, ns)).To(BeEmpty())
	})

	It("reports the objects stored before the namespace opted in, with the findings of wsguard check", func(ctx SpecContext) {
		setOptIn(ctx, ns, true)
		runner.RunNamespace(ctx, ns)
		reports := reportsIn(ctx, ns)
		want := checkFindings(unsafeManifests())
		Expect(want).To(HaveLen(3))
		Expect(reports).To(HaveLen(len(want)))
		for object, findings := range want {
			Expect(reports).To(HaveKey(object))
			r := reports[object]
			Expect(reportFindings(r)).To(Equal(findings), object)
			Expect(r.Source).To(Equal("wsguard"))
			Expect(r.Summary.Fail).To(BeNumerically(">", 0), "%s: admission denies it, so the report fails it", object)
			Expect(r.OwnerReferences).To(HaveLen(1))
			Expect(r.OwnerReferences[0].UID).To(Equal(r.Scope.UID))
		}
	})

	It("rewrites nothing when nothing changed", func(ctx SpecContext) {
		before := reportsIn(ctx, ns)
		runner.RunOnce(ctx)
		for object, r := range reportsIn(ctx, ns) {
			Expect(r.ResourceVersion).To(Equal(before[object].ResourceVersion), object)
		}
	})

	It("clears the result of an object once it is fixed", func(ctx SpecContext) {
		svc := &corev1.Service{}
		Expect(k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: "chat-grpc"}, svc)).To(Succeed())
		svc.Spec.Ports[0].Name = "websocket"
		Expect(k8s.Update(ctx, svc)).To(Succeed())
		runner.RunOnce(ctx)
		r, ok := reportsIn(ctx, ns)["Service/chat-grpc"]
		if ok {
			Expect(r.Summary.Fail).To(BeZero())
			for _, x := range r.Results {
				Expect(x.Properties[audit.PropertyField]).NotTo(Equal("spec.ports[0].name"))
			}
		}
	})

	It("deletes the report of an object that was deleted", func(ctx SpecContext) {
		Expect(reportsIn(ctx, ns)).To(HaveKey("Deployment/chat-unsafe"))
		dep := &unstructured.Unstructured{}
		dep.SetAPIVersion("apps/v1")
		dep.SetKind("Deployment")
		dep.SetNamespace(ns)
		dep.SetName("chat-unsafe")
		Expect(k8s.Delete(ctx, dep)).To(Succeed())
		runner.RunOnce(ctx) // envtest runs no garbage collector: the audit deletes it
		Expect(reportsIn(ctx, ns)).NotTo(HaveKey("Deployment/chat-unsafe"))
		Expect(reportsIn(ctx, ns)).To(HaveKey("Ingress/chat-units"))
	})

	It("deletes the reports of a namespace that opted out", func(ctx SpecContext) {
		Expect(reportsIn(ctx, ns)).NotTo(BeEmpty())
		setOptIn(ctx, ns, false)
		runner.RunNamespace(ctx, ns)
		Expect(reportsIn(ctx, ns)).To(BeEmpty())
	})
})

var _ = Describe("the background audit's triggers", func() {
	It("audits a namespace soon after it opts in, and clears its reports soon after it opts out", func(ctx SpecContext) {
		const ns = "late"
		Expect(reportsEnv.CreateNamespace(ctx, ns, false, nil)).To(Succeed())
		storeUnsafe(ctx, ns)

		informers, err := cache.New(reportsEnv.Config, cache.Options{Scheme: k8s.Scheme(), Mapper: k8s.RESTMapper()})
		Expect(err).NotTo(HaveOccurred())
		runCtx, stop := context.WithCancel(ctx)
		DeferCleanup(stop)
		go func() { _ = informers.Start(runCtx) }()
		runner := newRunner()
		runner.Informers = informers
		runner.WaitForCache = informers.WaitForCacheSync
		// The log says when the audit on start has finished.
		firstAudit := make(chan struct{})
		var once sync.Once
		runner.Log = funcr.New(func(_, args string) {
			if strings.Contains(args, `"audit finished"`) {
				once.Do(func() { close(firstAudit) })
			}
		}, funcr.Options{})
		done := make(chan error, 1)
		go func() { done <- runner.Start(runCtx) }()
		DeferCleanup(func() { stop(); Expect(<-done).To(Succeed()) })

		// The interval is an hour: after the audit on start, only the opt-in can bring reports.
		Eventually(firstAudit).WithTimeout(30 * time.Second).Should(BeClosed())
		Expect(reportsIn(ctx, ns)).To(BeEmpty())
		setOptIn(ctx, ns, true)
		Eventually(func() map[string]reportsv1alpha1.Report { return reportsIn(ctx, ns) }).WithTimeout(30 * time.Second).Should(HaveLen(3))
		setOptIn(ctx, ns, false)
		Eventually(func() map[string]reportsv1alpha1.Report { return reportsIn(ctx, ns) }).WithTimeout(30 * time.Second).Should(BeEmpty())
	})
})

// TestReportsAPIModuleMatchesGoMod: the Report CRD the tests and `make run` install is the one
// of the module version whose Go types wsguard writes.
func TestReportsAPIModuleMatchesGoMod(t *testing.T) {
	b, err := os.ReadFile("../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	want := "\tgithub.com/openreports/reports-api " + testenv.ReportsAPIModule[len("github.com/openreports/reports-api@"):] + "\n"
	if !bytes.Contains(b, []byte(want)) {
		t.Errorf("go.mod does not require %s; testenv.ReportsAPIModule and go.mod must name the same version", testenv.ReportsAPIModule)
	}
}
