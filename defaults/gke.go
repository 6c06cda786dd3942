package defaults

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Service annotations through which GKE Ingress (kubernetes/ingress-gce) finds the BackendConfig
// of a backend. The controller reads the v1 key first and falls back to the beta one.
const (
	annotationGKEBackendConfig     = "cloud.google.com/backend-config"
	annotationGKEBackendConfigBeta = "beta.cloud.google.com/backend-config"
)

// gkeDefaultTimeoutSeconds is the backend service timeout GKE applies without a BackendConfig
// timeoutSec. For WebSockets it is not an idle timeout but the longest a connection may live.
const gkeDefaultTimeoutSeconds = 30

// gkeRules: GKE Ingress has nothing wsguard can default on the Ingress itself, because the
// timeout lives in a BackendConfig, a separate object; the rule only judges.
var gkeRules = family("gke", []Rule{
	{ID: "gke-backend-timeout", Kind: KindIngress, Controller: ControllerGCE, Effects: Denies | Warns, check: checkGKEBackendTimeout,
		Summary:     "deny WebSocket backends whose BackendConfig timeoutSec is missing or below the policy minimum (GKE's 30s default ends every WebSocket)",
		Remediation: "give the backend a BackendConfig whose timeoutSec is at least the policy minimum"},
})

// gkeBackendConfigs is the JSON of the backend-config annotation: a BackendConfig for every
// port, or one per port name or number.
type gkeBackendConfigs struct {
	Default string            `json:"default"`
	Ports   map[string]string `json:"ports"`
}

// checkGKEBackendTimeout follows each WebSocket backend to its Service's BackendConfig and
// denies a timeoutSec that is missing or below the policy minimum: the Google load balancer
// closes a WebSocket when the backend service timeout has passed since it opened, busy or not,
// and that timeout is 30s unless a BackendConfig raises it. What cannot be seen (the Service,
// BackendConfigs that cannot be read, or a BackendConfig not created yet) is warned about,
// because wsguard cannot tell it from a correct setup.
func checkGKEBackendTimeout(ev *evaluation) {
	minimum := ev.policy.MinTimeoutSeconds
	fix := fmt.Sprintf("create a BackendConfig (cloud.google.com/v1) with spec.timeoutSec: %d and name it in the Service's %s annotation, e.g. '{\"default\":\"<name>\"}'",
		ev.policy.TimeoutSeconds, annotationGKEBackendConfig)
	for _, b := range webSocketBackends(ev) {
		svc := ev.facts.service(b.Service)
		if svc == nil {
			ev.warn(b.Path, fmt.Sprintf("Service %s is not visible to wsguard, so the timeout of its BackendConfig cannot be checked; "+
				"without a BackendConfig with spec.timeoutSec of at least %d, GKE closes every WebSocket %ds after it opened", b.Service, minimum, gkeDefaultTimeoutSeconds))
			continue
		}
		key, raw, ok := gkeBackendConfigAnnotation(svc)
		if !ok {
			ev.require(b.Path,
				fmt.Sprintf("routes WebSocket traffic to Service %s, which has no %s annotation, so GKE applies its default backend timeout of %ds, which ends every WebSocket %ds after it opened", b.Service, annotationGKEBackendConfig, gkeDefaultTimeoutSeconds, gkeDefaultTimeoutSeconds),
				fix)
			continue
		}
		var configs gkeBackendConfigs
		if err := json.Unmarshal([]byte(raw), &configs); err != nil {
			ev.violate(b.Path, raw,
				fmt.Sprintf("is the %s annotation of Service %s, which is not valid JSON (%v), so GKE uses no BackendConfig and its %ds default timeout ends every WebSocket", key, b.Service, err, gkeDefaultTimeoutSeconds),
				fmt.Sprintf(`write {"default":"<name>"} or {"ports":{"<port name or number>":"<name>"}} in %s on Service %s`, key, b.Service))
			continue
		}
		name, port := gkeBackendConfigName(configs, svc, b)
		if name == "" {
			ev.violate(b.Path, raw,
				fmt.Sprintf("is the %s annotation of Service %s, which names no BackendConfig for port %s, so GKE applies its %ds default timeout, which ends every WebSocket %ds after it opened", key, b.Service, port, gkeDefaultTimeoutSeconds, gkeDefaultTimeoutSeconds),
				fmt.Sprintf(`add "default" or an entry for port %s to %s on Service %s, naming a BackendConfig with spec.timeoutSec: %d`, port, key, b.Service, ev.policy.TimeoutSeconds))
			continue
		}
		config := gkeBackendConfig(ev.facts, svc.Namespace, name)
		if config == nil {
			reason := "BackendConfigs cannot be read"
			if ev.facts.BackendConfigsKnown {
				reason = "it does not exist in the namespace (yet)"
			}
			ev.warn(b.Path, fmt.Sprintf("Service %s uses BackendConfig %s for port %s, but %s, so its timeoutSec cannot be checked; "+
				"make sure spec.timeoutSec is at least %d, or GKE closes every WebSocket %ds after it opened", b.Service, name, port, reason, minimum, gkeDefaultTimeoutSeconds))
			continue
		}
		timeout, set, _ := unstructured.NestedFieldNoCopy(config.Object, "spec", "timeoutSec")
		if !set || timeout == nil {
			ev.require(b.Path,
				fmt.Sprintf("routes WebSocket traffic through BackendConfig %s, which sets no spec.timeoutSec, so GKE applies its default of %ds, which ends every WebSocket %ds after it opened", name, gkeDefaultTimeoutSeconds, gkeDefaultTimeoutSeconds),
				fmt.Sprintf("set spec.timeoutSec: %d in BackendConfig %s", ev.policy.TimeoutSeconds, name))
			continue
		}
		seconds, isNumber := gkeWholeNumber(timeout)
		if !isNumber || seconds < minimum {
			ev.violate(b.Path, fmt.Sprint(timeout),
				fmt.Sprintf("is the spec.timeoutSec of BackendConfig %s, which for WebSockets is the longest a connection may live, busy or not; the policy requires at least %ds", name, minimum),
				fmt.Sprintf("set spec.timeoutSec: %d in BackendConfig %s", ev.policy.TimeoutSeconds, name))
		}
	}
}

// gkeBackendConfigAnnotation returns the backend-config annotation GKE reads: the v1 key, else
// the beta key.
func gkeBackendConfigAnnotation(svc *corev1.Service) (key, value string, ok bool) {
	for _, key := range []string{annotationGKEBackendConfig, annotationGKEBackendConfigBeta} {
		if value, ok := svc.Annotations[key]; ok {
			return key, value, true
		}
	}
	return "", "", false
}

// gkeBackendConfigName picks the BackendConfig for the backend's Service port as ingress-gce
// does: an entry for the port's name, else for its number, else the default. It also returns
// the port as the message should name it.
func gkeBackendConfigName(configs gkeBackendConfigs, svc *corev1.Service, b webSocketBackend) (name, port string) {
	var keys []string
	for _, sp := range svc.Spec.Ports {
		if (b.Port.Name != "" && sp.Name == b.Port.Name) || (b.Port.Name == "" && sp.Port == b.Port.Number) {
			if sp.Name != "" {
				keys = append(keys, sp.Name)
			}
			keys = append(keys, strconv.Itoa(int(sp.Port)))
			break
		}
	}
	if keys == nil { // the Service has no such port; use the backend's own reference
		if b.Port.Name != "" {
			keys = []string{b.Port.Name}
		} else {
			keys = []string{strconv.Itoa(int(b.Port.Number))}
		}
	}
	for _, k := range keys {
		if n, ok := configs.Ports[k]; ok {
			return n, keys[0]
		}
	}
	return configs.Default, keys[0]
}

// gkeBackendConfig returns the BackendConfig with the given name from the facts, or nil.
func gkeBackendConfig(facts *Facts, namespace, name string) *unstructured.Unstructured {
	for i := range facts.BackendConfigs {
		c := &facts.BackendConfigs[i]
		if c.GetName() == name && (c.GetNamespace() == "" || namespace == "" || c.GetNamespace() == namespace) {
			return c
		}
	}
	return nil
}

// gkeWholeNumber reads a JSON number of an unstructured object, which decodes as int64 or float64.
func gkeWholeNumber(v any) (int64, bool) {
	switch n := v.(type) {
	case int64:
		return n, true
	case int:
		return int64(n), true
	case int32:
		return int64(n), true
	case float64:
		if n == math.Trunc(n) && math.Abs(n) < 1<<62 {
			return int64(n), true
		}
	case json.Number:
		i, err := n.Int64()
		return i, err == nil
	}
	return 0, false
}
