package e2e

import (
	"os"
	"path/filepath"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// The GitOps sequence with the real kubectl: apply a manifest, let wsguard default it, then
// apply an edited manifest that picks an alternative to a default or adds an override. The edit
// is admitted with its values stored, client-side and server-side: wsguard's own defaults give
// way (they are recorded in wsguard.io/defaults), the user's values never do.
var _ = Describe("re-applying an edited manifest over wsguard's defaults", func() {
	const ingress = `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: %NAME%
  annotations: {%ANNOTATIONS%}
spec:
  ingressClassName: nginx
  rules:
  - host: chat.example.com
    http:
      paths:
      - {path: /ws, pathType: Prefix, backend: {service: {name: chat, port: {name: websocket}}}}
`
	const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: %NAME%
  annotations: {%ANNOTATIONS%}
spec:
  selector: {matchLabels: {app: %NAME%}}
  template:
    metadata: {labels: {app: %NAME%}}
    spec:
      containers:
      - name: chat
        image: ghcr.io/example/chat:1.4.2
        ports: [{name: websocket, containerPort: 8080}]
        readinessProbe: {tcpSocket: {port: 8080}}
        %LIFECYCLE%
`
	write := func(template, name, annotations, lifecycle string) string {
		s := strings.NewReplacer("%NAME%", name, "%ANNOTATIONS%", annotations, "%LIFECYCLE%", lifecycle).Replace(template)
		path := filepath.Join(GinkgoT().TempDir(), name+".yaml")
		Expect(os.WriteFile(path, []byte(s), 0o644)).To(Succeed())
		return path
	}
	get := func(kind, name, jsonpath string) string {
		out, stderr, err := kubectl("get", "-n", "demo", kind, name, "-o", "jsonpath="+jsonpath)
		Expect(err).NotTo(HaveOccurred(), stderr)
		return out
	}

	for _, mode := range []struct{ name, flag string }{{"client-side", ""}, {"server-side", "--server-side"}} {
		apply := func(path string) string {
			args := []string{"apply", "-n", "demo", "-f", path}
			if mode.flag != "" {
				args = append(args, mode.flag)
			}
			_, stderr, err := kubectl(args...)
			Expect(err).NotTo(HaveOccurred(), stderr)
			return stderr
		}
		suffix := strings.TrimSuffix(mode.name, "-side")

		It("lets upstream-hash-by replace the affinity cookie wsguard injected ("+mode.name+")", func() {
			name := "gitops-hash-" + suffix
			apply(write(ingress, name, "", ""))
			Expect(get("ingress", name, `{.metadata.annotations.nginx\.ingress\.kubernetes\.io/affinity}`)).To(Equal("cookie"))
			stderr := apply(write(ingress, name, `nginx.ingress.kubernetes.io/upstream-hash-by: "$remote_addr"`, ""))
			// The user sees which of wsguard's values gave way, and why.
			Expect(stderr).To(ContainSubstring("Warning: wsguard [released-default]: removed metadata.annotations[nginx.ingress.kubernetes.io/affinity], which wsguard had injected for ingress-nginx-affinity"))
			Expect(get("ingress", name, `{.metadata.annotations.nginx\.ingress\.kubernetes\.io/upstream-hash-by} {.metadata.annotations.nginx\.ingress\.kubernetes\.io/affinity}`)).
				To(Equal("$remote_addr "))
		})

		It("lets an httpGet preStop hook replace the sleep wsguard injected ("+mode.name+")", func() {
			name := "gitops-prestop-" + suffix
			apply(write(deployment, name, "", ""))
			Expect(get("deployment", name, `{.spec.template.spec.containers[0].lifecycle.preStop.sleep.seconds}`)).To(Equal("15"))
			apply(write(deployment, name, "", "lifecycle: {preStop: {httpGet: {path: /drain, port: 8080}}}"))
			Expect(get("deployment", name, `{.spec.template.spec.containers[0].lifecycle.preStop.httpGet.path}|{.spec.template.spec.containers[0].lifecycle.preStop.sleep}`)).
				To(Equal("/drain|"))
		})

		It("applies overrides added later ("+mode.name+")", func() {
			name := "gitops-override-" + suffix
			apply(write(deployment, name, "", ""))
			Expect(get("deployment", name, `{.spec.template.spec.containers[0].lifecycle.preStop.sleep.seconds} {.spec.template.spec.terminationGracePeriodSeconds}`)).To(Equal("15 45"))
			apply(write(deployment, name, `wsguard.io/prestop-seconds: "60", wsguard.io/drain-seconds: "120"`, ""))
			Expect(get("deployment", name, `{.spec.template.spec.containers[0].lifecycle.preStop.sleep.seconds} {.spec.template.spec.terminationGracePeriodSeconds}`)).To(Equal("60 180"))
		})
	}
})
