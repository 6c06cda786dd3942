package defaults

import (
	"fmt"
	"strconv"
	"strings"
)

// ControllerKong is Kong Ingress Controller's IngressClass controller.
const ControllerKong = "ingress-controllers.konghq.com/kong"

// Service annotations of Kong Ingress Controller that set Kong Gateway's timeouts towards the
// Service's pods, in milliseconds. Kong Gateway's own default for both is 60000: an idle
// WebSocket is closed after a minute.
const (
	annotationKongReadTimeout  = "konghq.com/read-timeout"
	annotationKongWriteTimeout = "konghq.com/write-timeout"
)

var kongRules = family("kong", []Rule{
	{ID: "kong-service-timeouts", Kind: KindService, Controller: ControllerKong, Effects: Defaults | Denies, check: defaultKongTimeouts,
		Summary:     "default konghq.com/read-timeout and write-timeout (milliseconds) to the policy timeout on Services Kong-served Ingresses route to; deny shorter or unreadable ones",
		Remediation: "write a whole number of milliseconds of at least the policy minimum, or remove the annotation to get the policy timeout"},
})

// defaultKongTimeouts sets Kong's read and write timeouts on a WebSocket Service that a
// Kong-served Ingress routes to: Kong applies them to the upgraded connection, and its 60s
// default ends idle WebSockets. Kong reads the annotations from the Service, which is why this
// rule judges Services. A value the user wrote is kept, and judged.
func defaultKongTimeouts(ev *evaluation) {
	if len(ingressesRoutingToService(ev, ControllerKong)) == 0 {
		return
	}
	want := strconv.FormatInt(ev.policy.TimeoutSeconds*1000, 10)
	minimum := ev.policy.MinTimeoutSeconds * 1000
	for _, key := range []string{annotationKongReadTimeout, annotationKongWriteTimeout} {
		ev.setAnnotationDefault(key, want, "Kong Gateway's default of 60000 ms closes idle WebSocket connections after a minute")
		raw, _ := ev.annotation(key)
		ms, err := strconv.ParseInt(strings.TrimSpace(raw), 10, 64)
		switch {
		case err != nil || ms <= 0:
			ev.violate(annotationPath(key), raw, "is not a positive whole number of milliseconds, the only form Kong reads, so Kong keeps its default of 60000 ms and closes idle WebSocket connections after a minute",
				fmt.Sprintf("write milliseconds without a unit, such as %q", want))
		case ms < minimum:
			ev.violate(annotationPath(key), raw, fmt.Sprintf("makes Kong close a WebSocket connection after %s without traffic", formatMilliseconds(ms)),
				fmt.Sprintf("write at least %q (milliseconds), or remove the annotation to get %q", strconv.FormatInt(minimum, 10), want))
		}
	}
}
