package defaults

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// HAProxy Kubernetes Ingress (haproxytech/kubernetes-ingress) reads the same setting under three
// annotation prefixes. haproxy.org/ and haproxy.com/ belong to it alone; ingress.kubernetes.io/
// is the legacy prefix other controllers use too, so on a Service it counts only when an
// HAProxy-served Ingress routes to that Service.
var (
	haproxyPrefixes            = []string{"haproxy.org/", "haproxy.com/", "ingress.kubernetes.io/"}
	haproxyUnambiguousPrefixes = []string{"haproxy.org/", "haproxy.com/"}
)

// annotationHAProxyCookiePersistence is where wsguard writes the affinity cookie; the controller
// reads it from the Service first, then the Ingress, then its ConfigMap.
const annotationHAProxyCookiePersistence = "haproxy.org/cookie-persistence"

// haproxyCookieSettings are the two mutually exclusive ways to ask for a sticky cookie: the
// controller refuses a backend that gets both, so wsguard adds neither next to the other.
var haproxyCookieSettings = []string{"cookie-persistence", "cookie-persistence-no-dynamic"}

// haproxyConfigMapOnlyTimeouts are timeouts people set for WebSockets that the controller reads
// only from its ConfigMap (the Defaults section of haproxy.cfg); on an Ingress or Service they do
// nothing.
var haproxyConfigMapOnlyTimeouts = []string{"timeout-tunnel", "timeout-client"}

// haproxyRules: the defaulting rule comes first, then the rules that only judge or warn.
var haproxyRules = family("haproxy", []Rule{
	{ID: "haproxy-cookie-persistence", Kind: KindIngress, Controller: ControllerHAProxy, Effects: Defaults, check: defaultHAProxyCookiePersistence,
		Summary: "default haproxy.org/cookie-persistence to the policy cookie so reconnecting clients return to their pod"},
	{ID: "haproxy-configmap-only-timeout", Kind: KindIngress, Controller: ControllerHAProxy, Effects: Warns, check: checkHAProxyConfigMapOnlyTimeouts,
		Summary: "warn that timeout-tunnel and timeout-client on an Ingress are ignored (ConfigMap only)"},
	{ID: "haproxy-tunnel-timeout-snippet", Kind: KindIngress, Controller: ControllerHAProxy, Effects: Denies | Warns, check: checkHAProxyTunnelTimeoutSnippet,
		Summary:     "deny a `timeout tunnel` shorter than the policy minimum in backend-config-snippet",
		Remediation: "write `timeout tunnel` of at least the policy minimum in the snippet, or remove the line"},
	{ID: "haproxy-service-configmap-only-timeout", Kind: KindService, Controller: ControllerHAProxy, Effects: Warns, check: checkHAProxyServiceConfigMapOnlyTimeouts,
		Summary: "warn that timeout-tunnel and timeout-client on a Service are ignored (ConfigMap only)"},
	{ID: "haproxy-service-tunnel-timeout-snippet", Kind: KindService, Controller: ControllerHAProxy, Effects: Denies | Warns, check: checkHAProxyServiceTunnelTimeoutSnippet,
		Summary:     "deny a `timeout tunnel` shorter than the policy minimum in a Service's backend-config-snippet",
		Remediation: "write `timeout tunnel` of at least the policy minimum in the snippet, or remove the line"},
})

// defaultHAProxyCookiePersistence asks HAProxy for a sticky cookie, so that a client whose
// WebSocket dropped reconnects to the pod that holds its session. The controller reads backend
// settings from the Service before the Ingress, and fails a backend that has both cookie
// annotations, so nothing is added when the Ingress or any of its backend Services already
// chose a cookie.
func defaultHAProxyCookiePersistence(ev *evaluation) {
	if !ev.policy.AffinityEnabled() {
		return
	}
	ing := ev.ingress()
	if len(haproxyKeys(ing.Annotations, haproxyCookieSettings, haproxyPrefixes)) > 0 {
		return
	}
	for _, name := range ingressServiceNames(ing) {
		if svc := ev.facts.service(name); svc != nil && len(haproxyKeys(svc.Annotations, haproxyCookieSettings, haproxyPrefixes)) > 0 {
			return
		}
	}
	ev.setAnnotationDefault(annotationHAProxyCookiePersistence, ev.policy.Affinity.CookieName,
		"HAProxy inserts a cookie that brings a reconnecting WebSocket client back to the pod that holds its session")
}

// checkHAProxyConfigMapOnlyTimeouts warns about timeouts on an Ingress that the controller never
// reads there.
func checkHAProxyConfigMapOnlyTimeouts(ev *evaluation) {
	warnHAProxyConfigMapOnlyTimeouts(ev, ev.ingress().Annotations, "an Ingress", haproxyPrefixes)
}

// checkHAProxyTunnelTimeoutSnippet judges `timeout tunnel` lines in the Ingress's
// backend-config-snippet.
func checkHAProxyTunnelTimeoutSnippet(ev *evaluation) {
	judgeHAProxyTunnelTimeoutSnippet(ev, ev.ingress().Annotations, haproxyPrefixes)
}

// checkHAProxyServiceConfigMapOnlyTimeouts warns about timeouts on a Service that the controller
// never reads there. Only Services that HAProxy routes to, or that use an HAProxy-only prefix,
// are judged: jcmoraisjr/haproxy-ingress reads ingress.kubernetes.io/timeout-tunnel on Services.
func checkHAProxyServiceConfigMapOnlyTimeouts(ev *evaluation) {
	warnHAProxyConfigMapOnlyTimeouts(ev, ev.service().Annotations, "a Service", haproxyServicePrefixes(ev))
}

// checkHAProxyServiceTunnelTimeoutSnippet judges `timeout tunnel` lines in the Service's
// backend-config-snippet, which the controller prefers over the Ingress's.
func checkHAProxyServiceTunnelTimeoutSnippet(ev *evaluation) {
	judgeHAProxyTunnelTimeoutSnippet(ev, ev.service().Annotations, haproxyServicePrefixes(ev))
}

// haproxyServicePrefixes returns the prefixes under which a Service's annotations address the
// HAProxy controller: all of them when an HAProxy-served Ingress routes to the Service, else
// only the ones no other controller reads.
func haproxyServicePrefixes(ev *evaluation) []string {
	if len(ingressesRoutingToService(ev, ControllerHAProxy)) > 0 {
		return haproxyPrefixes
	}
	return haproxyUnambiguousPrefixes
}

// warnHAProxyConfigMapOnlyTimeouts warns once per annotation that the controller reads only
// from its ConfigMap. After the upgrade HAProxy applies `timeout tunnel` to a WebSocket instead
// of the client and server timeouts, so the tunnel timeout is the one that matters, and it can
// be changed per backend only with a backend-config-snippet.
func warnHAProxyConfigMapOnlyTimeouts(ev *evaluation, annotations map[string]string, object string, prefixes []string) {
	for _, key := range haproxyKeys(annotations, haproxyConfigMapOnlyTimeouts, prefixes) {
		setting := key[strings.Index(key, "/")+1:]
		ev.warn(annotationPath(key), fmt.Sprintf(
			"the HAProxy Kubernetes Ingress controller reads %s only from its ConfigMap, so it does nothing on %s; "+
				"a WebSocket keeps the ConfigMap's timeout-tunnel (1h unless changed there), which replaces the client and server timeouts once the connection is upgraded. "+
				"Set timeout-tunnel in the controller's ConfigMap, or write `timeout tunnel %ds` in haproxy.org/backend-config-snippet for this backend only, and remove %s",
			setting, object, ev.policy.TimeoutSeconds, key))
	}
}

// judgeHAProxyTunnelTimeoutSnippet denies `timeout tunnel` lines shorter than the policy
// minimum: they end every WebSocket of the backend after that much silence. Lines HAProxy cannot
// read are warned about: the controller does not validate snippets, and HAProxy refuses to load a
// configuration that contains one, so the snippet's other settings are lost too.
func judgeHAProxyTunnelTimeoutSnippet(ev *evaluation, annotations map[string]string, prefixes []string) {
	minimum := ev.policy.MinTimeoutSeconds
	for _, key := range haproxyKeys(annotations, []string{"backend-config-snippet"}, prefixes) {
		for line := range strings.SplitSeq(annotations[key], "\n") {
			if i := strings.IndexByte(line, '#'); i >= 0 {
				line = line[:i]
			}
			fields := strings.Fields(line)
			if len(fields) < 2 || fields[0] != "timeout" || fields[1] != "tunnel" {
				continue
			}
			line = strings.Join(fields, " ")
			if len(fields) != 3 {
				ev.warn(annotationPath(key), fmt.Sprintf("%q is not `timeout tunnel <time>`, so HAProxy refuses the configuration with this snippet; write `timeout tunnel %ds`", line, ev.policy.TimeoutSeconds))
				continue
			}
			ms, ok := parseHAProxyTime(fields[2])
			if !ok {
				ev.warn(annotationPath(key), fmt.Sprintf("%q is not an HAProxy time (a whole number with us, ms, s, m, h or d; no unit means milliseconds), so HAProxy refuses the configuration with this snippet; write `timeout tunnel %ds`", line, ev.policy.TimeoutSeconds))
				continue
			}
			if ms < minimum*1000 {
				note := ""
				if _, err := strconv.ParseUint(fields[2], 10, 63); err == nil {
					note = " (a number without unit is milliseconds)"
				}
				ev.violate(annotationPath(key), line,
					fmt.Sprintf("makes HAProxy close a WebSocket after %s without traffic%s; the policy requires at least %ds", formatMilliseconds(ms), note, minimum),
					fmt.Sprintf("write `timeout tunnel %ds` or remove the line to keep the ConfigMap's timeout-tunnel", max(minimum, ev.policy.TimeoutSeconds)))
			}
		}
	}
}

// haproxyKeys lists the annotation keys present for any of the settings under any of the
// prefixes, sorted so that reports are stable.
func haproxyKeys(annotations map[string]string, settings, prefixes []string) []string {
	var keys []string
	for _, s := range settings {
		for _, p := range prefixes {
			if _, ok := annotations[p+s]; ok {
				keys = append(keys, p+s)
			}
		}
	}
	slices.Sort(keys)
	return keys
}

// haproxyTimeUnits are the units of HAProxy time values in milliseconds; "us" rounds down.
var haproxyTimeUnits = []struct {
	suffix string
	ms     float64
}{
	{"us", 0.001}, {"ms", 1}, {"s", 1000}, {"m", 60 * 1000}, {"h", 3600 * 1000}, {"d", 24 * 3600 * 1000},
}

// parseHAProxyTime reads an HAProxy time as haproxy.cfg does: a whole number with an optional
// unit, milliseconds when there is none. It returns milliseconds.
func parseHAProxyTime(s string) (int64, bool) {
	factor := 1.0
	for _, u := range haproxyTimeUnits {
		if rest, ok := strings.CutSuffix(s, u.suffix); ok && rest != "" && rest[len(rest)-1] >= '0' && rest[len(rest)-1] <= '9' {
			s, factor = rest, u.ms
			break
		}
	}
	n, err := strconv.ParseUint(s, 10, 63)
	if err != nil {
		return 0, false
	}
	return int64(float64(n) * factor), true
}
