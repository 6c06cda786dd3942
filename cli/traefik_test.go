package cli

import (
	"strings"
	"testing"
)

// TestLegacyTraefikGroupWarns: check warns about an IngressRoute of traefik.containo.us, the
// group Traefik v3 removed, wherever it is; the webhook sees one only where a cluster still
// serves the group. A warning never fails the run.
func TestLegacyTraefikGroupWarns(t *testing.T) {
	const input = `apiVersion: v1
kind: Service
metadata: {name: chat}
spec:
  ports: [{name: websocket, port: 80}]
---
apiVersion: traefik.containo.us/v1alpha1
kind: IngressRoute
metadata: {name: chat}
spec:
  routes:
  - match: Host(` + "`chat.example.com`" + `)
    kind: Rule
    services: [{name: chat, port: 80}]
`
	rep, res := checkJSON(t, input, "-f", "-")
	if res.code != ExitOK {
		t.Fatalf("exit %d, want %d (a warning never fails the run)\n%s", res.code, ExitOK, res.stderr)
	}
	for _, o := range rep.Objects {
		if o.Kind != "IngressRoute" {
			continue
		}
		if len(o.Changes) != 0 {
			t.Errorf("changes %+v: wsguard writes nothing into an object Traefik v3 ignores", o.Changes)
		}
		for _, w := range o.Warnings {
			if w.Rule == "traefik-legacy-api-group" && w.Field == "apiVersion" && strings.Contains(w.Message, "traefik.io/v1alpha1") {
				return
			}
		}
		t.Fatalf("warnings %+v, want traefik-legacy-api-group at apiVersion naming traefik.io/v1alpha1", o.Warnings)
	}
	t.Fatal("the IngressRoute was not judged")
}
