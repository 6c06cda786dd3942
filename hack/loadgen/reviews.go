package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	admissionv1 "k8s.io/api/admission/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/yaml"

	"github.com/wsguard/wsguard/webhooks"
)

// review is one AdmissionReview body ready to send, and what a correct answer looks like.
type review struct {
	name string // "mutate deployment"
	path string
	uid  types.UID
	body []byte
	// mutate is true for the mutating webhook, whose answer must carry a JSON patch exactly
	// when patched is true.
	mutate, patched bool
}

// benchObject is an object sent for review: a manifest file, defaulted by the API server.
type benchObject struct {
	name     string
	resource string // as in webhooks.ServedKinds
	file     string // relative to the module root, or a file written by this program
	// served is false for kinds the envtest API server does not serve (no CRD): the manifest
	// is then sent as written.
	served  bool
	patched bool
}

// objectsFor lists the objects of the load: the examples the guide and the e2e suite treat as
// typical, an ordinary Deployment that is not WebSocket (the cheap path most objects take),
// and an Istio VirtualService that routes to the WebSocket Service. The envtest API server has
// no Istio CRDs, so the VirtualService is judged but not patched (no websocketUpgrade field).
func objectsFor(tmp string) ([]benchObject, error) {
	extra := map[string]string{"not-websocket.yaml": plainDeployment, "virtualservice.yaml": virtualService}
	for name, manifest := range extra {
		if err := os.WriteFile(filepath.Join(tmp, name), []byte(manifest), 0o600); err != nil {
			return nil, err
		}
	}
	return []benchObject{
		{name: "deployment", resource: "deployments", file: "examples/deployment.yaml", served: true, patched: true},
		{name: "service", resource: "services", file: "examples/service.yaml", served: true, patched: true},
		{name: "ingress", resource: "ingresses", file: "examples/ingress-nginx.yaml", served: true, patched: true},
		{name: "virtualservice", resource: "virtualservices", file: filepath.Join(tmp, "virtualservice.yaml")},
		{name: "not-websocket", resource: "deployments", file: filepath.Join(tmp, "not-websocket.yaml"), served: true},
	}, nil
}

// buildReviews turns every object into a mutating and a validating CREATE review. Served kinds
// go through `kubectl apply --dry-run=server` first, so the object carries what the API server
// sends a webhook: kubectl's last-applied annotation, managedFields and every default.
func buildReviews(kubectl, kubeconfig, namespace string, objects []benchObject) ([]review, error) {
	var out []review
	for _, o := range objects {
		raw, err := objectJSON(kubectl, kubeconfig, namespace, o)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", o.name, err)
		}
		mutatePath, validatePath, err := paths(o.resource)
		if err != nil {
			return nil, err
		}
		for _, mutate := range []bool{true, false} {
			r := review{name: "validate " + o.name, path: validatePath, uid: types.UID("loadgen-validate-" + o.name)}
			if mutate {
				r = review{name: "mutate " + o.name, path: mutatePath, uid: types.UID("loadgen-mutate-" + o.name), mutate: true, patched: o.patched}
			}
			if r.body, err = reviewBody(r.uid, namespace, o.resource, raw); err != nil {
				return nil, err
			}
			out = append(out, r)
		}
	}
	return out, nil
}

// objectJSON returns the object as the API server would send it to a webhook.
func objectJSON(kubectl, kubeconfig, namespace string, o benchObject) ([]byte, error) {
	if !o.served {
		manifest, err := os.ReadFile(o.file)
		if err != nil {
			return nil, err
		}
		u := &unstructured.Unstructured{}
		if err := yaml.Unmarshal(manifest, &u.Object); err != nil {
			return nil, err
		}
		u.SetNamespace(namespace)
		return u.MarshalJSON()
	}
	cmd := exec.Command(kubectl, "--kubeconfig", kubeconfig, "apply", "--dry-run=server", "--show-managed-fields", "-o", "json", "-n", namespace, "-f", o.file)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("kubectl apply --dry-run=server: %v: %s", err, stderr.String())
	}
	return out, nil
}

// reviewBody wraps an object in a CREATE AdmissionReview with the fields the API server fills in.
func reviewBody(uid types.UID, namespace, resource string, raw []byte) ([]byte, error) {
	var meta metav1.PartialObjectMetadata
	if err := json.Unmarshal(raw, &meta); err != nil {
		return nil, err
	}
	gv, err := schema.ParseGroupVersion(meta.APIVersion)
	if err != nil {
		return nil, err
	}
	gvk := metav1.GroupVersionKind{Group: gv.Group, Version: gv.Version, Kind: meta.Kind}
	gvr := metav1.GroupVersionResource{Group: gv.Group, Version: gv.Version, Resource: resource}
	options, err := json.Marshal(metav1.CreateOptions{TypeMeta: metav1.TypeMeta{APIVersion: "meta.k8s.io/v1", Kind: "CreateOptions"}, FieldManager: "kubectl-client-side-apply"})
	if err != nil {
		return nil, err
	}
	return json.Marshal(admissionv1.AdmissionReview{
		TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"},
		Request: &admissionv1.AdmissionRequest{
			UID: uid, Kind: gvk, Resource: gvr, RequestKind: &gvk, RequestResource: &gvr,
			Name: meta.Name, Namespace: namespace, Operation: admissionv1.Create,
			UserInfo: authenticationv1.UserInfo{Username: "kubernetes-admin", Groups: []string{"kubeadm:cluster-admins", "system:authenticated"}},
			Object:   runtime.RawExtension{Raw: raw},
			Options:  runtime.RawExtension{Raw: options},
		},
	})
}

// paths returns where the mutating and validating handlers of a resource are served.
func paths(resource string) (mutate, validate string, err error) {
	for _, k := range webhooks.ServedKinds() {
		if k.Resource == resource {
			return k.MutatePath(), k.ValidatePath(), nil
		}
	}
	return "", "", fmt.Errorf("wsguard does not serve %s", resource)
}

// plainDeployment is an ordinary HTTP server: no WebSocket port, no WebSocket Service selects it.
const plainDeployment = `apiVersion: apps/v1
kind: Deployment
metadata: {name: api, labels: {app: api}}
spec:
  replicas: 2
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
      - name: api
        image: ghcr.io/example/api:2.1.0
        ports: [{name: http, containerPort: 8080}]
        readinessProbe: {httpGet: {path: /healthz, port: http}}
`

// virtualService routes to the example WebSocket Service through an Istio gateway.
const virtualService = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: chat}
spec:
  hosts: [chat.example.com]
  gateways: [istio-system/public]
  http:
  - match: [{uri: {prefix: /ws}}]
    route:
    - destination: {host: chat, port: {number: 80}}
`
