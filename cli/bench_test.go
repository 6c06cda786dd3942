package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// benchApps is the number of generated applications: a Deployment, a Service, an Ingress and a
// ConfigMap each, 10,000 objects in all, spread over 25 namespaces as a large GitOps repository
// or a `helm template` of many releases would hold them.
const benchApps = 2500

// generateManifests writes the benchmark's input as one multi-document YAML file, in the
// style `helm template` prints, and returns its path.
func generateManifests(b *testing.B) string {
	b.Helper()
	var s strings.Builder
	for i := range benchApps {
		ns, app := fmt.Sprintf("team-%02d", i%25), fmt.Sprintf("app-%04d", i)
		fmt.Fprintf(&s, `---
# Source: apps/templates/%[2]s.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: %[2]s
  namespace: %[1]s
  labels: {app: %[2]s}
spec:
  replicas: 2
  selector:
    matchLabels: {app: %[2]s}
  template:
    metadata:
      labels: {app: %[2]s}
    spec:
      containers:
      - name: app
        image: ghcr.io/example/%[2]s:1.0.0
        ports:
        - name: http
          containerPort: 8080
        readinessProbe:
          httpGet: {path: /healthz, port: http}
---
apiVersion: v1
kind: Service
metadata:
  name: %[2]s
  namespace: %[1]s
spec:
  selector: {app: %[2]s}
  ports:
  - name: websocket
    port: 80
    targetPort: http
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: %[2]s
  namespace: %[1]s
spec:
  ingressClassName: nginx
  rules:
  - host: %[2]s.example.com
    http:
      paths:
      - path: /ws
        pathType: Prefix
        backend:
          service:
            name: %[2]s
            port: {number: 80}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: %[2]s
  namespace: %[1]s
data:
  LOG_LEVEL: info
`, ns, app)
	}
	path := filepath.Join(b.TempDir(), "manifests.yaml")
	if err := os.WriteFile(path, []byte(s.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	return path
}

// BenchmarkCheck10000Objects measures `wsguard check` over 10,000 objects; every Deployment
// and Ingress is WebSocket only through its Service, so facts are resolved for each.
func BenchmarkCheck10000Objects(b *testing.B) {
	path := generateManifests(b)
	args := []string{"-f", path}
	rep, res := benchCheckJSON(b, args)
	if res != ExitOK || rep.Objects != 4*benchApps || rep.Changed != 3*benchApps {
		b.Fatalf("exit %d, summary %+v: the benchmark would not measure a full run", res, rep)
	}
	for b.Loop() {
		Check(args, strings.NewReader(""), io.Discard, io.Discard)
	}
	b.ReportMetric(float64(4*benchApps)*float64(b.N)/b.Elapsed().Seconds(), "objects/s")
}

// BenchmarkFix10000Objects measures `wsguard fix` over the same input, printing to stdout:
// 7,500 documents are patched, encoded again and verified.
func BenchmarkFix10000Objects(b *testing.B) {
	path := generateManifests(b)
	args := []string{"-f", path}
	if code := Fix(args, strings.NewReader(""), io.Discard, io.Discard); code != ExitOK {
		b.Fatalf("exit %d", code)
	}
	for b.Loop() {
		Fix(args, strings.NewReader(""), io.Discard, io.Discard)
	}
	b.ReportMetric(float64(4*benchApps)*float64(b.N)/b.Elapsed().Seconds(), "objects/s")
}

func benchCheckJSON(b *testing.B, args []string) (Summary, int) {
	b.Helper()
	o, code := start("check", append([]string{"-o", "json"}, args...), io.Discard)
	if o == nil {
		b.Fatalf("usage error %d", code)
	}
	r := load(o, strings.NewReader(""), false)
	defer r.close()
	s := r.summary()
	if s.Errors > 0 {
		return s, ExitUsage
	}
	return s, ExitOK
}
