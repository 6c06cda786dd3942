package e2e

import (
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// What a user sees when wsguard denies: kubectl prints a denial one way for a single file (the
// status causes: kind, name, then one "field: message" per violation) and another way for a
// folder (the status message, behind "error when creating"). Both are pinned here as the real
// kubectl prints them, so that a change to the wording is a visible change to this test.
var _ = Describe("a denial as kubectl prints it", func() {
	It("names the rule once and the field once for a single file", func() {
		_, stderr, err := kubectl("apply", "-n", "demo", "-f", "examples/unsafe/ingress-nginx-timeout-units.yaml")
		Expect(err).To(HaveOccurred())
		Expect(withoutWarnings(stderr)).To(Equal(singleFileDenial))
	})

	It("prints every violation with its rule for a folder", func() {
		_, stderr, err := kubectl("apply", "-n", "demo", "-f", "examples/unsafe/")
		Expect(err).To(HaveOccurred())
		Expect(withoutWarnings(stderr)).To(Equal(folderDenial))
	})
})

// withoutWarnings drops kubectl's "Warning:" lines (the defaults, pinned elsewhere).
func withoutWarnings(stderr string) string {
	var kept []string
	for line := range strings.SplitSeq(stderr, "\n") {
		if !strings.HasPrefix(line, "Warning: ") {
			kept = append(kept, line)
		}
	}
	return strings.Join(kept, "\n")
}

const singleFileDenial = `The Ingress "chat-units" is invalid: 
* metadata.annotations[nginx.ingress.kubernetes.io/proxy-read-timeout]: [ingress-nginx-timeout-format] "3600s" is not a whole number of seconds, so ingress-nginx ignores it and applies its default of 60s, which closes idle WebSocket connections after a minute; write a plain number of seconds without a unit, such as "3600"
* metadata.annotations[nginx.ingress.kubernetes.io/proxy-send-timeout]: [ingress-nginx-timeout-format] "3600s" is not a whole number of seconds, so ingress-nginx ignores it and applies its default of 60s, which closes idle WebSocket connections after a minute; write a plain number of seconds without a unit, such as "3600"
`

const folderDenial = `Error from server (Invalid): error when creating "examples/unsafe/deployment-short-grace.yaml": admission webhook "deployments.validate.wsguard.io" denied the request: wsguard: this object would break WebSocket traffic:
[deployment-grace-period] spec.template.spec.terminationGracePeriodSeconds: "10" is not longer than the 20s preStop sleep, so the container is killed before it can close its WebSocket connections; set it to at least 50 (preStop sleep + 30s drain)
(recognised as WebSocket because container chat has a port named "websocket")
Error from server (Invalid): error when creating "examples/unsafe/ingress-nginx-timeout-units.yaml": admission webhook "ingresses.validate.wsguard.io" denied the request: wsguard: this object would break WebSocket traffic:
[ingress-nginx-timeout-format] metadata.annotations[nginx.ingress.kubernetes.io/proxy-read-timeout]: "3600s" is not a whole number of seconds, so ingress-nginx ignores it and applies its default of 60s, which closes idle WebSocket connections after a minute; write a plain number of seconds without a unit, such as "3600"
[ingress-nginx-timeout-format] metadata.annotations[nginx.ingress.kubernetes.io/proxy-send-timeout]: "3600s" is not a whole number of seconds, so ingress-nginx ignores it and applies its default of 60s, which closes idle WebSocket connections after a minute; write a plain number of seconds without a unit, such as "3600"
(recognised as WebSocket because its backend port "websocket" is named as WebSocket)
Error from server (Invalid): error when creating "examples/unsafe/service-grpc-port.yaml": admission webhook "services.validate.wsguard.io" denied the request: wsguard: this object would break WebSocket traffic:
[service-http2-port] spec.ports[0].name: "grpc-websocket" starts with an HTTP/2 protocol prefix, so Istio's protocol selection speaks HTTP/2 to it, which cannot carry the HTTP/1.1 Upgrade of a WebSocket handshake; rename the port with an "http-" or "ws-" prefix, or serve HTTP/2 traffic on a separate port
(recognised as WebSocket because port "grpc-websocket" of Service chat-grpc is named as WebSocket)
`
