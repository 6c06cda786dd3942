package defaults

import (
	"strings"
	"testing"
)

// nginxIngress routes /ws to a port named "ws", which alone marks it as WebSocket. It carries
// one unrelated annotation so that defaults are added key by key.
const nginxIngress = `
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: chat
  namespace: demo
  annotations:
    team: chat
spec:
  ingressClassName: nginx
  rules:
  - host: chat.example.com
    http:
      paths:
      - path: /ws
        pathType: Prefix
        backend:
          service: {name: chat, port: {name: ws}}
`

// nginxClass replaces spec.ingressClassName of a test Ingress; "" removes it.
func nginxClass(manifest, class string) string {
	if class == "" {
		return replaceOnce(manifest, "  ingressClassName: nginx\n", "")
	}
	return replaceOnce(manifest, "  ingressClassName: nginx\n", "  ingressClassName: "+class+"\n")
}

// ingressNGINXChanges is every default the ingress-nginx rules inject under the default policy,
// minus the annotations named in drop.
func ingressNGINXChanges(drop ...string) map[string]any {
	m := map[string]any{
		annotationPointer(annotationIngressNGINXProxyReadTimeout): "3600",
		annotationPointer(annotationIngressNGINXProxySendTimeout): "3600",
		annotationPointer(annotationIngressNGINXAffinity):         "cookie",
		annotationPointer(annotationIngressNGINXAffinityMode):     "persistent",
		annotationPointer(annotationIngressNGINXCookieName):       DefaultCookieName,
		annotationPointer(annotationIngressNGINXCookieMaxAge):     "86400",
	}
	for _, key := range drop {
		delete(m, annotationPointer(key))
	}
	return m
}

// ingressNGINXAffinityKeys are the annotations of the affinity defaults.
var ingressNGINXAffinityKeys = []string{
	annotationIngressNGINXAffinity, annotationIngressNGINXAffinityMode,
	annotationIngressNGINXCookieName, annotationIngressNGINXCookieMaxAge,
}

// ingressNGINXTimeoutKeys are the annotations of the timeout defaults.
var ingressNGINXTimeoutKeys = []string{annotationIngressNGINXProxyReadTimeout, annotationIngressNGINXProxySendTimeout}

func TestIngressNGINXRules(t *testing.T) {
	const (
		readField  = "metadata.annotations[nginx.ingress.kubernetes.io/proxy-read-timeout]"
		sendField  = "metadata.annotations[nginx.ingress.kubernetes.io/proxy-send-timeout]"
		hashField  = "metadata.annotations[nginx.ingress.kubernetes.io/upstream-hash-by]"
		protoField = "metadata.annotations[nginx.ingress.kubernetes.io/backend-protocol]"
	)
	wsService := service(t, `
apiVersion: v1
kind: Service
metadata: {name: chat}
spec:
  selector: {app: chat}
  ports: [{name: websocket, port: 80}]`)
	wsAppProtocolService := service(t, `
apiVersion: v1
kind: Service
metadata: {name: chat}
spec:
  selector: {app: chat}
  ports: [{name: web, port: 80, appProtocol: kubernetes.io/ws}]`)
	byNumber := replaceOnce(nginxIngress, "port: {name: ws}", "port: {number: 80}")
	custom := DefaultPolicy()
	custom.TimeoutSeconds, custom.MinTimeoutSeconds = 600, 300
	custom.Affinity.CookieName, custom.Affinity.CookieMaxAgeSeconds = "SESSION", 3600

	cases := []ruleCase{
		{
			name:    "built-in class name nginx: timeouts and persistent cookie affinity are defaulted",
			obj:     nginxIngress,
			changes: ingressNGINXChanges(),
		},
		{
			name:    "controller resolved through spec.ingressClassName and its IngressClass",
			obj:     nginxClass(nginxIngress, "public"),
			facts:   Facts{IngressClasses: ptrs(ingressClass("public", ControllerIngressNGINX, false))},
			changes: ingressNGINXChanges(),
		},
		{
			// microk8s names its ingress-nginx class "public": without the IngressClass object,
			// the ingress-nginx annotations say which controller the Ingress was written for.
			name: "a class wsguard cannot resolve is served by the controller whose annotations the Ingress carries",
			obj:  annotated(nginxClass(nginxIngress, "public"), `nginx.ingress.kubernetes.io/proxy-read-timeout: "30"`),
			changes: func() map[string]any {
				c := ingressNGINXChanges()
				delete(c, annotationPointer(annotationIngressNGINXProxyReadTimeout))
				return c
			}(),
			violations: []string{"ingress-nginx-timeouts metadata.annotations[nginx.ingress.kubernetes.io/proxy-read-timeout]"},
		},
		{
			name:     "a class wsguard cannot resolve, with no controller's annotations, is left alone",
			obj:      nginxClass(nginxIngress, "public"),
			warnings: []string{"ingress-controller-unknown spec.ingressClassName"},
		},
		{
			name: "annotations of two controllers tell no controller",
			obj: annotated(nginxClass(nginxIngress, ""), `nginx.ingress.kubernetes.io/proxy-read-timeout: "30"`,
				`haproxy.org/timeout-tunnel: 1h`),
			warnings: []string{"ingress-controller-unknown spec.ingressClassName"},
		},
		{
			name:    "controller resolved through the legacy kubernetes.io/ingress.class annotation",
			obj:     annotated(nginxClass(nginxIngress, ""), "kubernetes.io/ingress.class: internal"),
			facts:   Facts{IngressClasses: ptrs(ingressClass("internal", ControllerIngressNGINX, false))},
			changes: ingressNGINXChanges(),
		},
		{
			name: "controller resolved through the default IngressClass",
			obj:  nginxClass(nginxIngress, ""),
			facts: Facts{IngressClasses: ptrs(
				ingressClass("f5", ControllerF5NGINX, false),
				ingressClass("cluster-default", ControllerIngressNGINX, true),
			)},
			changes: ingressNGINXChanges(),
		},
		{
			name:     "an Ingress without a class and without a default IngressClass is left alone, with a warning",
			obj:      nginxClass(nginxIngress, ""),
			warnings: []string{"ingress-controller-unknown spec.ingressClassName"},
		},
		{
			name: "an Ingress for another controller is not judged by ingress-nginx rules",
			obj: annotated(nginxClass(nginxIngress, "other"),
				`nginx.ingress.kubernetes.io/proxy-read-timeout: "30"`,
				`nginx.ingress.kubernetes.io/backend-protocol: FCGI`,
				`nginx.ingress.kubernetes.io/websocket-services: chat`),
			facts: Facts{IngressClasses: ptrs(ingressClass("other", "example.com/other", false))},
		},
		{
			name: "an Ingress for F5 NGINX gets only F5 defaults, even with ingress-nginx annotations",
			obj: annotated(nginxClass(nginxIngress, "nginx-org"),
				`nginx.ingress.kubernetes.io/proxy-read-timeout: 3600s`,
				`nginx.ingress.kubernetes.io/websocket-services: chat`),
			changes: map[string]any{
				annotationPointer(annotationF5WebSocketServices): "chat",
				annotationPointer(annotationF5ProxyReadTimeout):  "3600s",
				annotationPointer(annotationF5ProxySendTimeout):  "3600s",
			},
		},
		{
			name:         "a non-WebSocket Ingress is untouched",
			obj:          replaceOnce(nginxIngress, "port: {name: ws}", "port: {name: http}"),
			notWebSocket: true,
		},
		{
			name:    "WebSocket detected through a Service port named websocket",
			obj:     byNumber,
			facts:   Facts{Services: ptrs(wsService)},
			changes: ingressNGINXChanges(),
		},
		{
			name:    "WebSocket detected through a Service port with appProtocol kubernetes.io/ws",
			obj:     byNumber,
			facts:   Facts{Services: ptrs(wsAppProtocolService)},
			changes: ingressNGINXChanges(),
		},
		{
			name: "an Ingress without annotations gets the annotations map created",
			obj:  replaceOnce(nginxIngress, "  annotations:\n    team: chat\n", ""),
			changes: func() map[string]any {
				m := ingressNGINXChanges(annotationIngressNGINXProxyReadTimeout)
				m["/metadata/annotations"] = map[string]any{annotationIngressNGINXProxyReadTimeout: "3600"}
				return m
			}(),
		},
		{
			name: "a user's timeouts at or above the minimum are kept",
			obj: annotated(nginxIngress,
				`nginx.ingress.kubernetes.io/proxy-read-timeout: "7200"`,
				`nginx.ingress.kubernetes.io/proxy-send-timeout: "3600"`),
			changes: ingressNGINXChanges(ingressNGINXTimeoutKeys...),
		},
		{
			name:       "a timeout below the minimum is denied and not replaced",
			obj:        annotated(nginxIngress, `nginx.ingress.kubernetes.io/proxy-read-timeout: "60"`),
			changes:    ingressNGINXChanges(annotationIngressNGINXProxyReadTimeout),
			violations: []string{"ingress-nginx-timeouts " + readField},
		},
		{
			name:       "a send timeout below the minimum is denied too",
			obj:        annotated(nginxIngress, `nginx.ingress.kubernetes.io/proxy-send-timeout: "3599"`),
			changes:    ingressNGINXChanges(annotationIngressNGINXProxySendTimeout),
			violations: []string{"ingress-nginx-timeouts " + sendField},
		},
		{
			name: "timeouts with a unit or a decimal are denied and not replaced",
			obj: annotated(nginxIngress,
				`nginx.ingress.kubernetes.io/proxy-read-timeout: 3600s`,
				`nginx.ingress.kubernetes.io/proxy-send-timeout: "3600.5"`),
			changes:    ingressNGINXChanges(ingressNGINXTimeoutKeys...),
			violations: []string{"ingress-nginx-timeout-format " + readField, "ingress-nginx-timeout-format " + sendField},
		},
		{
			name: "empty and negative timeouts are denied and not replaced",
			obj: annotated(nginxIngress,
				`nginx.ingress.kubernetes.io/proxy-read-timeout: ""`,
				`nginx.ingress.kubernetes.io/proxy-send-timeout: "-3600"`),
			changes:    ingressNGINXChanges(ingressNGINXTimeoutKeys...),
			violations: []string{"ingress-nginx-timeout-format " + readField, "ingress-nginx-timeout-format " + sendField},
		},
		{
			name:       "a timeout with surrounding spaces is denied, as ingress-nginx does not trim it",
			obj:        annotated(nginxIngress, `nginx.ingress.kubernetes.io/proxy-read-timeout: " 3600"`),
			changes:    ingressNGINXChanges(annotationIngressNGINXProxyReadTimeout),
			violations: []string{"ingress-nginx-timeout-format " + readField},
		},
		{
			name: "wsguard.io/timeout-seconds changes the injected timeouts",
			obj:  annotated(nginxIngress, `wsguard.io/timeout-seconds: "7200"`),
			changes: func() map[string]any {
				m := ingressNGINXChanges()
				m[annotationPointer(annotationIngressNGINXProxyReadTimeout)] = "7200"
				m[annotationPointer(annotationIngressNGINXProxySendTimeout)] = "7200"
				return m
			}(),
		},
		{
			name:   "the policy's timeout, minimum and cookie are used",
			obj:    annotated(nginxIngress, `nginx.ingress.kubernetes.io/proxy-read-timeout: "400"`),
			policy: &custom,
			changes: map[string]any{
				annotationPointer(annotationIngressNGINXProxySendTimeout): "600",
				annotationPointer(annotationIngressNGINXAffinity):         "cookie",
				annotationPointer(annotationIngressNGINXAffinityMode):     "persistent",
				annotationPointer(annotationIngressNGINXCookieName):       "SESSION",
				annotationPointer(annotationIngressNGINXCookieMaxAge):     "3600",
			},
		},
		{
			name:    "a user's upstream-hash-by replaces the affinity defaults",
			obj:     annotated(nginxIngress, `nginx.ingress.kubernetes.io/upstream-hash-by: $remote_addr`),
			changes: ingressNGINXChanges(ingressNGINXAffinityKeys...),
		},
		{
			name:    "a user's affinity is kept, with no mode, cookie name or max age added",
			obj:     annotated(nginxIngress, `nginx.ingress.kubernetes.io/affinity: cookie`),
			changes: ingressNGINXChanges(ingressNGINXAffinityKeys...),
		},
		{
			name:    "a user's cookie name is kept while the other affinity defaults are added",
			obj:     annotated(nginxIngress, `nginx.ingress.kubernetes.io/session-cookie-name: mine`),
			changes: ingressNGINXChanges(annotationIngressNGINXCookieName),
		},
		{
			name: "affinity together with upstream-hash-by is denied",
			obj: annotated(nginxIngress,
				`nginx.ingress.kubernetes.io/affinity: cookie`,
				`nginx.ingress.kubernetes.io/upstream-hash-by: $remote_addr`),
			changes:    ingressNGINXChanges(ingressNGINXAffinityKeys...),
			violations: []string{"ingress-nginx-affinity " + hashField},
		},
		{
			name:    "wsguard.io/affinity=false turns the affinity defaults off",
			obj:     annotated(nginxIngress, `wsguard.io/affinity: "false"`),
			changes: ingressNGINXChanges(ingressNGINXAffinityKeys...),
		},
		{
			name: "skipping ingress-nginx-timeouts drops its defaults and its minimum, not the format check",
			obj: annotated(nginxIngress,
				`wsguard.io/skip-rules: ingress-nginx-timeouts`,
				`nginx.ingress.kubernetes.io/proxy-read-timeout: "30"`,
				`nginx.ingress.kubernetes.io/proxy-send-timeout: 30s`),
			changes:    ingressNGINXChanges(ingressNGINXTimeoutKeys...),
			violations: []string{"ingress-nginx-timeout-format " + sendField},
		},
		{
			name:    "backend-protocol HTTPS is accepted",
			obj:     annotated(nginxIngress, `nginx.ingress.kubernetes.io/backend-protocol: HTTPS`),
			changes: ingressNGINXChanges(),
		},
		{
			name:     "nginx.ingress.kubernetes.io/websocket-services is warned about as a no-op",
			obj:      annotated(nginxIngress, `nginx.ingress.kubernetes.io/websocket-services: chat`),
			changes:  ingressNGINXChanges(),
			warnings: []string{"ingress-nginx-websocket-services-noop metadata.annotations[nginx.ingress.kubernetes.io/websocket-services]"},
		},
		{
			name:     "a misspelt ingress-nginx annotation is warned about; real ones, in any number, are not",
			obj:      annotated(nginxIngress, `nginx.ingress.kubernetes.io/proxy-read-timout: "7200"`, `nginx.ingress.kubernetes.io/enable-cors: "true"`, `nginx.ingress.kubernetes.io/canary-by-header: x`),
			changes:  ingressNGINXChanges(),
			warnings: []string{"ingress-nginx-unknown-annotation metadata.annotations[nginx.ingress.kubernetes.io/proxy-read-timout]"},
		},
	}
	cases = append(cases, ruleCase{
		name:     "an ssl-passthrough Ingress gets no HTTP-level defaults, and a warning",
		obj:      annotated(nginxIngress, `nginx.ingress.kubernetes.io/ssl-passthrough: "true"`, `nginx.ingress.kubernetes.io/proxy-read-timeout: "30"`),
		warnings: []string{"ingress-nginx-ssl-passthrough metadata.annotations[nginx.ingress.kubernetes.io/ssl-passthrough]"},
	})
	cases = append(cases, ruleCase{
		name:     "WebSocket headers in a configuration snippet are warned about",
		obj:      annotated(nginxIngress, `nginx.ingress.kubernetes.io/configuration-snippet: "proxy_set_header Upgrade $http_upgrade;"`),
		changes:  ingressNGINXChanges(),
		warnings: []string{"ingress-nginx-snippet metadata.annotations[nginx.ingress.kubernetes.io/configuration-snippet]"},
	}, ruleCase{
		name:    "a snippet without WebSocket settings is not",
		obj:     annotated(nginxIngress, `nginx.ingress.kubernetes.io/configuration-snippet: "more_set_headers \"X-Frame-Options: DENY\";"`),
		changes: ingressNGINXChanges(),
	}, ruleCase{
		name:     "the guide's 3600s connect timeout is warned about; a few seconds is fine",
		obj:      annotated(nginxIngress, `nginx.ingress.kubernetes.io/proxy-connect-timeout: "3600"`),
		changes:  ingressNGINXChanges(),
		warnings: []string{"ingress-nginx-connect-timeout metadata.annotations[nginx.ingress.kubernetes.io/proxy-connect-timeout]"},
	}, ruleCase{
		name:    "a connect timeout of a few seconds is fine",
		obj:     annotated(nginxIngress, `nginx.ingress.kubernetes.io/proxy-connect-timeout: "5"`),
		changes: ingressNGINXChanges(),
	})
	for _, proto := range []string{"FCGI", " ajp "} {
		cases = append(cases, ruleCase{
			name:       "backend-protocol " + proto + " is denied",
			obj:        annotated(nginxIngress, `nginx.ingress.kubernetes.io/backend-protocol: "`+proto+`"`),
			changes:    ingressNGINXChanges(),
			violations: []string{"ingress-nginx-backend-protocol " + protoField},
		})
	}
	for _, proto := range []string{"GRPC", "grpcs"} {
		cases = append(cases, ruleCase{
			// A gRPC route to a Service that also serves WebSockets elsewhere (a UI and its API
			// on one Service, each with its own Ingress) is not a WebSocket path.
			name:         "backend-protocol " + proto + " makes the Ingress a gRPC route, left alone",
			obj:          annotated(nginxIngress, `nginx.ingress.kubernetes.io/backend-protocol: "`+proto+`"`),
			notWebSocket: true,
		}, ruleCase{
			name: "backend-protocol " + proto + " on an Ingress marked WebSocket is denied",
			obj: annotated(nginxIngress, `nginx.ingress.kubernetes.io/backend-protocol: "`+proto+`"`,
				`wsguard.io/websocket: "true"`),
			changes:    ingressNGINXChanges(),
			violations: []string{"ingress-nginx-backend-protocol " + protoField},
		})
	}
	runRuleCases(t, cases)
}

// TestUnknownIngressNGINXAnnotationMessage: the warning names the closest real annotation, and
// none when nothing is close.
func TestUnknownIngressNGINXAnnotationMessage(t *testing.T) {
	for _, tc := range []struct{ key, want string }{
		{"server-snippets", "did you mean nginx.ingress.kubernetes.io/server-snippet?"},
		{"proxy-read-timout", "did you mean nginx.ingress.kubernetes.io/proxy-read-timeout?"},
		{"affinty-mode", "did you mean nginx.ingress.kubernetes.io/affinity-mode?"},
		{"websocket-upgrade-everything", "so it does nothing and the setting keeps its default"},
	} {
		res := Evaluate(object(t, annotated(nginxIngress, "nginx.ingress.kubernetes.io/"+tc.key+": x")), DefaultPolicy(), Facts{})
		var got string
		for _, w := range res.Warnings {
			if w.Rule == "ingress-nginx-unknown-annotation" {
				got = w.Message
			}
		}
		if !strings.Contains(got, tc.want) {
			t.Errorf("%s: warning %q, want it to contain %q", tc.key, got, tc.want)
		}
		if tc.key == "websocket-upgrade-everything" && strings.Contains(got, "did you mean") {
			t.Errorf("%s: suggested a name nothing like it: %q", tc.key, got)
		}
	}
}
