package defaults

import (
	"slices"
	"testing"
)

func TestHints(t *testing.T) {
	for _, tc := range []struct {
		name, obj string
		want      []string // fields with a hint
	}{
		{"an Ingress with an hour-long timeout and a /socket.io path", `
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: app
  annotations: {nginx.ingress.kubernetes.io/proxy-read-timeout: "3600"}
spec:
  rules:
  - http:
      paths:
      - {path: /socket.io, pathType: Prefix, backend: {service: {name: app, port: {number: 80}}}}
      - {path: /api, pathType: Prefix, backend: {service: {name: app, port: {number: 80}}}}
`, []string{"metadata.annotations[nginx.ingress.kubernetes.io/proxy-read-timeout]", "spec.rules[0].http.paths[0].path"}},
		{"a Deployment whose image mentions sockets", `
apiVersion: apps/v1
kind: Deployment
metadata: {name: app}
spec:
  template:
    spec:
      containers: [{name: app, image: "example/websocket-server:1"}]
`, []string{"spec.template.spec.containers[0].image"}},
		{"a plain Service has no hint", `
apiVersion: v1
kind: Service
metadata: {name: api}
spec:
  ports: [{name: http, port: 80}]
`, nil},
		{"a kind the engine does not judge has no hint", `
apiVersion: v1
kind: ConfigMap
metadata: {name: websocket-config}
`, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, h := range Hints(object(t, tc.obj)) {
				got = append(got, h.Field)
				if h.Confirm == "" || h.Message == "" {
					t.Errorf("hint %+v says nothing", h)
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, tc.want) {
				t.Errorf("hints at %q, want %q", got, tc.want)
			}
		})
	}
}
