package defaults

import (
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func TestMappingTarget(t *testing.T) {
	for in, want := range map[string]struct {
		name, ns string
		port     int32
	}{
		"chat":                           {"chat", "", 0},
		"chat:8080":                      {"chat", "", 8080},
		"chat.demo:80":                   {"chat", "demo", 80},
		"chat.demo.svc.cluster.local:80": {"chat", "demo", 80},
		"http://chat.demo:3000":          {"chat", "demo", 3000},
		"https://chat:443/":              {"chat", "", 443},
		" chat ":                         {"chat", "", 0},
		"chat:http":                      {"chat", "", 0},
	} {
		name, ns, port := mappingTarget(in)
		if name != want.name || ns != want.ns || port != want.port {
			t.Errorf("mappingTarget(%q) = %q %q %d, want %+v", in, name, ns, port, want)
		}
	}
}

// TestMappingAllowUpgradeIsASignal: a Service an Emissary Mapping forwards WebSocket upgrades to
// is WebSocket on the port the Mapping names; Mappings that do not allow the upgrade, speak gRPC
// or name a Service of another namespace say nothing.
func TestMappingAllowUpgradeIsASignal(t *testing.T) {
	svc := object(t, `{apiVersion: v1, kind: Service, metadata: {name: board, namespace: demo}, spec: {selector: {app: board}, ports: [{name: http, port: 3000}, {name: admin, port: 9000}]}}`)
	mapping := func(spec string) unstructured.Unstructured {
		return *object(t, `{apiVersion: getambassador.io/v3alpha1, kind: Mapping, metadata: {name: board, namespace: demo}, spec: `+spec+`}`)
	}
	for _, tc := range []struct {
		name, spec string
		want       bool
		reason     string
	}{
		{"allow_upgrade websocket, port named", `{prefix: /live/, service: "board:3000", allow_upgrade: [WebSocket]}`, true,
			"recognised as WebSocket because Mapping board sends traffic to Service board with allow_upgrade: [websocket]"},
		{"the deprecated use_websocket", `{prefix: /live/, service: board.demo, use_websocket: true}`, true,
			"recognised as WebSocket because Mapping board sends traffic to Service board with use_websocket: true"},
		{"no upgrade", `{prefix: /, service: "board:3000"}`, false, ""},
		{"spdy only", `{prefix: /, service: "board:3000", allow_upgrade: [spdy/3.1]}`, false, ""},
		{"gRPC", `{prefix: /, service: "board:3000", grpc: true, allow_upgrade: [websocket]}`, false, ""},
		{"another namespace's Service", `{prefix: /, service: "board.other:3000", allow_upgrade: [websocket]}`, false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := Evaluate(svc, DefaultPolicy(), Facts{Mappings: []unstructured.Unstructured{mapping(tc.spec)}})
			if res.WebSocket != tc.want {
				t.Fatalf("WebSocket = %v, want %v (%+v)", res.WebSocket, tc.want, res.Reason)
			}
			if tc.want && (res.Reason.Sentence() != tc.reason || res.Reason.Signal != SignalController) {
				t.Errorf("reason = %q (%s), want %q", res.Reason.Sentence(), res.Reason.Signal, tc.reason)
			}
			if tc.name == "allow_upgrade websocket, port named" {
				for _, c := range res.Changes {
					if c.Path == "/spec/ports/1/appProtocol" {
						t.Errorf("the admin port, which the Mapping does not name, was changed")
					}
				}
			}
		})
	}
}
