// Package defaults is wsguard's rule engine: it decides whether an object carries WebSocket
// traffic, which WebSocket-safe defaults it should get and which of its values break WebSockets.
//
// The engine is pure. Evaluate takes an object, the effective Policy and Facts about related
// objects, and returns a Result; it reads no API server, no clock and no globals that change.
// The admission webhooks and the offline CLI are thin adapters around it, so a rule lives here
// and nowhere else.
//
// Objects are handled as unstructured maps and every default is recorded as a JSON-patch
// operation, so fields that the Go types do not know survive untouched.
//
// Core files:
//
//	rule.go        Rule: what a rule declares (kind, controller, effects, remediation)
//	catalog.go     the families in evaluation order
//	engine.go      Evaluate, and the helpers rules write and report through
//	typed.go       NotWebSocket and EvaluateTyped: recognition from an object's Go type
//	path.go        fieldPath: a field named once for patch, message and report
//	patch.go       the recording patcher and the JSON-pointer codec
//	result.go      Result, Change, Violation (a Kubernetes field error), Warning
//	recognise.go   WebSocket signals and their reasons; detect.go, knownapps.go (apps.yaml)
//	policy.go      the policy file; overrides.go, the per-object annotations
//	catalogdoc.go  docs generated from the catalog (make docs)
//
// Rule families, one file each with its table test and its docs/rules/<family>.md page:
// deployment, service, ingressnginx, f5nginx, haproxy, traefik, alb, gke (Ingress
// controllers, with ingress.go resolving which one serves an Ingress), istio and istiosidecar,
// linkerd, gatewayapi (mesh.go holds what the meshes share).
package defaults
