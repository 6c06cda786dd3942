// Command bigmanifest writes a large multi-document YAML manifest, as `helm template` of many
// releases or a large GitOps repository holds them, for measuring `wsguard check` and
// `wsguard fix` on big inputs (docs/benchmarks.md, "CLI memory"). Each application is a
// Deployment, a Service and an Ingress, spread over namespaces; one application in -ws-every
// is WebSocket, by a port named ws or websocket or by appProtocol kubernetes.io/ws, and the
// rest are plain HTTP. The output is deterministic: the same flags write the same bytes.
// With -objects it stops at a number of objects instead of a size (hack/offlinebench.sh).
//
//	go run ./hack/bigmanifest -size 30Mi > big.yaml
//	go run ./hack/bigmanifest -objects 10000 > objects.yaml
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

func main() {
	size := flag.String("size", "30Mi", "stop after about this many bytes (Mi, Ki or bytes)")
	wsEvery := flag.Int("ws-every", 10, "one application in this many is WebSocket")
	namespaces := flag.Int("namespaces", 50, "number of namespaces the applications are spread over")
	objects := flag.Int("objects", 0, "stop after at least this many objects (whole applications of 3), instead of -size")
	byName := flag.Bool("backend-port-names", false, "Ingress backends name the Service port instead of giving its number (what policies that see only the Ingress need)")
	flag.Parse()
	limit, err := parseSize(*size)
	if err != nil || *wsEvery < 1 || *namespaces < 1 || *objects < 0 {
		fmt.Fprintln(os.Stderr, "bigmanifest: -size needs a size such as 30Mi; -ws-every and -namespaces need a positive number, -objects a number")
		os.Exit(2)
	}
	w := bufio.NewWriter(os.Stdout)
	cw := &countingWriter{w: w}
	more := func(i int) bool { return cw.n < limit }
	if *objects > 0 {
		more = func(i int) bool { return i*objectsPerApp < *objects }
	}
	for i := 0; more(i); i++ {
		writeApp(cw, i, *wsEvery, *namespaces, *byName)
	}
	if err := w.Flush(); err != nil {
		fmt.Fprintf(os.Stderr, "bigmanifest: %v\n", err)
		os.Exit(1)
	}
}

func parseSize(s string) (int64, error) {
	mult := int64(1)
	switch {
	case strings.HasSuffix(s, "Mi"):
		mult, s = 1<<20, strings.TrimSuffix(s, "Mi")
	case strings.HasSuffix(s, "Ki"):
		mult, s = 1<<10, strings.TrimSuffix(s, "Ki")
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n * mult, err
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// objectsPerApp is what writeApp writes: a Deployment, a Service and an Ingress.
const objectsPerApp = 3

// writeApp writes one application: a Deployment, its Service and its Ingress.
func writeApp(w io.Writer, i, wsEvery, namespaces int, backendPortName bool) {
	ns, app := fmt.Sprintf("team-%03d", i%namespaces), fmt.Sprintf("app-%06d", i)
	portName, appProtocol, path := "http", "", "/"
	if i%wsEvery == 0 {
		switch (i / wsEvery) % 3 {
		case 0:
			portName = "ws"
		case 1:
			portName = "websocket"
		default:
			appProtocol = "\n    appProtocol: kubernetes.io/ws"
		}
		path = "/socket"
	}
	backendPort := "number: 80"
	if backendPortName {
		backendPort = "name: " + portName
	}
	var env strings.Builder
	for k := range 12 {
		fmt.Fprintf(&env, "        - name: SETTING_%02d\n          value: \"value-%d-%d\"\n", k, i, k)
	}
	fmt.Fprintf(w, `---
# Source: %[2]s/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: %[2]s
  namespace: %[1]s
  labels:
    app.kubernetes.io/name: %[2]s
    app.kubernetes.io/instance: %[2]s
    app.kubernetes.io/managed-by: Helm
    helm.sh/chart: %[2]s-1.4.2
  annotations:
    meta.helm.sh/release-name: %[2]s
    meta.helm.sh/release-namespace: %[1]s
spec:
  replicas: 3
  revisionHistoryLimit: 5
  selector:
    matchLabels:
      app.kubernetes.io/name: %[2]s
      app.kubernetes.io/instance: %[2]s
  template:
    metadata:
      labels:
        app.kubernetes.io/name: %[2]s
        app.kubernetes.io/instance: %[2]s
      annotations:
        prometheus.io/scrape: "true"
        prometheus.io/port: "9090"
    spec:
      serviceAccountName: %[2]s
      securityContext:
        runAsNonRoot: true
        runAsUser: 10001
        fsGroup: 10001
      containers:
      - name: app
        image: ghcr.io/example/%[2]s:1.4.2
        imagePullPolicy: IfNotPresent
        args: ["--listen=:8080", "--metrics=:9090", "--log-format=json"]
        ports:
        - name: %[3]s
          containerPort: 8080
          protocol: TCP
        - name: metrics
          containerPort: 9090
          protocol: TCP
        env:
%[5]s        resources:
          requests:
            cpu: 100m
            memory: 128Mi
          limits:
            cpu: "1"
            memory: 512Mi
        readinessProbe:
          httpGet:
            path: /healthz
            port: %[3]s
          periodSeconds: 5
        livenessProbe:
          httpGet:
            path: /livez
            port: %[3]s
          initialDelaySeconds: 10
        securityContext:
          allowPrivilegeEscalation: false
          readOnlyRootFilesystem: true
          capabilities:
            drop: ["ALL"]
        volumeMounts:
        - name: tmp
          mountPath: /tmp
      volumes:
      - name: tmp
        emptyDir: {}
---
# Source: %[2]s/templates/service.yaml
apiVersion: v1
kind: Service
metadata:
  name: %[2]s
  namespace: %[1]s
  labels:
    app.kubernetes.io/name: %[2]s
    app.kubernetes.io/instance: %[2]s
spec:
  type: ClusterIP
  selector:
    app.kubernetes.io/name: %[2]s
    app.kubernetes.io/instance: %[2]s
  ports:
  - name: %[3]s
    port: 80
    targetPort: %[3]s
    protocol: TCP%[4]s
  - name: metrics
    port: 9090
    targetPort: metrics
---
# Source: %[2]s/templates/ingress.yaml
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: %[2]s
  namespace: %[1]s
  labels:
    app.kubernetes.io/name: %[2]s
  annotations:
    cert-manager.io/cluster-issuer: letsencrypt
spec:
  ingressClassName: nginx
  tls:
  - hosts: [%[2]s.example.com]
    secretName: %[2]s-tls
  rules:
  - host: %[2]s.example.com
    http:
      paths:
      - path: %[6]s
        pathType: Prefix
        backend:
          service:
            name: %[2]s
            port:
              %[7]s
`, ns, app, portName, appProtocol, env.String(), path, backendPort)
}
