package defaults

import (
	"encoding/json"
	"fmt"
	"strings"

	"sigs.k8s.io/yaml"
)

// Labels and annotations that decide whether Istio injects a sidecar, and configure it.
const (
	labelIstioInjection      = "istio-injection"
	labelIstioRevision       = "istio.io/rev"
	labelSidecarInject       = "sidecar.istio.io/inject"
	annotationIstioProxyConf = "proxy.istio.io/config"
)

var (
	proxyConfigField = at("spec", "template", "metadata", "annotations").Key(annotationIstioProxyConf)
	proxyConfigPath  = proxyConfigField.Field()
)

// getsIstioSidecar reports whether Istio injects a sidecar into the Deployment's pods: the pod
// label (or the older annotation) decides when present, else the namespace's injection label or
// revision label.
func getsIstioSidecar(ev *evaluation) bool {
	tmpl := ev.podTemplate()
	for _, v := range []string{tmpl.Labels[labelSidecarInject], tmpl.Annotations[labelSidecarInject]} {
		switch v {
		case "true":
			return true
		case "false":
			return false
		}
	}
	ns := ev.facts.Namespace
	if ns == nil {
		return false
	}
	if v, ok := ns.Labels[labelIstioInjection]; ok {
		return v == "enabled"
	}
	_, revision := ns.Labels[labelIstioRevision]
	return revision
}

// defaultIstioSidecarDrain makes the Istio sidecar drain at least as long as the application: the
// sidecar gets SIGTERM as soon as the pod stops (it has no preStop sleep) and closes every
// connection after terminationDrainDuration, 5s by default, while the application is still in
// its preStop sleep. The value goes into the pod's proxy.istio.io/config annotation, merged with
// what the user wrote there.
func defaultIstioSidecarDrain(ev *evaluation) {
	if !getsIstioSidecar(ev) {
		return
	}
	tmpl := ev.podTemplate()
	longestSleep := longestPreStopSleep(ev, tmpl)
	needed := longestSleep + ev.policy.DrainSeconds
	why := fmt.Sprintf("the sidecar keeps WebSocket connections open through the %ds preStop sleep and %ds drain instead of closing them after its 5s default", longestSleep, ev.policy.DrainSeconds)
	raw, present := tmpl.Annotations[annotationIstioProxyConf]
	if !present {
		value := "terminationDrainDuration: " + seconds(needed) + "\n"
		ev.setDefault(proxyConfigField, value, why)
		return
	}
	var conf map[string]any
	if err := yaml.Unmarshal([]byte(raw), &conf); err != nil {
		ev.violate(proxyConfigPath, raw, fmt.Sprintf("is not YAML or JSON Istio can read (%v), so the sidecar ignores it", err), "write a ProxyConfig as YAML, e.g. \"terminationDrainDuration: "+seconds(needed)+"\"")
		return
	}
	current, set := conf["terminationDrainDuration"].(string)
	if !set {
		merged, err := withDrainDuration(raw, conf, seconds(needed))
		if err != nil {
			return
		}
		ev.mergeInto(proxyConfigField, merged, "terminationDrainDuration: "+seconds(needed), why)
		return
	}
	dur, ok := parseIstioDuration(current)
	switch {
	case !ok:
		ev.violate(proxyConfigPath, current, "sets a terminationDrainDuration Istio cannot read", fmt.Sprintf("write a duration such as %q", seconds(needed)))
	case int64(dur.Seconds()) < longestSleep:
		ev.violate(proxyConfigPath, current,
			fmt.Sprintf("makes the sidecar close every WebSocket connection after %s, before the %ds preStop sleep of the application has even ended", dur, longestSleep),
			fmt.Sprintf("set terminationDrainDuration to at least %s (preStop sleep + drain)", seconds(needed)))
	case int64(dur.Seconds()) < needed:
		ev.warn(proxyConfigPath, fmt.Sprintf("terminationDrainDuration %s ends the sidecar's connections before the application's %ds drain is over; %s covers it", dur, ev.policy.DrainSeconds, seconds(needed)))
	}
}

// withDrainDuration adds terminationDrainDuration to a ProxyConfig annotation. YAML gets one
// appended line, so the user's text, order and comments stay; JSON is re-encoded.
func withDrainDuration(raw string, conf map[string]any, value string) (string, error) {
	trimmed := strings.TrimSpace(raw)
	if strings.HasPrefix(trimmed, "{") {
		if conf == nil {
			conf = map[string]any{}
		}
		conf["terminationDrainDuration"] = value
		b, err := json.Marshal(conf)
		return string(b), err
	}
	if trimmed == "" {
		return "terminationDrainDuration: " + value + "\n", nil
	}
	return strings.TrimRight(raw, "\n") + "\nterminationDrainDuration: " + value + "\n", nil
}
