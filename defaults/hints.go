package defaults

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Hint is a weak sign that an object may carry WebSocket traffic: not enough to act on (wsguard
// never does), but worth a look. Confirm is the one line that would make wsguard recognise it.
type Hint struct {
	Field   string `json:"field"`
	Message string `json:"message"`
	Confirm string `json:"confirm"`
}

// webSocketPathHint matches the paths WebSocket endpoints are commonly served on.
var webSocketPathHint = regexp.MustCompile(`(?i)(^|/)(ws|wss|websockets?|socket\.io|sockjs|cable|live|stream|realtime|hub|signalr)(/|$)`)

// Hints lists the weak signs in an object of a kind the engine judges that it may carry
// WebSocket traffic: hour-long proxy timeouts (set for long-lived connections), Upgrade
// headers in annotations wsguard does not read as a declaration, paths such as /ws or
// /socket.io, and "websocket" or "socket" in a name or image. They are for `wsguard check
// --explain`; the engine never acts on them.
func Hints(obj *unstructured.Unstructured) []Hint {
	if !Supports(obj.GroupVersionKind().GroupKind()) {
		return nil
	}
	confirm := fmt.Sprintf(`annotate %s %s with %s: "true"`, obj.GetKind(), obj.GetName(), AnnotationWebSocket)
	if gk := obj.GroupVersionKind().GroupKind(); gk != KindService && gk != KindDeployment && gk != KindStatefulSet && gk != KindDaemonSet {
		// A route follows its Service, and so do the pods behind it: one annotation covers all.
		confirm = fmt.Sprintf(`annotate the Service it routes to with %s: "true" (the %s and the pods behind the Service follow)`, AnnotationWebSocket, obj.GetKind())
	}
	var out []Hint
	add := func(field, format string, args ...any) {
		out = append(out, Hint{Field: field, Message: fmt.Sprintf(format, args...), Confirm: confirm})
	}
	for key, v := range obj.GetAnnotations() {
		path := annotationPath(key).String()
		if strings.Contains(key, "timeout") {
			if n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), "s")); err == nil && n >= 3600 {
				add(path, "an idle timeout of an hour or more is usually set for long-lived connections such as WebSockets")
			}
		}
		if strings.Contains(strings.ToLower(v), "upgrade") && (strings.Contains(key, "snippet") || strings.Contains(key, "config")) {
			add(path, "configuration here mentions the Upgrade header that opens a WebSocket")
		}
	}
	if strings.Contains(strings.ToLower(obj.GetName()), "socket") {
		add("metadata.name", "the name mentions sockets")
	}
	walkStrings(obj.Object, "", func(path, key, value string) {
		switch key {
		case "path":
			if strings.HasPrefix(path, "spec.") && webSocketPathHint.MatchString(value) {
				add(path, "routes %s, a path WebSocket endpoints are commonly served on", value)
			}
		case "image":
			if strings.Contains(strings.ToLower(imagePath(value)), "socket") {
				add(path, "the image %s mentions sockets", value)
			}
		case "name":
			if strings.Contains(path, "ports[") && strings.Contains(strings.ToLower(value), "socket") {
				add(path, "the port name %q mentions sockets", value)
			}
		}
	})
	slices.SortFunc(out, func(a, b Hint) int { return strings.Compare(a.Field+a.Message, b.Field+b.Message) })
	return out
}

// walkStrings visits every string value under v with its field path (spec.rules[0].http...).
func walkStrings(v any, path string, visit func(path, key, value string)) {
	switch x := v.(type) {
	case map[string]any:
		for k, child := range x {
			p := k
			if path != "" {
				p = path + "." + k
			}
			if s, ok := child.(string); ok {
				visit(p, k, s)
				continue
			}
			if k == "metadata" && path == "" {
				continue // annotations and labels are judged above
			}
			walkStrings(child, p, visit)
		}
	case []any:
		for i, child := range x {
			walkStrings(child, fmt.Sprintf("%s[%d]", path, i), visit)
		}
	}
}
