package defaults

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Helpers shared by the Istio, Linkerd and Gateway API families.

// serviceForHost resolves an Istio destination host to a Service of the object's namespace:
// "chat", "chat.demo", "chat.demo.svc" or "chat.demo.svc.<cluster domain>". Hosts of other
// namespaces, wildcards and external names resolve to nil: wsguard knows only this namespace.
func serviceForHost(ev *evaluation, host string) *corev1.Service {
	if host == "" || strings.Contains(host, "*") {
		return nil
	}
	parts := strings.Split(host, ".")
	if len(parts) >= 2 && parts[1] != ev.namespace() {
		return nil
	}
	if len(parts) >= 3 && parts[2] != "svc" {
		return nil
	}
	return ev.facts.service(parts[0])
}

// webSocketHost reports whether an Istio host names a WebSocket Service of the namespace.
func webSocketHost(ev *evaluation, host string) bool {
	svc := serviceForHost(ev, host)
	if svc == nil {
		return false
	}
	ws, ok := ev.webSocketService(svc)
	if ok {
		ev.because(ws.reason.via("it routes to host %s", host))
	}
	return ok
}

// namespace is the namespace of the object under review.
func (ev *evaluation) namespace() string {
	ns, _, _ := unstructured.NestedString(ev.p.object(), "metadata", "namespace")
	if ns == "" && ev.facts.Namespace != nil {
		ns = ev.facts.Namespace.Name
	}
	return ns
}

// parseIstioDuration reads an Istio duration ("15s", "1h30m", "250ms"), the syntax the Istio
// CRDs' CEL rules accept.
func parseIstioDuration(s string) (time.Duration, bool) {
	d, err := time.ParseDuration(strings.TrimSpace(s))
	return d, err == nil && d >= 0
}

// gatewayDuration is the Gateway API duration syntax (GEP-2257).
var gatewayDuration = regexp.MustCompile(`^([0-9]{1,5}(h|m|s|ms)){1,4}$`)

// parseGatewayDuration reads a Gateway API duration ("0s", "1h", "1h30m").
func parseGatewayDuration(s string) (time.Duration, bool) {
	if !gatewayDuration.MatchString(s) {
		return 0, false
	}
	d, err := time.ParseDuration(s)
	return d, err == nil
}

// seconds renders whole seconds as a duration string ("3600s"), the form every mesh accepts.
func seconds(n int64) string {
	return fmt.Sprintf("%ds", n)
}

// atLeast renders the policy minimum for messages: "1h" rather than "3600s" where it is exact.
func atLeast(minimum int64) string {
	s := (time.Duration(minimum) * time.Second).String()
	// Duration.String writes every unit below the largest: 1h0m0s reads better as 1h, and
	// every proxy wsguard names it to parses both.
	if rest, ok := strings.CutSuffix(s, "m0s"); ok {
		s = rest + "m"
	}
	if rest, ok := strings.CutSuffix(s, "h0m"); ok {
		s = rest + "h"
	}
	return s
}

// formatMilliseconds renders a duration for messages: whole seconds as "59s", anything else as
// milliseconds.
func formatMilliseconds(ms int64) string {
	if ms%1000 == 0 {
		return strconv.FormatInt(ms/1000, 10) + "s"
	}
	return strconv.FormatInt(ms, 10) + "ms"
}
