package defaults

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Annotations of ingress-nginx (kubernetes/ingress-nginx) that the rules read or write. The
// controller can be started with another prefix (--annotations-prefix); wsguard knows only the
// default one.
const (
	annotationIngressNGINXProxyReadTimeout = "nginx.ingress.kubernetes.io/proxy-read-timeout"
	annotationIngressNGINXProxySendTimeout = "nginx.ingress.kubernetes.io/proxy-send-timeout"
	annotationIngressNGINXAffinity         = "nginx.ingress.kubernetes.io/affinity"
	annotationIngressNGINXAffinityMode     = "nginx.ingress.kubernetes.io/affinity-mode"
	annotationIngressNGINXCookieName       = "nginx.ingress.kubernetes.io/session-cookie-name"
	annotationIngressNGINXCookieMaxAge     = "nginx.ingress.kubernetes.io/session-cookie-max-age"
	annotationIngressNGINXUpstreamHashBy   = "nginx.ingress.kubernetes.io/upstream-hash-by"
	annotationIngressNGINXBackendProtocol  = "nginx.ingress.kubernetes.io/backend-protocol"
	annotationIngressNGINXSSLPassthrough   = "nginx.ingress.kubernetes.io/ssl-passthrough"
	// annotationIngressNGINXWebSocketServices does not exist in ingress-nginx: it is F5's
	// nginx.org/websocket-services with the wrong prefix, and people copy it from blog posts.
	annotationIngressNGINXWebSocketServices = "nginx.ingress.kubernetes.io/websocket-services"
)

// ingressNGINXTimeoutAnnotations are the two idle timeouts that end an upgraded connection:
// nginx applies them to reads from and writes to the backend for the life of the WebSocket.
var ingressNGINXTimeoutAnnotations = []string{annotationIngressNGINXProxyReadTimeout, annotationIngressNGINXProxySendTimeout}

// ingressNGINXRules: rules that inject defaults come first, then the rules that only judge.
var ingressNGINXRules = family("ingress-nginx", []Rule{
	{ID: "ingress-nginx-unknown-annotation", Kind: KindIngress, Controller: ControllerIngressNGINX, Effects: Warns, check: checkIngressNGINXAnnotationNames,
		Summary: "warn about nginx.ingress.kubernetes.io/ annotations ingress-nginx does not read (typos), naming the closest real one"},
	{ID: "ingress-nginx-timeouts", Kind: KindIngress, Controller: ControllerIngressNGINX, Effects: Defaults | Denies, check: defaultIngressNGINXTimeouts,
		Summary:     "default proxy-read-timeout and proxy-send-timeout to the policy timeout; deny shorter ones",
		Remediation: "write at least the policy minimum in whole seconds, or remove the annotation to get the policy timeout"},
	{ID: "ingress-nginx-affinity", Kind: KindIngress, Controller: ControllerIngressNGINX, Effects: Defaults | Denies, check: defaultIngressNGINXAffinity,
		Summary:     "default persistent cookie affinity; deny affinity together with upstream-hash-by",
		Remediation: "keep either the affinity cookie or upstream-hash-by, not both"},
	{ID: "ingress-nginx-timeout-format", Kind: KindIngress, Controller: ControllerIngressNGINX, Effects: Denies, check: checkIngressNGINXTimeoutFormat,
		Summary:     "deny proxy timeouts that are not whole seconds, which ingress-nginx silently replaces with its 60s default",
		Remediation: "write the timeout as a plain number of seconds, without a unit"},
	{ID: "ingress-nginx-backend-protocol", Kind: KindIngress, Controller: ControllerIngressNGINX, Effects: Denies, check: checkIngressNGINXBackendProtocol,
		Summary:     "deny backend-protocol GRPC, GRPCS, FCGI and AJP, which cannot carry a WebSocket upgrade",
		Remediation: "write HTTP or HTTPS, and route gRPC, FastCGI and AJP through a separate Ingress"},
	{ID: "ingress-nginx-snippet", Kind: KindIngress, Controller: ControllerIngressNGINX, Effects: Warns, check: checkIngressNGINXSnippets,
		Summary: "warn that WebSocket headers or timeouts in a snippet are redundant or refused: ingress-nginx forwards the Upgrade itself and disables snippets by default"},
	{ID: "ingress-nginx-connect-timeout", Kind: KindIngress, Controller: ControllerIngressNGINX, Effects: Warns, check: checkIngressNGINXConnectTimeout,
		Summary: "warn that a proxy-connect-timeout above 75s does not keep WebSockets open (nginx caps it; the read and send timeouts do)"},
	{ID: "ingress-nginx-ssl-passthrough", Kind: KindIngress, Controller: ControllerIngressNGINX, Effects: Warns, check: checkIngressNGINXSSLPassthrough,
		Summary: "warn that an ssl-passthrough Ingress gets no HTTP-level settings: timeouts and affinity do not apply to a passed-through connection"},
	{ID: "ingress-nginx-websocket-services-noop", Kind: KindIngress, Controller: ControllerIngressNGINX, Effects: Warns, check: checkIngressNGINXWebSocketServicesNoop,
		Summary: "warn that nginx.ingress.kubernetes.io/websocket-services does not exist and does nothing"},
})

// defaultIngressNGINXTimeouts defaults both idle timeouts to the policy timeout, because
// ingress-nginx closes an upgraded connection after 60s without traffic in one direction. It
// also denies whole-second values below the policy minimum; values that are not whole seconds
// are left to ingress-nginx-timeout-format. A value the user wrote, even an invalid one, is never
// replaced: the user is told instead.
func defaultIngressNGINXTimeouts(ev *evaluation) {
	if ingressNGINXPassthrough(ev) {
		return // nginx does not terminate the connection: no HTTP setting applies
	}
	want := strconv.FormatInt(ev.policy.TimeoutSeconds, 10)
	for _, key := range ingressNGINXTimeoutAnnotations {
		ev.setAnnotationDefault(key, want, "ingress-nginx's default of 60s closes idle WebSocket connections after a minute")
		raw, ok := ev.annotation(key)
		if !ok {
			continue
		}
		seconds, valid := parseIngressNGINXSeconds(raw)
		if !valid || seconds >= ev.policy.MinTimeoutSeconds {
			continue
		}
		ev.violate(annotationPath(key), raw,
			fmt.Sprintf("makes ingress-nginx close a WebSocket connection after %ds without a message", seconds),
			fmt.Sprintf("write at least %q (whole seconds, no unit), or remove the annotation to get %q", strconv.FormatInt(ev.policy.MinTimeoutSeconds, 10), want))
	}
}

// checkIngressNGINXTimeoutFormat denies timeouts that ingress-nginx cannot read. It parses them
// with strconv.Atoi and, on failure, silently uses the controller default (60s unless the
// ConfigMap says otherwise), so "3600s" looks right in the manifest and still drops every idle
// WebSocket after a minute.
func checkIngressNGINXTimeoutFormat(ev *evaluation) {
	if ingressNGINXPassthrough(ev) {
		return // nginx does not terminate the connection: no HTTP setting applies
	}
	example := strconv.FormatInt(ev.policy.TimeoutSeconds, 10)
	for _, key := range ingressNGINXTimeoutAnnotations {
		raw, ok := ev.annotation(key)
		if !ok {
			continue
		}
		if _, valid := parseIngressNGINXSeconds(raw); valid {
			continue
		}
		what := "is not a whole number of seconds"
		if strings.TrimSpace(raw) == "" {
			what = "is empty"
		}
		ev.violate(annotationPath(key), raw,
			what+", so ingress-nginx ignores it and applies its default of 60s, which closes idle WebSocket connections after a minute",
			fmt.Sprintf("write a plain number of seconds without a unit, such as %q", example))
	}
}

// parseIngressNGINXSeconds reads a timeout the way ingress-nginx does (strconv.Atoi, no
// trimming, no unit). Negative numbers parse there but are no timeout, so they count as invalid.
func parseIngressNGINXSeconds(raw string) (int64, bool) {
	v, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || v < 0 {
		return 0, false
	}
	return v, true
}

// defaultIngressNGINXAffinity defaults cookie affinity, so that a client reconnecting after a
// dropped WebSocket reaches the pod that holds its session. Persistent mode keeps sessions in
// place when the Deployment scales up; the default, balanced, moves some of them to new pods.
// Users who chose upstream-hash-by keep it. Setting both is denied: ingress-nginx's balancer then
// uses the cookie and silently ignores the hash.
func defaultIngressNGINXAffinity(ev *evaluation) {
	if ingressNGINXPassthrough(ev) {
		return // nginx does not terminate the connection: no HTTP setting applies
	}
	affinity, hasAffinity := ev.annotation(annotationIngressNGINXAffinity)
	hashBy, hasHashBy := ev.annotation(annotationIngressNGINXUpstreamHashBy)
	if hasAffinity && hasHashBy {
		ev.violate(annotationPath(annotationIngressNGINXUpstreamHashBy), hashBy,
			fmt.Sprintf("is set together with %s=%q; ingress-nginx then balances by the affinity cookie and silently ignores the hash, so reconnecting WebSocket clients are not placed the way this annotation says", annotationIngressNGINXAffinity, affinity),
			fmt.Sprintf("keep one of them: remove %s to use the hash, or remove this annotation to use the cookie", annotationIngressNGINXAffinity))
		return
	}
	if hasAffinity || hasHashBy || !ev.policy.AffinityEnabled() {
		return
	}
	ev.setAnnotationDefault(annotationIngressNGINXAffinity, "cookie",
		"a reconnecting WebSocket client returns to the pod that holds its session")
	ev.setAnnotationDefault(annotationIngressNGINXAffinityMode, "persistent",
		"scaling up does not move existing sessions to new pods")
	ev.setAnnotationDefault(annotationIngressNGINXCookieName, ev.policy.Affinity.CookieName,
		"the affinity cookie name of the policy")
	ev.setAnnotationDefault(annotationIngressNGINXCookieMaxAge, strconv.FormatInt(ev.policy.Affinity.CookieMaxAgeSeconds, 10),
		"the cookie outlives the browser session for the policy's lifetime")
}

// checkIngressNGINXBackendProtocol denies backend protocols that have no HTTP/1.1 Upgrade:
// gRPC runs over HTTP/2 and FastCGI and AJP are request/response protocols, so the WebSocket
// handshake never reaches the application. ingress-nginx upper-cases and trims the value, and so
// does this check.
func checkIngressNGINXBackendProtocol(ev *evaluation) {
	raw, ok := ev.annotation(annotationIngressNGINXBackendProtocol)
	if !ok {
		return
	}
	var reason string
	switch strings.ToUpper(strings.TrimSpace(raw)) {
	case "GRPC", "GRPCS":
		reason = "makes ingress-nginx speak gRPC (HTTP/2) to the backend, and HTTP/2 cannot carry the HTTP/1.1 Upgrade of a WebSocket handshake"
	case "FCGI":
		reason = "makes ingress-nginx speak FastCGI to the backend, which has no Upgrade, so WebSocket handshakes fail"
	case "AJP":
		reason = "makes ingress-nginx speak AJP to the backend, which has no Upgrade, so WebSocket handshakes fail"
	default:
		return
	}
	ev.unsupported(annotationPath(annotationIngressNGINXBackendProtocol), raw, reason,
		`write "HTTP" (or "HTTPS" for a TLS backend), or remove the annotation; route other protocols through a separate Ingress`)
}

// checkIngressNGINXWebSocketServicesNoop warns about an annotation that ingress-nginx does not
// know: whoever wrote it believes it turns WebSockets on, and it changes nothing.
func checkIngressNGINXWebSocketServicesNoop(ev *evaluation) {
	if _, ok := ev.annotation(annotationIngressNGINXWebSocketServices); !ok {
		return
	}
	ev.warn(annotationPath(annotationIngressNGINXWebSocketServices),
		"does not exist in ingress-nginx and does nothing (it is a copy of F5 NGINX Ingress Controller's nginx.org/websocket-services); "+
			"ingress-nginx proxies WebSocket upgrades without configuration, so remove it and rely on proxy-read-timeout and proxy-send-timeout")
}

// ingressNGINXPassthrough reports whether ingress-nginx passes the Ingress's TLS connections
// through to the backend unterminated (it needs the controller's --enable-ssl-passthrough):
// nginx then never sees HTTP, so proxy timeouts and affinity cookies do not apply.
func ingressNGINXPassthrough(ev *evaluation) bool {
	v, _ := ev.annotation(annotationIngressNGINXSSLPassthrough)
	return strings.EqualFold(strings.TrimSpace(v), "true")
}

// checkIngressNGINXSSLPassthrough tells the user that wsguard set no HTTP-level defaults on a
// passthrough Ingress, and that the ones written there do nothing.
func checkIngressNGINXSSLPassthrough(ev *evaluation) {
	if !ingressNGINXPassthrough(ev) {
		return
	}
	var ignored []string
	for _, key := range []string{annotationIngressNGINXProxyReadTimeout, annotationIngressNGINXProxySendTimeout, annotationIngressNGINXAffinity, annotationIngressNGINXUpstreamHashBy} {
		if _, ok := ev.annotation(key); ok {
			ignored = append(ignored, key)
		}
	}
	msg := "passes TLS connections through to the backend without terminating them, so nginx sees no HTTP: proxy timeouts and affinity cookies do not apply, and wsguard sets none; the WebSocket's idle timeout is the backend's own"
	if len(ignored) > 0 {
		msg += "; " + strings.Join(ignored, ", ") + " on this Ingress do nothing"
	}
	ev.warn(annotationPath(annotationIngressNGINXSSLPassthrough), msg)
}

// ingressNGINXSnippetAnnotations carry raw nginx configuration into an Ingress's locations or
// server block.
var ingressNGINXSnippetAnnotations = []string{
	"nginx.ingress.kubernetes.io/configuration-snippet",
	"nginx.ingress.kubernetes.io/server-snippet",
}

// webSocketSnippetDirective matches nginx directives people copy into snippets for WebSockets:
// the Upgrade and Connection headers and the proxy timeouts.
var webSocketSnippetDirective = regexp.MustCompile(`(?i)(proxy_set_header\s+(upgrade|connection)\b|proxy_(read|send|connect)_timeout\b|proxy_http_version\b)`)

// checkIngressNGINXSnippets warns about WebSocket settings written in snippets. ingress-nginx's
// own location template already forwards the Upgrade and Connection headers over HTTP/1.1, so
// those lines are redundant; and since controller v1.9 snippet annotations are off unless the
// ConfigMap sets allow-snippet-annotations: "true" (and annotations-risk-level allows them), so
// the Ingress is refused by the controller's admission webhook or the snippet is ignored.
func checkIngressNGINXSnippets(ev *evaluation) {
	for _, key := range ingressNGINXSnippetAnnotations {
		raw, ok := ev.annotation(key)
		if !ok || !webSocketSnippetDirective.MatchString(raw) {
			continue
		}
		ev.warn(annotationPath(key), "sets WebSocket headers or timeouts in raw nginx configuration: ingress-nginx already forwards the Upgrade and Connection headers over HTTP/1.1, "+
			"and it disables snippet annotations unless its ConfigMap sets allow-snippet-annotations: \"true\" (the default since v1.9), in which case its admission webhook refuses this Ingress or the snippet is ignored; "+
			"set the timeouts with proxy-read-timeout and proxy-send-timeout and remove these lines")
	}
}

// nginxMaxConnectTimeout is the longest proxy_connect_timeout nginx honours on most systems.
const nginxMaxConnectTimeout = 75

// checkIngressNGINXConnectTimeout warns about long connect timeouts, which guides copy next to
// the read and send timeouts: the connect timeout bounds only the TCP connection to the pod, nginx
// documents that it usually cannot exceed 75 seconds, and it does nothing for an open WebSocket.
func checkIngressNGINXConnectTimeout(ev *evaluation) {
	const key = "nginx.ingress.kubernetes.io/proxy-connect-timeout"
	raw, ok := ev.annotation(key)
	if !ok {
		return
	}
	if n, valid := parseIngressNGINXSeconds(raw); valid && n > nginxMaxConnectTimeout {
		ev.warn(annotationPath(key), fmt.Sprintf("%ds only bounds opening the connection to the pod, and nginx usually cannot wait longer than %ds for that; it does not keep WebSocket connections open, which proxy-read-timeout and proxy-send-timeout do: write a few seconds here",
			n, nginxMaxConnectTimeout))
	}
}
