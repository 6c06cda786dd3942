package defaults

import (
	"fmt"
	"strings"
)

// controllerNames are the short names docs and listings give the Ingress controllers.
var controllerNames = map[string]string{
	ControllerIngressNGINX: "ingress-nginx",
	ControllerF5NGINX:      "F5 NGINX",
	ControllerHAProxy:      "HAProxy",
	ControllerTraefik:      "Traefik",
	ControllerAWSALB:       "AWS ALB",
	ControllerGCE:          "GKE",
}

// ControllerName is the short name of an Ingress controller for listings ("" for none).
func ControllerName(controller string) string {
	if n, ok := controllerNames[controller]; ok {
		return n
	}
	return controller
}

// Markers around the generated part of docs/rules.md.
const (
	RulesIndexBegin = "<!-- BEGIN rules index: generated from the catalog by `make docs`; do not edit -->"
	RulesIndexEnd   = "<!-- END rules index -->"
)

// RulesIndex renders the catalog as the Markdown table of docs/rules.md, in evaluation order,
// each ID linking to its entry on its family's page.
func RulesIndex() string {
	var b strings.Builder
	b.WriteString("| ID | kind | controller | effects | what it does |\n|---|---|---|---|---|\n")
	for _, r := range catalog {
		controller := ControllerName(r.Controller)
		if controller == "" {
			controller = "any"
		}
		fmt.Fprintf(&b, "| [`%s`](rules/%s.md#%s) | %s | %s | %s | %s |\n",
			r.ID, r.Family, r.ID, r.Kind.Kind, controller, r.Effects, strings.ReplaceAll(r.Summary, "|", `\|`))
	}
	return b.String()
}

// ReplaceRulesIndex returns doc with the part between the index markers replaced by RulesIndex.
func ReplaceRulesIndex(doc string) (string, error) {
	begin := strings.Index(doc, RulesIndexBegin)
	end := strings.Index(doc, RulesIndexEnd)
	if begin < 0 || end < begin {
		return "", fmt.Errorf("the rules index markers are missing or out of order")
	}
	return doc[:begin+len(RulesIndexBegin)] + "\n" + RulesIndex() + doc[end:], nil
}
