package defaults

import (
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
)

// TestUnknownFieldsSurvive feeds objects carrying fields that no Go type knows, as a newer API
// server might send, at the top of spec and inside list items next to fields that rules change.
// The defaults must be injected and every unknown field must come out exactly as it went in.
func TestUnknownFieldsSurvive(t *testing.T) {
	const future = "futureField: {nested: [1, 2.5, {deep: true, text: 'keep ~/ me'}], big: 9007199254740993}\n"
	cases := []struct {
		name  string
		obj   string
		facts Facts
		// paths of the unknown fields to compare, as map keys from the root.
		paths [][]string
	}{
		{
			name:  "Deployment",
			obj:   replaceOnce(replaceOnce(wsDeployment, "  selector:", "  "+future+"  selector:"), "        image: chat:1\n", "        image: chat:1\n        "+future),
			paths: [][]string{{"spec", "futureField"}, {"spec", "template", "spec", "containers", "0", "futureField"}},
		},
		{
			name:  "Service",
			obj:   replaceOnce(replaceOnce(wsService, "  selector:", "  "+future+"  selector:"), "  - {name: websocket, port: 80, targetPort: 8080}", "  - {name: websocket, port: 80, targetPort: 8080, "+future[:len(future)-1]+"}"),
			paths: [][]string{{"spec", "futureField"}, {"spec", "ports", "0", "futureField"}},
		},
		{
			name: "Ingress",
			obj: `
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: chat, namespace: demo, annotations: {other.example.com/keep: "yes"}}
spec:
  ` + future + `  ingressClassName: nginx
  rules:
  - host: chat.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: chat, port: {name: websocket}}}}
`,
			facts: Facts{IngressClasses: ptrs(networkingv1.IngressClass{Spec: networkingv1.IngressClassSpec{Controller: ControllerIngressNGINX}})},
			paths: [][]string{{"spec", "futureField"}, {"metadata", "annotations", "other.example.com/keep"}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := object(t, tc.obj)
			res := checkInvariants(t, in, DefaultPolicy(), tc.facts)
			if len(res.Changes) == 0 {
				t.Fatal("expected defaults to be injected")
			}
			for _, path := range tc.paths {
				before := lookup(t, in.Object, path)
				after := lookup(t, res.Object.Object, path)
				if mustJSON(before) != mustJSON(after) {
					t.Errorf("%v changed:\n before %s\n after  %s", path, mustJSON(before), mustJSON(after))
				}
			}
		})
	}
}

// lookup walks maps by key and lists by decimal index; it fails the test when a step is missing.
func lookup(t *testing.T, obj map[string]any, path []string) any {
	t.Helper()
	p := newPatcher(obj)
	v, ok := p.get(path...)
	if !ok {
		t.Fatalf("no %v in the object", path)
	}
	return v
}
