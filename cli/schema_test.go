package cli

import (
	"slices"
	"testing"
)

// A VirtualService CRD that still has http[].websocketUpgrade in v1, as an old Istio's did.
const oldVirtualServiceCRD = `
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: virtualservices.networking.istio.io}
spec:
  group: networking.istio.io
  names: {kind: VirtualService, plural: virtualservices}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              http:
                type: array
                items:
                  type: object
                  properties:
                    websocketUpgrade: {type: boolean}
`

const schemaChatService = `
apiVersion: v1
kind: Service
metadata: {name: chat}
spec:
  selector: {app: chat}
  ports: [{name: websocket, port: 80}]
`

const schemaVirtualService = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: chat}
spec:
  hosts: [chat.example.com]
  http:
  - route: [{destination: {host: chat}}]
`

// TestVirtualServiceSchemaFromInput: offline, the VirtualService CRD in the input plays the part
// of the one the webhook reads from the API server.
func TestVirtualServiceSchemaFromInput(t *testing.T) {
	paths := func(rep Report) []string {
		var out []string
		for _, c := range find(t, rep, "VirtualService", "chat").Changes {
			out = append(out, c.Path)
		}
		return out
	}
	with, _ := checkJSON(t, docs(oldVirtualServiceCRD, schemaChatService, schemaVirtualService), "-f", "-")
	if !slices.Contains(paths(with), "/spec/http/0/websocketUpgrade") {
		t.Errorf("with a CRD that has the field, changes %v lack websocketUpgrade", paths(with))
	}
	without, _ := checkJSON(t, docs(schemaChatService, schemaVirtualService), "-f", "-")
	if slices.Contains(paths(without), "/spec/http/0/websocketUpgrade") {
		t.Errorf("without such a CRD, websocketUpgrade must not be injected: %v", paths(without))
	}
}
