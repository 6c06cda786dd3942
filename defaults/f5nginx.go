package defaults

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Annotations of F5 NGINX Ingress Controller (nginx/kubernetes-ingress) that the rules read or
// write.
const (
	annotationF5WebSocketServices = "nginx.org/websocket-services"
	annotationF5ProxyReadTimeout  = "nginx.org/proxy-read-timeout"
	annotationF5ProxySendTimeout  = "nginx.org/proxy-send-timeout"
)

// f5TimeoutAnnotations are the two idle timeouts that end an upgraded connection.
var f5TimeoutAnnotations = []string{annotationF5ProxyReadTimeout, annotationF5ProxySendTimeout}

// f5NGINXRules: both rules inject defaults and then judge the value they own.
var f5NGINXRules = family("f5-nginx", []Rule{
	{ID: "f5-nginx-websocket-services", Kind: KindIngress, Controller: ControllerF5NGINX, Effects: Defaults | Denies, check: listF5WebSocketServices,
		Summary:     "list the WebSocket backend Services in nginx.org/websocket-services, merging into the user's list; deny names F5 rejects",
		Remediation: "list only backend Services of the Ingress, separated by commas without spaces"},
	{ID: "f5-nginx-timeouts", Kind: KindIngress, Controller: ControllerF5NGINX, Effects: Defaults | Denies, check: defaultF5Timeouts,
		Summary:     "default nginx.org/proxy-read-timeout and proxy-send-timeout to the policy timeout; deny shorter or unreadable ones",
		Remediation: "write an NGINX time of at least the policy minimum, or remove the annotation to get the policy timeout"},
})

// listF5WebSocketServices makes nginx.org/websocket-services name every WebSocket backend
// Service of the Ingress: F5 NGINX Ingress Controller sends the Upgrade and Connection headers
// only to listed Services, so without it no WebSocket handshake succeeds. A user's list is kept
// as written and the missing names are appended. Entries that name no backend Service of the
// Ingress exactly are denied, because F5 then rejects the whole Ingress.
func listF5WebSocketServices(ev *evaluation) {
	// An Ingress marked as WebSocket but without Service backends has nothing to list. Entries
	// written with spaces (" chat") are judged below.
	if want := webSocketServiceNames(ev); len(want) > 0 {
		ev.listInAnnotation(annotationF5WebSocketServices, want,
			"F5 NGINX Ingress Controller forwards the WebSocket Upgrade only to the Services listed here")
	}
	judgeF5WebSocketServiceNames(ev)
}

// judgeF5WebSocketServiceNames denies entries of nginx.org/websocket-services that are not,
// exactly, the name of a backend Service of the Ingress. F5 splits the list on commas without
// trimming and rejects an Ingress whose list names an unknown Service, so " chat" or a trailing
// comma takes every route of the Ingress, WebSocket or not, out of service.
func judgeF5WebSocketServiceNames(ev *evaluation) {
	raw, ok := ev.annotation(annotationF5WebSocketServices)
	if !ok {
		return
	}
	backends := ingressServiceNames(ev.ingress())
	var bad, good []string
	for name := range strings.SplitSeq(raw, ",") {
		if slices.Contains(backends, name) {
			good = append(good, name)
			continue
		}
		bad = append(bad, strconv.Quote(name))
		if trimmed := strings.TrimSpace(name); slices.Contains(backends, trimmed) {
			good = append(good, trimmed)
		}
	}
	if len(bad) == 0 {
		return
	}
	good = f5DistinctInOrder(append(good, webSocketServiceNames(ev)...))
	fix := "list the backend Services of this Ingress separated by commas, without spaces"
	if len(good) > 0 {
		fix += fmt.Sprintf(", such as %q", strings.Join(good, ","))
	}
	ev.violate(annotationPath(annotationF5WebSocketServices), raw,
		fmt.Sprintf("lists %s, which F5 NGINX Ingress Controller does not find among the backend Services of this Ingress (it splits the list on commas without trimming spaces); it then ignores the whole Ingress, WebSocket routes included",
			strings.Join(bad, ", ")),
		fix)
}

// defaultF5Timeouts defaults both idle timeouts to the policy timeout, because F5 NGINX Ingress
// Controller applies 60s unless told otherwise and NGINX closes an upgraded connection after that
// long without traffic. It denies values below the policy minimum, and values that are not NGINX
// times, which make F5 reject the whole Ingress. A user's value is never replaced.
func defaultF5Timeouts(ev *evaluation) {
	want := fmt.Sprintf("%ds", ev.policy.TimeoutSeconds)
	least := fmt.Sprintf("%ds", ev.policy.MinTimeoutSeconds)
	for _, key := range f5TimeoutAnnotations {
		ev.setAnnotationDefault(key, want, "the default of 60s closes idle WebSocket connections after a minute")
		raw, ok := ev.annotation(key)
		if !ok {
			continue
		}
		ms, valid := parseNGINXTime(raw)
		switch {
		case !valid:
			ev.violate(annotationPath(key), raw,
				"is not an NGINX time, so F5 NGINX Ingress Controller rejects the Ingress and serves none of its routes, WebSocket or not",
				fmt.Sprintf("write a time such as %q: a number with a unit (ms, s, m, h, d, w, M, y; several largest first, as in \"1h30m\"), a bare number meaning seconds", want))
		case ms < ev.policy.MinTimeoutSeconds*1000:
			ev.violate(annotationPath(key), raw,
				fmt.Sprintf("makes NGINX close a WebSocket connection after %s without a message", formatMilliseconds(ms)),
				fmt.Sprintf("write at least %q, or remove the annotation to get %q", least, want))
		}
	}
}

// nginxTimeUnit is one unit of NGINX time strings.
type nginxTimeUnit struct {
	suffix string
	ms     int64
}

// nginxTimeUnits are the units of NGINX time strings (nginx.org/en/docs/syntax.html), largest
// first, in milliseconds. A month is 30 days and a year 365, as NGINX counts them.
var nginxTimeUnits = []nginxTimeUnit{
	{"y", 365 * 24 * 3600 * 1000},
	{"M", 30 * 24 * 3600 * 1000},
	{"w", 7 * 24 * 3600 * 1000},
	{"d", 24 * 3600 * 1000},
	{"h", 3600 * 1000},
	{"m", 60 * 1000},
	{"s", 1000},
	{"ms", 1},
}

// Indexes into nginxTimeUnits of the units that need special handling while parsing.
const (
	nginxTimeSeconds      = 6
	nginxTimeMilliseconds = 7
)

// parseNGINXTime reads an NGINX time string ("3600s", "1h30m", "1h 30m", a bare number meaning
// seconds) as milliseconds. It accepts what F5 NGINX Ingress Controller accepts: each unit at
// most once, largest first, spaces only between parts, a bare number only where seconds may
// stand. It reports false for anything else, including values too large to count.
func parseNGINXTime(s string) (int64, bool) {
	var total int64
	allowed := 0 // index of the largest unit that may still come
	parts := 0
	for i := 0; ; {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
		if i == len(s) {
			break
		}
		start := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == start {
			return 0, false // no number here: a sign, a dot, a space before a unit, an unknown unit ("min")
		}
		n, err := strconv.ParseInt(s[start:i], 10, 64)
		if err != nil {
			return 0, false
		}
		unit := nginxTimeSeconds // a bare number counts as seconds
		if strings.HasPrefix(s[i:], "ms") {
			unit = nginxTimeMilliseconds
			i += 2
		} else if i < len(s) {
			if u := slices.IndexFunc(nginxTimeUnits, func(u nginxTimeUnit) bool { return u.suffix == s[i:i+1] }); u >= 0 {
				unit = u
				i++
			}
		}
		if unit < allowed {
			return 0, false // a unit repeated or out of order
		}
		mult := nginxTimeUnits[unit].ms
		if n > (math.MaxInt64-total)/mult {
			return 0, false
		}
		total += n * mult
		allowed = unit + 1
		parts++
	}
	return total, parts > 0
}

// f5DistinctInOrder drops repeated strings, keeping the first occurrence of each.
func f5DistinctInOrder(s []string) []string {
	seen := map[string]bool{}
	out := s[:0:0]
	for _, v := range s {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}
