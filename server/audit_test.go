package server_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/wsguard/wsguard/server"
)

// TestBackgroundAudit: with --audit-interval, wsguard judges the objects stored in opted-in
// namespaces (here stored unsafe: no webhook configuration sends them to wsguard) on start and
// again every interval, and exports what it finds as gauges on /metrics. This control plane has
// no OpenReports Report CRD: with --audit-reports the audit still runs and exports its metrics.
func TestBackgroundAudit(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	for name, optIn := range map[string]bool{"bg-audit": true, "bg-audit-off": false} {
		if err := env.CreateNamespace(ctx, name, optIn, nil); err != nil {
			t.Fatal(err)
		}
		if err := env.Client.Create(ctx, shortGrace(name, "short")); err != nil {
			t.Fatal(err)
		}
	}
	in := start(t, ctx, server.Options{AuditInterval: time.Second, AuditReports: true})
	t.Cleanup(func() {
		cancel()
		if err := <-in.done; err != nil {
			t.Errorf("wsguard stopped with an error: %v", err)
		}
	})

	denied := `wsguard_audit_findings{namespace="bg-audit",outcome="denied",rule="deployment-grace-period"}`
	scrape := func(t *testing.T, what string, ok func(string) bool) string {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			body := in.metrics(t)
			if ok(body) {
				return body
			}
			if time.Now().After(deadline) {
				t.Fatalf("waiting for %s; /metrics has:\n%s", what, auditLines(body))
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	body := scrape(t, "the first audit", func(b string) bool { return strings.Contains(b, denied+" 1") })
	if strings.Contains(body, `namespace="bg-audit-off"`) {
		t.Errorf("a namespace that has not opted in is audited:\n%s", auditLines(body))
	}
	if v := gauge(body, "wsguard_audit_last_success_timestamp_seconds"); v < float64(time.Now().Add(-time.Minute).Unix()) {
		t.Errorf("last success %v, want a moment ago", v)
	}
	if !strings.Contains(body, "wsguard_audit_duration_seconds ") {
		t.Errorf("no duration:\n%s", auditLines(body))
	}

	// The next audits see what changed.
	if err := env.Client.Create(ctx, shortGrace("bg-audit", "short-2")); err != nil {
		t.Fatal(err)
	}
	scrape(t, "an audit that sees the second Deployment", func(b string) bool { return strings.Contains(b, denied+" 2") })
	for _, name := range []string{"short", "short-2"} {
		if err := env.Client.Delete(ctx, &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: "bg-audit", Name: name}}); err != nil {
			t.Fatal(err)
		}
	}
	scrape(t, "an audit that drops the findings of deleted objects", func(b string) bool { return !strings.Contains(b, `namespace="bg-audit"`) })
}

// shortGrace is a WebSocket Deployment whose grace period is shorter than its preStop sleep (an
// exec sleep: the API server refuses a sleep action longer than the grace period).
func shortGrace(namespace, name string) *appsv1.Deployment {
	labels := map[string]string{"app": name}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
		Spec: appsv1.DeploymentSpec{
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					TerminationGracePeriodSeconds: ptr.To[int64](10),
					Containers: []corev1.Container{{
						Name: "app", Image: "example.com/app:1",
						Ports:          []corev1.ContainerPort{{Name: "ws", ContainerPort: 8080}},
						ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(8080)}}},
						Lifecycle:      &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{Exec: &corev1.ExecAction{Command: []string{"sh", "-c", "sleep 20"}}}},
					}},
				},
			},
		},
	}
}

// metrics returns the plain-HTTP /metrics page.
func (in *instance) metrics(t *testing.T) string {
	t.Helper()
	resp, err := http.Get(fmt.Sprintf("http://%s/metrics", in.metricsURL))
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// auditLines are the wsguard_audit_ samples of a /metrics page.
func auditLines(body string) string {
	var out []string
	for line := range strings.Lines(body) {
		if strings.HasPrefix(line, "wsguard_audit_") {
			out = append(out, line)
		}
	}
	return strings.Join(out, "")
}

// gauge is the value of an unlabelled gauge on a /metrics page.
func gauge(body, name string) float64 {
	m := regexp.MustCompile(`(?m)^` + name + ` (\S+)$`).FindStringSubmatch(body)
	if m == nil {
		return 0
	}
	v, _ := strconv.ParseFloat(m[1], 64)
	return v
}
