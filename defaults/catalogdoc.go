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
	ControllerContour:      "Contour",
	ControllerKong:         "Kong",
	ControllerAGIC:         "Azure AGIC",
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

// KnownAppsPage renders docs/known-apps.md: the built-in catalog of WebSocket applications with
// the source each entry cites.
func KnownAppsPage() string {
	var b strings.Builder
	b.WriteString("# Known WebSocket applications\n\n")
	b.WriteString("<!-- Generated from defaults/apps.yaml by `make docs`; do not edit. -->\n\n")
	b.WriteString("A workload running one of these images is WebSocket on the ports listed, and so are the\n" +
		"Services that reach those ports and the routes to the Services ([recognition.md](recognition.md)).\n" +
		"Images match whatever the registry, mirror prefix, tag or digest. This is inference: violations\n" +
		"found on it warn unless the policy's `inferredEnforcement` is `enforce`. Add your own\n" +
		"applications with `knownApps` in the policy ([configuration.md](configuration.md)).\n\n")
	b.WriteString("| application | images | ports | paths | source |\n|---|---|---|---|---|\n")
	for _, a := range KnownApps() {
		images := make([]string, len(a.Images))
		for i, img := range a.Images {
			images[i] = "`" + img + "`"
		}
		paths := make([]string, len(a.Paths))
		for i, p := range a.Paths {
			paths[i] = "`" + p + "`"
		}
		source := ""
		if a.Source != nil {
			ref := "HEAD"
			if a.Source.Commit != "" {
				ref = a.Source.Commit
			}
			source = fmt.Sprintf("[%s `%s`](https://github.com/%s/blob/%s/%s)", a.Source.Repo, a.Source.Path, a.Source.Repo, ref, a.Source.Path)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", a.Name, strings.Join(images, "<br>"), a.portsText(), strings.Join(paths, " "), source)
	}
	return b.String()
}
