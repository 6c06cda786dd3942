package webhooks

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/go-logr/logr"
	"github.com/go-logr/zapr"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	admissionv1 "k8s.io/api/admission/v1"
	appsv1 "k8s.io/api/apps/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/webhook"
	"sigs.k8s.io/yaml"

	"github.com/wsguard/wsguard/defaults"
	"github.com/wsguard/wsguard/internal/testsupport"
)

// BenchmarkHandler measures one AdmissionReview through the webhook server's handler as
// `wsguard serve` wires it (Register on a controller-runtime webhook server): the review is
// decoded, facts read, the object decoded and judged, the patch and the answer encoded. The
// cache is memory (benchCache) and there is no TLS or network: hack/loadgen measures the real
// process over HTTPS. Run with `make bench` or
// `go test ./webhooks/ -run '^$' -bench Handler -benchmem`.
func BenchmarkHandler(b *testing.B) {
	// `wsguard serve` gives controller-runtime its logger; the webhook reads it on every request.
	logf.SetLogger(benchLogger())
	mux := benchMux(benchNamespace(b))
	objects := []struct {
		name     string
		resource string // as in ServedKinds
		yaml     string
		// patched is whether the mutating webhook must answer with a patch; checked once,
		// before timing, so that a figure never measures a path other than the one it names.
		patched bool
	}{
		{name: "deployment", resource: "deployments", yaml: benchDeployment, patched: true},
		{name: "service", resource: "services", yaml: benchService, patched: true},
		{name: "ingress", resource: "ingresses", yaml: benchIngress, patched: true},
		// Judged by the Istio rules (it routes to the WebSocket Service), but not patched: the
		// cache has no VirtualService CRD, so websocketUpgrade is not injected.
		{name: "virtualservice", resource: "virtualservices", yaml: benchVirtualService},
		{name: "not-websocket", resource: "deployments", yaml: benchPlainDeployment()},
	}
	for _, mutate := range []bool{true, false} {
		name := "validate"
		if mutate {
			name = "mutate"
		}
		b.Run(name, func(b *testing.B) {
			for _, o := range objects {
				kind := benchServedKind(b, o.resource)
				path := kind.ValidatePath()
				if mutate {
					path = kind.MutatePath()
				}
				body := benchReview(b, kind, o.yaml)
				b.Run(o.name, func(b *testing.B) {
					if got := benchAnswer(b, mux, path, body); mutate && (len(got.Patch) > 0) != o.patched {
						b.Fatalf("patched = %v, want %v: %+v", len(got.Patch) > 0, o.patched, got)
					}
					b.SetBytes(int64(len(body)))
					b.ReportAllocs()
					start := testsupport.CPUTime(b)
					for b.Loop() {
						benchServe(b, mux, path, body)
					}
					b.ReportMetric(float64(testsupport.CPUTime(b)-start)/float64(b.N), "cpu-ns/op")
				})
			}
		})
	}
}

// BenchmarkHandlerCrowdedNamespace is BenchmarkHandler's not-WebSocket and WebSocket Deployment
// in a namespace that also holds 1,000 ordinary Deployments and as many Services: what the
// facts of a large namespace cost each review.
func BenchmarkHandlerCrowdedNamespace(b *testing.B) {
	logf.SetLogger(benchLogger())
	cache := benchNamespace(b)
	for i := range 1000 {
		name := fmt.Sprintf("svc-%d", i)
		var d appsv1.Deployment
		testsupport.Decode(b, strings.ReplaceAll(benchPlainDeployment(), "api", name), &d)
		d.ManagedFields = nil // the cache strips them
		cache.deployments = append(cache.deployments, d)
		cache.services = append(cache.services, corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "demo"},
			Spec:       corev1.ServiceSpec{Selector: map[string]string{"app": name}, Ports: []corev1.ServicePort{{Name: "http", Port: 80}}},
		})
	}
	kind := benchServedKind(b, "deployments")
	// "store" reads the facts in place, as `wsguard serve` does; "list" copies them out of the
	// cache with List, as FactsReader does without Stores (the audit, check --cluster).
	for _, how := range []string{"store", "list"} {
		mux := benchMux(cache)
		if how == "list" {
			server := webhook.NewServer(webhook.Options{})
			Register(server, defaults.DefaultPolicy(), FactsReader{Cache: cache, Live: cache}, "", benchLogger())
			mux = server.WebhookMux()
		}
		for _, o := range []struct {
			name, yaml string
			patched    bool
		}{{"deployment", benchDeployment, true}, {"not-websocket", benchPlainDeployment(), false}} {
			body := benchReview(b, kind, o.yaml)
			b.Run(how+"/"+o.name, func(b *testing.B) {
				if got := benchAnswer(b, mux, kind.MutatePath(), body); (len(got.Patch) > 0) != o.patched {
					b.Fatalf("patched = %v, want %v: %+v", len(got.Patch) > 0, o.patched, got)
				}
				b.ReportAllocs()
				start := testsupport.CPUTime(b)
				for b.Loop() {
					benchServe(b, mux, kind.MutatePath(), body)
				}
				b.ReportMetric(float64(testsupport.CPUTime(b)-start)/float64(b.N), "cpu-ns/op")
			})
		}
	}
}

// benchMux is the webhook server's handler as `wsguard serve` registers it, over cache.
func benchMux(cache *benchCache) http.Handler {
	server := webhook.NewServer(webhook.Options{})
	Register(server, defaults.DefaultPolicy(), FactsReader{Cache: cache, Live: cache, Stores: cache.store}, "", benchLogger())
	return server.WebhookMux()
}

// benchServe sends one review body to the webhook server's handler for path, as its HTTP
// server does with a request.
func benchServe(b *testing.B, h http.Handler, path string, body []byte) *benchWriter {
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, path, bytes.NewReader(body))
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	w := &benchWriter{header: http.Header{}}
	h.ServeHTTP(w, req)
	return w
}

// benchAnswer serves one review and decodes the answer; benchmarks call it before timing.
func benchAnswer(b *testing.B, h http.Handler, path string, body []byte) *admissionv1.AdmissionResponse {
	w := benchServe(b, h, path, body)
	var review admissionv1.AdmissionReview
	if err := json.Unmarshal(w.body.Bytes(), &review); err != nil || review.Response == nil {
		b.Fatalf("no AdmissionReview response (%v): %s", err, w.body.String())
	}
	if !review.Response.Allowed {
		b.Fatalf("denied: %+v", review.Response.Result)
	}
	return review.Response
}

// benchWriter is a ResponseWriter that keeps the body, so that its own cost stays small and
// constant next to the handler's.
type benchWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (w *benchWriter) Header() http.Header         { return w.header }
func (w *benchWriter) WriteHeader(status int)      { w.status = status }
func (w *benchWriter) Write(p []byte) (int, error) { return w.body.Write(p) }

// benchCache answers FactsReader's reads from memory the way the manager's informer cache
// does: Get returns a copy, List (with UnsafeDisableDeepCopy) a new slice of the stored objects,
// and store an informer's indexed store of them (what the server's FactsReader reads). Kinds it
// does not hold are not found, or empty.
type benchCache struct {
	namespace   corev1.Namespace
	services    []corev1.Service
	classes     []networkingv1.IngressClass
	deployments []appsv1.Deployment
	stores      map[reflect.Type]toolscache.Indexer
}

// store is FactsReader.Stores: an indexer per type, filled on first use from the slices above.
func (c *benchCache) store(_ context.Context, obj client.Object) (toolscache.Indexer, error) {
	t := reflect.TypeOf(obj)
	if idx, ok := c.stores[t]; ok {
		return idx, nil
	}
	idx := toolscache.NewIndexer(toolscache.MetaNamespaceKeyFunc, toolscache.Indexers{toolscache.NamespaceIndex: toolscache.MetaNamespaceIndexFunc})
	var objs []any
	switch obj.(type) {
	case *corev1.Service:
		for i := range c.services {
			objs = append(objs, &c.services[i])
		}
	case *networkingv1.IngressClass:
		for i := range c.classes {
			objs = append(objs, &c.classes[i])
		}
	case *appsv1.Deployment:
		for i := range c.deployments {
			objs = append(objs, &c.deployments[i])
		}
	case *networkingv1.Ingress, *appsv1.StatefulSet, *policyv1.PodDisruptionBudget:
	default:
		return nil, fmt.Errorf("benchCache has no store of %T", obj)
	}
	for _, o := range objs {
		if err := idx.Add(o); err != nil {
			return nil, err
		}
	}
	if c.stores == nil {
		c.stores = map[reflect.Type]toolscache.Indexer{}
	}
	c.stores[t] = idx
	return idx, nil
}

func (c *benchCache) Get(_ context.Context, key client.ObjectKey, obj client.Object, _ ...client.GetOption) error {
	if ns, ok := obj.(*corev1.Namespace); ok && key.Name == c.namespace.Name {
		c.namespace.DeepCopyInto(ns)
		return nil
	}
	return apierrors.NewNotFound(schema.GroupResource{}, key.Name)
}

func (c *benchCache) List(_ context.Context, list client.ObjectList, _ ...client.ListOption) error {
	switch l := list.(type) {
	case *corev1.ServiceList:
		l.Items = slices.Clone(c.services)
	case *networkingv1.IngressClassList:
		l.Items = slices.Clone(c.classes)
	case *appsv1.DeploymentList:
		l.Items = slices.Clone(c.deployments)
	case *networkingv1.IngressList, *appsv1.StatefulSetList, *policyv1.PodDisruptionBudgetList:
		// The namespace has none.
	default:
		return fmt.Errorf("benchCache cannot list %T", list)
	}
	return nil
}

// benchNamespace is an opted-in namespace "demo" holding the example WebSocket Service and two
// ordinary ones, in a cluster with the example IngressClass.
func benchNamespace(b *testing.B) *benchCache {
	var wsService corev1.Service
	var class networkingv1.IngressClass
	testsupport.Decode(b, benchReadExample(b, "service.yaml"), &wsService)
	testsupport.Decode(b, benchReadExample(b, "ingressclass-nginx.yaml"), &class)
	wsService.Namespace = "demo"
	plain := func(name string) corev1.Service {
		return corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "demo"},
			Spec:       corev1.ServiceSpec{Selector: map[string]string{"app": name}, Ports: []corev1.ServicePort{{Name: "http", Port: 80}}},
		}
	}
	return &benchCache{
		namespace: corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "demo", Labels: map[string]string{defaults.LabelInject: defaults.InjectEnabled}}},
		services:  []corev1.Service{wsService, plain("api"), plain("metrics")},
		classes:   []networkingv1.IngressClass{class},
	}
}

// benchReview wraps a manifest in a CREATE AdmissionReview with the fields the API server
// fills in, so that decoding the review costs what it costs in a cluster.
func benchReview(b *testing.B, kind servedKind, manifest string) []byte {
	js, err := yaml.YAMLToJSON([]byte(manifest))
	if err != nil {
		b.Fatal(err)
	}
	var meta metav1.PartialObjectMetadata
	if err := json.Unmarshal(js, &meta); err != nil {
		b.Fatal(err)
	}
	gv, err := schema.ParseGroupVersion(meta.APIVersion)
	if err != nil {
		b.Fatal(err)
	}
	gvk := metav1.GroupVersionKind{Group: gv.Group, Version: gv.Version, Kind: meta.Kind}
	gvr := metav1.GroupVersionResource{Group: gv.Group, Version: gv.Version, Resource: kind.Resource}
	options, _ := json.Marshal(metav1.CreateOptions{TypeMeta: metav1.TypeMeta{APIVersion: "meta.k8s.io/v1", Kind: "CreateOptions"}, FieldManager: "kubectl-client-side-apply"})
	review := admissionv1.AdmissionReview{
		TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"},
		Request: &admissionv1.AdmissionRequest{
			UID: types.UID("705ab4f5-6393-11e8-b7cc-42010a800002"), Kind: gvk, Resource: gvr, RequestKind: &gvk, RequestResource: &gvr,
			Name: meta.Name, Namespace: "demo", Operation: admissionv1.Create,
			UserInfo: authenticationv1.UserInfo{Username: "kubernetes-admin", Groups: []string{"kubeadm:cluster-admins", "system:authenticated"}},
			Object:   runtime.RawExtension{Raw: js},
			Options:  runtime.RawExtension{Raw: options},
		},
	}
	body, err := json.Marshal(review)
	if err != nil {
		b.Fatal(err)
	}
	return body
}

func benchServedKind(b *testing.B, resource string) servedKind {
	for _, k := range ServedKinds() {
		if k.Resource == resource {
			return k
		}
	}
	b.Fatalf("%s is not served", resource)
	return servedKind{}
}

func benchReadExample(b *testing.B, name string) string {
	data, err := os.ReadFile(filepath.Join("..", "examples", name))
	if err != nil {
		b.Fatal(err)
	}
	return string(data)
}

// benchLogger is the logger `wsguard serve` builds by default (JSON, info level), writing
// nowhere: the handler's per-request logger setup costs what it costs in production, and
// nothing is logged at info level on the paths measured.
func benchLogger() logr.Logger {
	enc := zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig())
	return zapr.NewLogger(zap.New(zapcore.NewCore(enc, zapcore.AddSync(io.Discard), zapcore.InfoLevel)))
}

// The objects of examples/ as `kubectl apply` sends them and the API server passes them to a
// webhook: with kubectl's last-applied annotation, managedFields and every default. Captured
// from kube-apiserver 1.36.3 with
// `kubectl apply --dry-run=server --show-managed-fields -o yaml -n demo -f examples/<file>`,
// without uid and creationTimestamp.
const (
	benchDeployment = `
apiVersion: apps/v1
kind: Deployment
metadata:
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: |
      {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"annotations":{},"labels":{"app":"chat"},"name":"chat","namespace":"demo"},"spec":{"replicas":2,"selector":{"matchLabels":{"app":"chat"}},"template":{"metadata":{"labels":{"app":"chat"}},"spec":{"containers":[{"image":"ghcr.io/example/chat:1.4.2","name":"chat","ports":[{"containerPort":8080,"name":"websocket"}],"readinessProbe":{"httpGet":{"path":"/healthz","port":"websocket"}}}]}}}}
  generation: 1
  labels:
    app: chat
  managedFields:
  - apiVersion: apps/v1
    fieldsType: FieldsV1
    fieldsV1:
      f:metadata:
        f:annotations:
          .: {}
          f:kubectl.kubernetes.io/last-applied-configuration: {}
        f:labels:
          .: {}
          f:app: {}
      f:spec:
        f:progressDeadlineSeconds: {}
        f:replicas: {}
        f:revisionHistoryLimit: {}
        f:selector: {}
        f:strategy:
          f:rollingUpdate:
            .: {}
            f:maxSurge: {}
            f:maxUnavailable: {}
          f:type: {}
        f:template:
          f:metadata:
            f:labels:
              .: {}
              f:app: {}
          f:spec:
            f:containers:
              k:{"name":"chat"}:
                .: {}
                f:image: {}
                f:imagePullPolicy: {}
                f:name: {}
                f:ports:
                  .: {}
                  k:{"containerPort":8080,"protocol":"TCP"}:
                    .: {}
                    f:containerPort: {}
                    f:name: {}
                    f:protocol: {}
                f:readinessProbe:
                  .: {}
                  f:failureThreshold: {}
                  f:httpGet:
                    .: {}
                    f:path: {}
                    f:port: {}
                    f:scheme: {}
                  f:periodSeconds: {}
                  f:successThreshold: {}
                  f:timeoutSeconds: {}
                f:resources: {}
                f:terminationMessagePath: {}
                f:terminationMessagePolicy: {}
            f:dnsPolicy: {}
            f:restartPolicy: {}
            f:schedulerName: {}
            f:securityContext: {}
            f:terminationGracePeriodSeconds: {}
    manager: kubectl-client-side-apply
    operation: Update
    time: "2026-11-22T02:23:13Z"
  name: chat
  namespace: demo
spec:
  progressDeadlineSeconds: 600
  replicas: 2
  revisionHistoryLimit: 10
  selector:
    matchLabels:
      app: chat
  strategy:
    rollingUpdate:
      maxSurge: 25%
      maxUnavailable: 25%
    type: RollingUpdate
  template:
    metadata:
      labels:
        app: chat
    spec:
      containers:
      - image: ghcr.io/example/chat:1.4.2
        imagePullPolicy: IfNotPresent
        name: chat
        ports:
        - containerPort: 8080
          name: websocket
          protocol: TCP
        readinessProbe:
          failureThreshold: 3
          httpGet:
            path: /healthz
            port: websocket
            scheme: HTTP
          periodSeconds: 10
          successThreshold: 1
          timeoutSeconds: 1
        resources: {}
        terminationMessagePath: /dev/termination-log
        terminationMessagePolicy: File
      dnsPolicy: ClusterFirst
      restartPolicy: Always
      schedulerName: default-scheduler
      securityContext: {}
      terminationGracePeriodSeconds: 30
status: {}
`
	benchService = `
apiVersion: v1
kind: Service
metadata:
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: |
      {"apiVersion":"v1","kind":"Service","metadata":{"annotations":{},"name":"chat","namespace":"demo"},"spec":{"ports":[{"name":"websocket","port":80,"targetPort":"websocket"}],"selector":{"app":"chat"}}}
  managedFields:
  - apiVersion: v1
    fieldsType: FieldsV1
    fieldsV1:
      f:metadata:
        f:annotations:
          .: {}
          f:kubectl.kubernetes.io/last-applied-configuration: {}
      f:spec:
        f:internalTrafficPolicy: {}
        f:ports:
          .: {}
          k:{"port":80,"protocol":"TCP"}:
            .: {}
            f:name: {}
            f:port: {}
            f:protocol: {}
            f:targetPort: {}
        f:selector: {}
        f:sessionAffinity: {}
        f:type: {}
    manager: kubectl-client-side-apply
    operation: Update
    time: "2026-11-22T02:23:13Z"
  name: chat
  namespace: demo
spec:
  clusterIP: 10.0.0.0
  clusterIPs:
  - 10.0.0.0
  internalTrafficPolicy: Cluster
  ipFamilies:
  - IPv4
  ipFamilyPolicy: SingleStack
  ports:
  - name: websocket
    port: 80
    protocol: TCP
    targetPort: websocket
  selector:
    app: chat
  sessionAffinity: None
  type: ClusterIP
status:
  loadBalancer: {}
`
	benchIngress = `
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: |
      {"apiVersion":"networking.k8s.io/v1","kind":"Ingress","metadata":{"annotations":{},"name":"chat","namespace":"demo"},"spec":{"ingressClassName":"nginx","rules":[{"host":"chat.example.com","http":{"paths":[{"backend":{"service":{"name":"chat","port":{"name":"websocket"}}},"path":"/ws","pathType":"Prefix"}]}}]}}
  generation: 1
  managedFields:
  - apiVersion: networking.k8s.io/v1
    fieldsType: FieldsV1
    fieldsV1:
      f:metadata:
        f:annotations:
          .: {}
          f:kubectl.kubernetes.io/last-applied-configuration: {}
      f:spec:
        f:ingressClassName: {}
        f:rules: {}
    manager: kubectl-client-side-apply
    operation: Update
    time: "2026-11-22T02:23:13Z"
  name: chat
  namespace: demo
spec:
  ingressClassName: nginx
  rules:
  - host: chat.example.com
    http:
      paths:
      - backend:
          service:
            name: chat
            port:
              name: websocket
        path: /ws
        pathType: Prefix
status:
  loadBalancer: {}
`
)

// benchPlainDeployment is the example Deployment turned into an ordinary HTTP server, "api",
// whose port is named "http" and whose pods no WebSocket Service selects: the cheap path most
// objects of an opted-in namespace take.
func benchPlainDeployment() string {
	return strings.NewReplacer("chat", "api", "websocket", "http").Replace(benchDeployment)
}

// benchVirtualService is an Istio VirtualService that routes to the example WebSocket Service.
const benchVirtualService = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: chat, namespace: demo}
spec:
  hosts: [chat.example.com]
  gateways: [istio-system/public]
  http:
  - match: [{uri: {prefix: /ws}}]
    route:
    - destination: {host: chat, port: {number: 80}}
`
