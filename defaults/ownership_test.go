package defaults

import (
	"encoding/json"
	"reflect"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// TestDefaultsLiveWithTheObject is the GitOps sequence: an object is admitted and defaulted,
// then its author edits the manifest (an alternative to a default, an override added later, a
// value of their own) and applies it again. kubectl apply, client-side or server-side, merges
// the edit into the stored object, which still holds wsguard's defaults; the second admission
// must give the author's edit precedence over them.
func TestDefaultsLiveWithTheObject(t *testing.T) {
	for _, tc := range []struct {
		name  string
		obj   string
		facts Facts
		// edit changes the stored (defaulted) object the way a re-apply of the edited manifest does.
		edit func(u *unstructured.Unstructured)
		// want maps JSON pointers to what the object must hold after the second admission (nil:
		// absent).
		want map[string]any
	}{
		{
			name: "upstream-hash-by added to an Ingress defaulted with cookie affinity replaces the cookie",
			obj:  nginxIngress,
			edit: annotate(annotationIngressNGINXUpstreamHashBy, "$remote_addr"),
			want: map[string]any{
				annotationPointer(annotationIngressNGINXUpstreamHashBy):   "$remote_addr",
				annotationPointer(annotationIngressNGINXAffinity):         nil,
				annotationPointer(annotationIngressNGINXAffinityMode):     nil,
				annotationPointer(annotationIngressNGINXCookieName):       nil,
				annotationPointer(annotationIngressNGINXProxyReadTimeout): "3600",
			},
		},
		{
			name: "a timeout override added later replaces wsguard's timeout; affinity \"false\" removes its cookie",
			obj:  nginxIngress,
			edit: func(u *unstructured.Unstructured) {
				annotate(AnnotationTimeoutSeconds, "7200")(u)
				annotate(AnnotationAffinity, "false")(u)
			},
			want: map[string]any{
				annotationPointer(annotationIngressNGINXProxyReadTimeout): "7200",
				annotationPointer(annotationIngressNGINXProxySendTimeout): "7200",
				annotationPointer(annotationIngressNGINXAffinity):         nil,
			},
		},
		{
			name: "a value the user changed is theirs: a later override does not touch it",
			obj:  nginxIngress,
			edit: func(u *unstructured.Unstructured) {
				annotate(annotationIngressNGINXProxyReadTimeout, "5400")(u)
				annotate(AnnotationTimeoutSeconds, "7200")(u)
			},
			want: map[string]any{
				annotationPointer(annotationIngressNGINXProxyReadTimeout): "5400",
				annotationPointer(annotationIngressNGINXProxySendTimeout): "7200",
			},
		},
		{
			name: "opting out later takes back wsguard's values and its record; a value the user changed stays",
			obj:  nginxIngress,
			edit: func(u *unstructured.Unstructured) {
				annotate(annotationIngressNGINXProxyReadTimeout, "5400")(u)
				annotate(AnnotationWebSocket, "false")(u)
			},
			want: map[string]any{
				annotationPointer(annotationIngressNGINXProxyReadTimeout): "5400",
				annotationPointer(annotationIngressNGINXProxySendTimeout): nil,
				annotationPointer(annotationIngressNGINXAffinity):         nil,
				annotationPointer(annotationIngressNGINXCookieName):       nil,
				annotationPointer(AnnotationDefaults):                     nil,
				annotationPointer(AnnotationWebSocket):                    "false",
			},
		},
		{
			name: "an httpGet preStop hook added to a Deployment defaulted with a sleep replaces the sleep",
			obj:  wsDeployment,
			edit: func(u *unstructured.Unstructured) {
				set(u, map[string]any{"path": "/drain", "port": int64(8080)}, "spec", "template", "spec", "containers", "0", "lifecycle", "preStop", "httpGet")
			},
			want: map[string]any{
				"/spec/template/spec/containers/0/lifecycle/preStop/sleep":        nil,
				"/spec/template/spec/containers/0/lifecycle/preStop/httpGet/path": "/drain",
				"/spec/template/spec/terminationGracePeriodSeconds":               30,
			},
		},
		{
			name: "preStop and drain overrides added later take effect",
			obj:  wsDeployment,
			edit: func(u *unstructured.Unstructured) {
				annotate(AnnotationPreStopSeconds, "60")(u)
				annotate(AnnotationDrainSeconds, "120")(u)
			},
			want: map[string]any{
				"/spec/template/spec/containers/0/lifecycle/preStop/sleep/seconds": 60,
				"/spec/template/spec/terminationGracePeriodSeconds":                180,
			},
		},
		{
			name: "an override added with a container inserted before the defaulted one reaches the sleep wsguard injected",
			obj:  wsDeployment,
			edit: func(u *unstructured.Unstructured) {
				containers, _, _ := unstructured.NestedSlice(u.Object, "spec", "template", "spec", "containers")
				logs := map[string]any{"name": "logs", "image": "fluent-bit:3"}
				_ = unstructured.SetNestedSlice(u.Object, append([]any{logs}, containers...), "spec", "template", "spec", "containers")
				annotate(AnnotationPreStopSeconds, "60")(u)
			},
			want: map[string]any{
				"/spec/template/spec/containers/0/lifecycle":                       nil,
				"/spec/template/spec/containers/1/lifecycle/preStop/sleep/seconds": 60,
				"/spec/template/spec/terminationGracePeriodSeconds":                90,
			},
		},
		{
			name: "an httpGet preStop hook added with a container inserted before replaces the sleep",
			obj:  wsDeployment,
			edit: func(u *unstructured.Unstructured) {
				containers, _, _ := unstructured.NestedSlice(u.Object, "spec", "template", "spec", "containers")
				logs := map[string]any{"name": "logs", "image": "fluent-bit:3"}
				_ = unstructured.SetNestedSlice(u.Object, append([]any{logs}, containers...), "spec", "template", "spec", "containers")
				set(u, map[string]any{"path": "/drain", "port": int64(8080)}, "spec", "template", "spec", "containers", "1", "lifecycle", "preStop", "httpGet")
			},
			want: map[string]any{
				"/spec/template/spec/containers/1/lifecycle/preStop/sleep":        nil,
				"/spec/template/spec/containers/1/lifecycle/preStop/httpGet/path": "/drain",
			},
		},
		{
			// A client-side apply merges the user's {type: LeastRequest} into wsguard's whole
			// loadBalancer: wsguard's consistentHash member must go with its type.
			name:  "another load-balancer type merged into Envoy Gateway's defaulted cookie hash drops wsguard's member",
			obj:   backendTrafficPolicy,
			facts: envoyFacts(t),
			edit: func(u *unstructured.Unstructured) {
				// A field the CRD defaults into the stored member, which wsguard did not write.
				set(u, int64(3), "spec", "loadBalancer", "consistentHash", "slowStartWindow")
				set(u, "LeastRequest", "spec", "loadBalancer", "type")
			},
			want: map[string]any{
				"/spec/loadBalancer/type":              "LeastRequest",
				"/spec/loadBalancer/consistentHash":    nil,
				"/spec/timeout/http/streamIdleTimeout": "3600s",
			},
		},
		{
			name:  "another hash type merged into the defaulted cookie hash drops wsguard's cookie and keeps the user's header",
			obj:   backendTrafficPolicy,
			facts: envoyFacts(t),
			edit: func(u *unstructured.Unstructured) {
				set(u, "Header", "spec", "loadBalancer", "consistentHash", "type")
				set(u, map[string]any{"name": "x-user"}, "spec", "loadBalancer", "consistentHash", "header")
			},
			want: map[string]any{
				"/spec/loadBalancer/type":                       "ConsistentHash",
				"/spec/loadBalancer/consistentHash/type":        "Header",
				"/spec/loadBalancer/consistentHash/header/name": "x-user",
				"/spec/loadBalancer/consistentHash/cookie":      nil,
			},
		},
		{
			name:  "a changed cookie name keeps the rest of wsguard's union as it is",
			obj:   backendTrafficPolicy,
			facts: envoyFacts(t),
			edit: func(u *unstructured.Unstructured) {
				set(u, "session", "spec", "loadBalancer", "consistentHash", "cookie", "name")
			},
			want: map[string]any{
				"/spec/loadBalancer/type":                       "ConsistentHash",
				"/spec/loadBalancer/consistentHash/type":        "Cookie",
				"/spec/loadBalancer/consistentHash/cookie/name": "session",
				"/spec/loadBalancer/consistentHash/cookie/ttl":  "86400s",
			},
		},
		{
			name:  "a simple load balancer added to a DestinationRule defaulted with consistent hashing replaces it",
			obj:   destinationRule,
			facts: meshFacts(t),
			edit: func(u *unstructured.Unstructured) {
				set(u, "LEAST_REQUEST", "spec", "trafficPolicy", "loadBalancer", "simple")
			},
			want: map[string]any{
				"/spec/trafficPolicy/loadBalancer/simple":         "LEAST_REQUEST",
				"/spec/trafficPolicy/loadBalancer/consistentHash": nil,
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			first := checkInvariants(t, object(t, tc.obj), DefaultPolicy(), tc.facts)
			if len(first.Changes) == 0 {
				t.Fatal("the first admission injected nothing")
			}
			stored := first.Object.DeepCopy()
			tc.edit(stored)
			second := checkInvariants(t, stored, DefaultPolicy(), tc.facts)
			if len(second.Violations) > 0 {
				t.Errorf("the edit is denied: %s", second.Violations[0].Message())
			}
			raw, _ := json.Marshal(second.Object.Object)
			var doc any
			_ = json.Unmarshal(raw, &doc)
			for ptr, want := range tc.want {
				got, ok := atPointer(doc, ptr)
				switch {
				case want == nil && ok:
					t.Errorf("%s = %v, want it removed", ptr, got)
				case want != nil && (!ok || !reflect.DeepEqual(normaliseJSON(got), normaliseJSON(want))):
					t.Errorf("%s = %v (present %v), want %v", ptr, got, ok, want)
				}
			}
		})
	}
}

func annotate(key, value string) func(*unstructured.Unstructured) {
	return func(u *unstructured.Unstructured) {
		a := u.GetAnnotations()
		if a == nil {
			a = map[string]string{}
		}
		a[key] = value
		u.SetAnnotations(a)
	}
}

func set(u *unstructured.Unstructured, value any, path ...string) {
	p := newPatcher(u.Object)
	p.working = u.Object
	p.write("test", "", value, path)
}

func atPointer(doc any, ptr string) (any, bool) {
	segs, err := SplitJSONPointer(ptr)
	if err != nil {
		return nil, false
	}
	p := newPatcher(map[string]any{})
	if m, ok := doc.(map[string]any); ok {
		p = newPatcher(m)
	}
	return p.get(segs...)
}

func TestFieldOfPointer(t *testing.T) {
	for ptr, want := range map[string]string{
		"/metadata/annotations/nginx.ingress.kubernetes.io~1affinity": "metadata.annotations[nginx.ingress.kubernetes.io/affinity]",
		"/spec/template/spec/containers/0/lifecycle/preStop/sleep":    "spec.template.spec.containers[0].lifecycle.preStop.sleep",
	} {
		if got := fieldOfPointer(ptr); got != want {
			t.Errorf("fieldOfPointer(%q) = %q, want %q", ptr, got, want)
		}
	}
}
