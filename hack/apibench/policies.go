package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/wsguard/wsguard/defaults"
)

// labelNative selects the namespace whose objects the native policies judge.
const labelNative = "bench.wsguard.io/native"

// nativePolicies writes wsguard's Deployment and ingress-nginx defaults and denials, with the
// default policy's values, as MutatingAdmissionPolicies and ValidatingAdmissionPolicies. CEL
// sees only the object under review, so two of wsguard's signals are left out, which makes the
// native side do less work than wsguard: a Deployment is WebSocket only by a container port
// name (not because a WebSocket Service selects it), and an Ingress is ingress-nginx by its
// class name "nginx" and WebSocket by a backend port name (not through IngressClass objects and
// backend Services). The affinity default and the applied-rules annotation are left out too.
//
// The API versions are placeholders, set to what the API server serves (see installPolicies).
const nativePolicies = `
apiVersion: admissionregistration.k8s.io/MAP_VERSION
kind: MutatingAdmissionPolicy
metadata: {name: bench-websocket-deployments}
spec:
  failurePolicy: Ignore
  reinvocationPolicy: IfNeeded
  matchConstraints:
    resourceRules:
    - {apiGroups: [apps], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [deployments]}
  matchConditions:
  - name: websocket
    expression: "WS_DEPLOYMENT"
  variables:
  - name: ws
    expression: >-
      object.spec.template.spec.containers.filter(c, has(c.ports) && c.ports.exists(p, has(p.name) &&
      p.name.lowerAscii().split('-').exists(x, x in ['ws', 'wss', 'websocket']))).map(c, c.name)
  mutations:
  - patchType: ApplyConfiguration
    applyConfiguration:
      expression: >-
        object.spec.template.spec.containers.exists(c, c.name in variables.ws && !(has(c.lifecycle) && has(c.lifecycle.preStop))) ?
        Object{spec: Object.spec{template: Object.spec.template{spec: Object.spec.template.spec{
          containers: object.spec.template.spec.containers.filter(c, c.name in variables.ws && !(has(c.lifecycle) && has(c.lifecycle.preStop))).map(c,
            Object.spec.template.spec.containers{name: c.name, lifecycle: Object.spec.template.spec.containers.lifecycle{
              preStop: Object.spec.template.spec.containers.lifecycle.preStop{sleep: Object.spec.template.spec.containers.lifecycle.preStop.sleep{seconds: PRESTOP}}}})}}}} :
        Object{}
  # Each mutation sees the object as it came in: the grace period counts the sleep that the
  # mutation above injects into containers without a preStop hook.
  - patchType: ApplyConfiguration
    applyConfiguration:
      expression: >-
        has(object.spec.template.spec.terminationGracePeriodSeconds) && object.spec.template.spec.terminationGracePeriodSeconds != 30 ? Object{} :
        Object{spec: Object.spec{template: Object.spec.template{spec: Object.spec.template.spec{terminationGracePeriodSeconds: DRAIN +
          object.spec.template.spec.containers.filter(c, c.name in variables.ws).map(c,
            has(c.lifecycle) && has(c.lifecycle.preStop) ? (has(c.lifecycle.preStop.sleep) ? c.lifecycle.preStop.sleep.seconds : 0) : PRESTOP).max()}}}}
---
apiVersion: admissionregistration.k8s.io/VAP_VERSION
kind: ValidatingAdmissionPolicy
metadata: {name: bench-websocket-deployments}
spec:
  failurePolicy: Fail
  matchConstraints:
    resourceRules:
    - {apiGroups: [apps], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [deployments]}
  matchConditions:
  - name: websocket
    expression: "WS_DEPLOYMENT"
  validations:
  - expression: >-
      !has(object.spec.template.spec.terminationGracePeriodSeconds) ||
      object.spec.template.spec.containers.all(c, !(has(c.lifecycle) && has(c.lifecycle.preStop) && has(c.lifecycle.preStop.sleep)) ||
        object.spec.template.spec.terminationGracePeriodSeconds > c.lifecycle.preStop.sleep.seconds)
    reason: Invalid
    message: spec.template.spec.terminationGracePeriodSeconds is not longer than the preStop sleep, so the container is killed before it can close its WebSocket connections
---
apiVersion: admissionregistration.k8s.io/MAP_VERSION
kind: MutatingAdmissionPolicy
metadata: {name: bench-websocket-ingresses}
spec:
  failurePolicy: Ignore
  reinvocationPolicy: IfNeeded
  matchConstraints:
    resourceRules:
    - {apiGroups: [networking.k8s.io], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [ingresses]}
  matchConditions:
  - name: nginx-websocket
    expression: "WS_INGRESS"
  variables:
  - name: timeouts
    expression: "{'nginx.ingress.kubernetes.io/proxy-read-timeout': 'TIMEOUT', 'nginx.ingress.kubernetes.io/proxy-send-timeout': 'TIMEOUT'}"
  mutations:
  # Each mutation sees the object as it came in, so one mutation handles both cases.
  - patchType: JSONPatch
    jsonPatch:
      expression: >-
        !has(object.metadata.annotations) ? [JSONPatch{op: 'add', path: '/metadata/annotations', value: variables.timeouts}] :
        ['nginx.ingress.kubernetes.io/proxy-read-timeout', 'nginx.ingress.kubernetes.io/proxy-send-timeout']
        .filter(k, !(k in object.metadata.annotations))
        .map(k, JSONPatch{op: 'add', path: '/metadata/annotations/' + jsonpatch.escapeKey(k), value: variables.timeouts[k]})
---
apiVersion: admissionregistration.k8s.io/VAP_VERSION
kind: ValidatingAdmissionPolicy
metadata: {name: bench-websocket-ingresses}
spec:
  failurePolicy: Fail
  matchConstraints:
    resourceRules:
    - {apiGroups: [networking.k8s.io], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [ingresses]}
  matchConditions:
  - name: nginx-websocket
    expression: "WS_INGRESS"
  variables:
  - name: annotations
    expression: "has(object.metadata.annotations) ? object.metadata.annotations : {}"
  validations:
  - expression: >-
      ['nginx.ingress.kubernetes.io/proxy-read-timeout', 'nginx.ingress.kubernetes.io/proxy-send-timeout'].all(k,
        !(k in variables.annotations) || (variables.annotations[k].matches('^[0-9]+$') && int(variables.annotations[k]) >= MIN_TIMEOUT))
    reason: Invalid
    message: ingress-nginx proxy timeouts must be whole seconds of at least MIN_TIMEOUT, or ingress-nginx closes idle WebSocket connections early
  - expression: >-
      !('nginx.ingress.kubernetes.io/backend-protocol' in variables.annotations) ||
      !(variables.annotations['nginx.ingress.kubernetes.io/backend-protocol'].trim().upperAscii() in ['GRPC', 'GRPCS', 'FCGI', 'AJP'])
    reason: Invalid
    message: this backend protocol cannot carry the HTTP/1.1 Upgrade of a WebSocket handshake
  - expression: >-
      !('nginx.ingress.kubernetes.io/affinity' in variables.annotations && 'nginx.ingress.kubernetes.io/upstream-hash-by' in variables.annotations)
    reason: Invalid
    message: affinity and upstream-hash-by together make ingress-nginx ignore the hash
`

// The match conditions, shared by each kind's two policies: a WebSocket Deployment has a
// container port named as WebSocket; a WebSocket Ingress of ingress-nginx has the class "nginx"
// and a backend port named as WebSocket.
const (
	wsDeploymentCEL = `object.spec.template.spec.containers.exists(c, has(c.ports) && c.ports.exists(p, has(p.name) && ` +
		`p.name.lowerAscii().split('-').exists(x, x in ['ws', 'wss', 'websocket'])))`
	wsIngressCEL = `has(object.spec.ingressClassName) && object.spec.ingressClassName == 'nginx' && has(object.spec.rules) && ` +
		`object.spec.rules.exists(r, has(r.http) && r.http.paths.exists(p, has(p.backend.service) && has(p.backend.service.port.name) && ` +
		`p.backend.service.port.name.lowerAscii().split('-').exists(x, x in ['ws', 'wss', 'websocket'])))`
)

// policyBindings binds every policy above to the namespaces labelled labelNative.
func policyBindings() string {
	var b strings.Builder
	for _, p := range []struct{ kind, version string }{
		{"MutatingAdmissionPolicyBinding", "MAP_VERSION"}, {"ValidatingAdmissionPolicyBinding", "VAP_VERSION"},
	} {
		for _, name := range []string{"bench-websocket-deployments", "bench-websocket-ingresses"} {
			actions := ""
			if strings.HasPrefix(p.kind, "Validating") {
				actions = "\n  validationActions: [Deny]"
			}
			fmt.Fprintf(&b, `---
apiVersion: admissionregistration.k8s.io/%s
kind: %s
metadata: {name: %s}
spec:
  policyName: %s%s
  matchResources:
    namespaceSelector: {matchLabels: {%s: enabled}}
`, p.version, p.kind, name, name, actions, labelNative)
		}
	}
	return b.String()
}

// installPolicies creates the native policies and their bindings in the versions the API
// server serves, with the values of wsguard's default policy.
func installPolicies(ctx context.Context, cp *controlPlane) error {
	p := defaults.DefaultPolicy()
	manifest := strings.NewReplacer(
		"WS_DEPLOYMENT", wsDeploymentCEL, "WS_INGRESS", wsIngressCEL, "MAP_VERSION", cp.mapVersion, "VAP_VERSION", cp.vapVersion,
		"PRESTOP", fmt.Sprint(p.PreStopSeconds), "DRAIN", fmt.Sprint(p.DrainSeconds),
		"MIN_TIMEOUT", fmt.Sprint(p.MinTimeoutSeconds), "TIMEOUT", fmt.Sprint(p.TimeoutSeconds),
	).Replace(nativePolicies + policyBindings())
	if err := createAll(ctx, cp.client, manifest); err != nil {
		return fmt.Errorf("native policies: %w", err)
	}
	return nil
}
