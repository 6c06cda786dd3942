package defaults

import (
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
)

// f5Ingress has five backends: chat (port named ws), feed and live (WebSocket by their
// Services in f5Facts), api and the default backend web (plain HTTP).
const f5Ingress = `
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: chat
  namespace: demo
  annotations:
    team: chat
spec:
  ingressClassName: nginx
  defaultBackend:
    service: {name: web, port: {number: 80}}
  rules:
  - host: chat.example.com
    http:
      paths:
      - path: /ws
        pathType: Prefix
        backend:
          service: {name: chat, port: {name: ws}}
      - path: /feed
        pathType: Prefix
        backend:
          service: {name: feed, port: {number: 80}}
      - path: /api
        pathType: Prefix
        backend:
          service: {name: api, port: {name: http}}
  - host: live.example.com
    http:
      paths:
      - path: /
        pathType: Prefix
        backend:
          service: {name: live, port: {number: 80}}
`

// f5Class is the IngressClass that F5's Helm chart installs: named nginx, like ingress-nginx's.
var f5Class = ingressClass("nginx", ControllerF5NGINX, false)

// f5Facts returns the namespace's Services and the F5 IngressClass.
func f5Facts(t *testing.T) Facts {
	return Facts{
		IngressClasses: ptrs(f5Class),
		Services: ptrs(
			service(t, `
apiVersion: v1
kind: Service
metadata: {name: feed}
spec:
  selector: {app: feed}
  ports: [{name: web, port: 80, appProtocol: kubernetes.io/ws}]`),
			service(t, `
apiVersion: v1
kind: Service
metadata: {name: live}
spec:
  selector: {app: live}
  ports: [{name: websocket, port: 80}]`),
			service(t, `
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80}]`),
		),
	}
}

// f5Changes is every default the F5 rules inject for f5Ingress under the default policy, with
// the values in set replacing (or, when "", removing) the defaults of those annotations.
func f5Changes(set map[string]string) map[string]any {
	m := map[string]any{
		annotationPointer(annotationF5WebSocketServices): "chat,feed,live",
		annotationPointer(annotationF5ProxyReadTimeout):  "3600s",
		annotationPointer(annotationF5ProxySendTimeout):  "3600s",
	}
	for key, v := range set {
		if v == "" {
			delete(m, annotationPointer(key))
		} else {
			m[annotationPointer(key)] = v
		}
	}
	return m
}

// f5Keep drops the defaults of the given annotations from the expected changes.
func f5Keep(keys ...string) map[string]any {
	set := map[string]string{}
	for _, k := range keys {
		set[k] = ""
	}
	return f5Changes(set)
}

func TestF5NGINXRules(t *testing.T) {
	const (
		servicesField = "metadata.annotations[nginx.org/websocket-services]"
		readField     = "metadata.annotations[nginx.org/proxy-read-timeout]"
		sendField     = "metadata.annotations[nginx.org/proxy-send-timeout]"
	)
	facts := f5Facts(t)
	withoutClass := func(f Facts, classes ...networkingv1.IngressClass) Facts {
		f.IngressClasses = ptrs(classes...)
		return f
	}
	custom := DefaultPolicy()
	custom.TimeoutSeconds, custom.MinTimeoutSeconds = 900, 600

	runRuleCases(t, []ruleCase{
		{
			name:    "IngressClass nginx of F5 wins over the built-in mapping of the name nginx to ingress-nginx",
			obj:     f5Ingress,
			facts:   facts,
			changes: f5Changes(nil),
		},
		{
			name:    "controller resolved through the built-in class name nginx-plus",
			obj:     nginxClass(f5Ingress, "nginx-plus"),
			facts:   withoutClass(facts),
			changes: f5Changes(nil),
		},
		{
			name:    "controller resolved through the legacy annotation and its IngressClass",
			obj:     annotated(nginxClass(f5Ingress, ""), "kubernetes.io/ingress.class: edge"),
			facts:   withoutClass(facts, ingressClass("edge", ControllerF5NGINX, false)),
			changes: f5Changes(nil),
		},
		{
			name:    "controller resolved through the legacy annotation and the built-in name nginx-org",
			obj:     annotated(nginxClass(f5Ingress, ""), "kubernetes.io/ingress.class: nginx-org"),
			facts:   withoutClass(facts),
			changes: f5Changes(nil),
		},
		{
			name: "controller resolved through the default IngressClass",
			obj:  nginxClass(f5Ingress, ""),
			facts: withoutClass(facts,
				ingressClass("community", ControllerIngressNGINX, false),
				ingressClass("f5", ControllerF5NGINX, true)),
			changes: f5Changes(nil),
		},
		{
			name: "an Ingress for ingress-nginx is not judged by F5 rules",
			obj: annotated(f5Ingress,
				`nginx.org/proxy-read-timeout: 10s`,
				`nginx.org/websocket-services: "old, chat"`),
			facts:   withoutClass(facts),
			changes: ingressNGINXChanges(),
		},
		{
			name:  "an Ingress whose IngressClass names another controller is untouched, F5 annotations or not",
			obj:   annotated(nginxClass(f5Ingress, "other"), `nginx.org/proxy-read-timeout: 10s`),
			facts: Facts{IngressClasses: ptrs(ingressClass("other", "example.com/other", false))},
		},
		{
			name:         "a non-WebSocket Ingress is untouched",
			obj:          f5IngressWithBackend("api", "{name: http}"),
			facts:        facts,
			notWebSocket: true,
		},
		{
			name:    "a single WebSocket backend found by its port name is listed",
			obj:     f5IngressWithBackend("chat", "{name: ws}"),
			facts:   facts,
			changes: f5Changes(map[string]string{annotationF5WebSocketServices: "chat"}),
		},
		{
			name:    "a WebSocket backend found through its Service's appProtocol is listed",
			obj:     f5IngressWithBackend("feed", "{number: 80}"),
			facts:   facts,
			changes: f5Changes(map[string]string{annotationF5WebSocketServices: "feed"}),
		},
		{
			name:    "an Ingress without annotations gets the annotations map created",
			obj:     replaceOnce(f5Ingress, "  annotations:\n    team: chat\n", ""),
			facts:   facts,
			changes: f5AnnotationsCreated(),
		},
		{
			name:    "missing Services are appended to the user's list, whose order and names are kept",
			obj:     annotated(f5Ingress, `nginx.org/websocket-services: live,api`),
			facts:   facts,
			changes: f5Changes(map[string]string{annotationF5WebSocketServices: "live,api,chat,feed"}),
		},
		{
			name:    "a complete list in the user's order is left alone",
			obj:     annotated(f5Ingress, `nginx.org/websocket-services: feed,live,chat`),
			facts:   facts,
			changes: f5Keep(annotationF5WebSocketServices),
		},
		{
			name:    "an empty list is filled in",
			obj:     annotated(f5Ingress, `nginx.org/websocket-services: ""`),
			facts:   facts,
			changes: f5Changes(nil),
		},
		{
			name:    "a trailing comma is dropped where the missing names are appended",
			obj:     annotated(f5Ingress, `nginx.org/websocket-services: "chat,"`),
			facts:   facts,
			changes: f5Changes(map[string]string{annotationF5WebSocketServices: "chat,feed,live"}),
		},
		{
			name:       "a trailing comma on a complete list is denied: F5 reads an empty Service name",
			obj:        annotated(f5Ingress, `nginx.org/websocket-services: "chat,feed,live,"`),
			facts:      facts,
			changes:    f5Keep(annotationF5WebSocketServices),
			violations: []string{"f5-nginx-websocket-services " + servicesField},
		},
		{
			name:       "a name padded with a space is denied and not listed a second time",
			obj:        annotated(f5Ingress, `nginx.org/websocket-services: "chat, feed"`),
			facts:      facts,
			changes:    f5Changes(map[string]string{annotationF5WebSocketServices: "chat, feed,live"}),
			violations: []string{"f5-nginx-websocket-services " + servicesField},
		},
		{
			name:       "a name that is no backend of the Ingress is denied",
			obj:        annotated(f5Ingress, `nginx.org/websocket-services: old-chat`),
			facts:      facts,
			changes:    f5Changes(map[string]string{annotationF5WebSocketServices: "old-chat,chat,feed,live"}),
			violations: []string{"f5-nginx-websocket-services " + servicesField},
		},
		{
			name: "a user's timeouts of at least an hour are kept, in any NGINX time form",
			obj: annotated(f5Ingress,
				`nginx.org/proxy-read-timeout: 1h 30m`,
				`nginx.org/proxy-send-timeout: "3600"`),
			facts:   facts,
			changes: f5Keep(annotationF5ProxyReadTimeout, annotationF5ProxySendTimeout),
		},
		{
			name: "months (M) are not minutes (m)",
			obj: annotated(f5Ingress,
				`nginx.org/proxy-read-timeout: 1M`,
				`nginx.org/proxy-send-timeout: 1m`),
			facts:      facts,
			changes:    f5Keep(annotationF5ProxyReadTimeout, annotationF5ProxySendTimeout),
			violations: []string{"f5-nginx-timeouts " + sendField},
		},
		{
			name: "timeouts below the minimum are denied and not replaced, bare numbers being seconds",
			obj: annotated(f5Ingress,
				`nginx.org/proxy-read-timeout: 59m59s`,
				`nginx.org/proxy-send-timeout: "60"`),
			facts:      facts,
			changes:    f5Keep(annotationF5ProxyReadTimeout, annotationF5ProxySendTimeout),
			violations: []string{"f5-nginx-timeouts " + readField, "f5-nginx-timeouts " + sendField},
		},
		{
			name: "timeouts that are not NGINX times are denied and not replaced",
			obj: annotated(f5Ingress,
				`nginx.org/proxy-read-timeout: 1 hour`,
				`nginx.org/proxy-send-timeout: 30m1h`),
			facts:      facts,
			changes:    f5Keep(annotationF5ProxyReadTimeout, annotationF5ProxySendTimeout),
			violations: []string{"f5-nginx-timeouts " + readField, "f5-nginx-timeouts " + sendField},
		},
		{
			name:       "an empty timeout is denied and not replaced",
			obj:        annotated(f5Ingress, `nginx.org/proxy-read-timeout: ""`),
			facts:      facts,
			changes:    f5Keep(annotationF5ProxyReadTimeout),
			violations: []string{"f5-nginx-timeouts " + readField},
		},
		{
			name:  "wsguard.io/timeout-seconds changes the injected timeouts",
			obj:   annotated(f5Ingress, `wsguard.io/timeout-seconds: "7200"`),
			facts: facts,
			changes: f5Changes(map[string]string{
				annotationF5ProxyReadTimeout: "7200s",
				annotationF5ProxySendTimeout: "7200s",
			}),
		},
		{
			name:   "the policy's timeout and minimum are used",
			obj:    annotated(f5Ingress, `nginx.org/proxy-read-timeout: 10m`, `nginx.org/proxy-send-timeout: 9m59s`),
			facts:  facts,
			policy: &custom,
			changes: f5Changes(map[string]string{
				annotationF5ProxyReadTimeout: "",
				annotationF5ProxySendTimeout: "",
			}),
			violations: []string{"f5-nginx-timeouts " + sendField},
		},
		{
			name:    "skipping f5-nginx-websocket-services leaves the list alone",
			obj:     annotated(f5Ingress, `wsguard.io/skip-rules: f5-nginx-websocket-services`),
			facts:   facts,
			changes: f5Keep(annotationF5WebSocketServices),
		},
	})
}

// f5IngressWithBackend is f5Ingress reduced to one rule with one backend, served by the F5
// IngressClass of f5Facts.
func f5IngressWithBackend(svc, port string) string {
	return `
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: one
  namespace: demo
  annotations:
    team: chat
spec:
  ingressClassName: nginx
  rules:
  - http:
      paths:
      - path: /
        pathType: Prefix
        backend:
          service: {name: ` + svc + `, port: ` + port + `}
`
}

// f5AnnotationsCreated is the expected changes for an Ingress without annotations: the first
// default creates the map, the others are added to it.
func f5AnnotationsCreated() map[string]any {
	m := f5Keep(annotationF5WebSocketServices)
	m["/metadata/annotations"] = map[string]any{annotationF5WebSocketServices: "chat,feed,live"}
	return m
}

func TestParseNGINXTime(t *testing.T) {
	const (
		second = int64(1000)
		minute = 60 * second
		hour   = 60 * minute
		day    = 24 * hour
	)
	valid := map[string]int64{
		"3600":           3600 * second,
		"3600s":          hour,
		"60m":            hour,
		"1h":             hour,
		"1h30m":          hour + 30*minute,
		"1h 30m":         hour + 30*minute,
		" 1h ":           hour,
		"1h30":           hour + 30*second,
		"1d":             day,
		"2w":             14 * day,
		"1M":             30 * day,
		"1y":             365 * day,
		"1y1M1w1d1h1m1s": 365*day + 30*day + 7*day + day + hour + minute + second,
		"500ms":          500,
		"1s500ms":        1500,
		"1 500ms":        1500,
		"0":              0,
	}
	for in, want := range valid {
		if got, ok := parseNGINXTime(in); !ok || got != want {
			t.Errorf("parseNGINXTime(%q) = %d, %v; want %d, true", in, got, ok, want)
		}
	}
	for _, in := range []string{
		"", " ", "s", "1x", "1 h", "5min", "1.5h", "-1s", "+1s", "30m1h", "1h1h", "1s1m", "5 5",
		"99999999999999999999", "9999999999y",
	} {
		if got, ok := parseNGINXTime(in); ok {
			t.Errorf("parseNGINXTime(%q) = %d, true; want false", in, got)
		}
	}
}
