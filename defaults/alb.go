package defaults

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"

	networkingv1 "k8s.io/api/networking/v1"
)

// Annotations of the AWS Load Balancer Controller (kubernetes-sigs/aws-load-balancer-controller)
// that the rules read or write.
const (
	annotationALBLoadBalancerAttributes = "alb.ingress.kubernetes.io/load-balancer-attributes"
	annotationALBTargetGroupAttributes  = "alb.ingress.kubernetes.io/target-group-attributes"
	annotationALBGroupName              = "alb.ingress.kubernetes.io/group.name"
)

// Attributes of the load balancer and its target groups, and the ranges AWS accepts for them
// (ELBv2 API reference, LoadBalancerAttribute and TargetGroupAttribute).
const (
	albIdleTimeoutKey            = "idle_timeout.timeout_seconds"
	albMaxIdleTimeoutSeconds     = 4000
	albStickinessPrefix          = "stickiness."
	albStickinessDurationKey     = "stickiness.lb_cookie.duration_seconds"
	albMaxStickinessSeconds      = 7 * 24 * 3600
	albDefaultIdleTimeoutSeconds = 60
)

// awsALBRules: the defaulting rules come first, then the rule that judges.
var awsALBRules = family("aws-alb", []Rule{
	{ID: "aws-alb-idle-timeout", Kind: KindIngress, Controller: ControllerAWSALB, Effects: Defaults | Warns, check: defaultALBIdleTimeout,
		Summary: "merge idle_timeout.timeout_seconds=<policy timeout> into load-balancer-attributes, keeping the other attributes"},
	{ID: "aws-alb-stickiness", Kind: KindIngress, Controller: ControllerAWSALB, Effects: Defaults, check: defaultALBStickiness,
		Summary: "merge lb_cookie stickiness into target-group-attributes when affinity is on"},
	{ID: "aws-alb-idle-timeout-minimum", Kind: KindIngress, Controller: ControllerAWSALB, Effects: Denies, check: checkALBIdleTimeoutMinimum,
		Summary:     "deny an idle timeout below the policy minimum, above 4000s, not a whole number, or an unreadable attribute list",
		Remediation: "write idle_timeout.timeout_seconds from the policy minimum to 4000, in a readable attribute list"},
})

// defaultALBIdleTimeout makes the ALB keep idle WebSocket connections open for the policy timeout:
// its default idle timeout of 60s closes a WebSocket after a minute without a frame. The
// attribute is appended to the user's list, whose text is kept as written. A list the
// controller cannot read is left to aws-alb-idle-timeout-minimum.
//
// Ingresses of one IngressGroup share a load balancer, and the controller rejects the whole
// group when two of them set different values for an attribute. So when another member of the
// group already sets the idle timeout, nothing is added here; a short value there is warned about.
func defaultALBIdleTimeout(ev *evaluation) {
	raw, present := ev.annotation(annotationALBLoadBalancerAttributes)
	if present {
		attrs, err := parseALBAttributes(raw)
		if err != nil {
			return
		}
		if _, set := albAttribute(attrs, albIdleTimeoutKey); set {
			return
		}
	}
	timeout := min(ev.policy.TimeoutSeconds, albMaxIdleTimeoutSeconds)
	// The same value as another member's cannot conflict, so only a different one stops here.
	if member, value, found := albGroupIdleTimeout(ev); found && value != strconv.FormatInt(timeout, 10) {
		minimum := min(ev.policy.MinTimeoutSeconds, albMaxIdleTimeoutSeconds)
		if n, err := strconv.ParseInt(value, 10, 64); err != nil || n < minimum {
			ev.warn(annotationPath(annotationALBLoadBalancerAttributes), fmt.Sprintf(
				"Ingress %s of IngressGroup %q sets %s=%s on the load balancer this Ingress shares, which closes WebSocket connections idle for that many seconds; "+
					"wsguard does not set a different value here because the controller rejects a group whose members disagree: raise it on %s to at least %d",
				member, ev.ingress().Annotations[annotationALBGroupName], albIdleTimeoutKey, value, member, minimum))
		}
		return
	}
	attr := fmt.Sprintf("%s=%d", albIdleTimeoutKey, timeout)
	why := "the ALB's default idle timeout of 60s closes WebSocket connections after a minute without a frame"
	if !present {
		ev.setAnnotationDefault(annotationALBLoadBalancerAttributes, attr, why)
		return
	}
	ev.mergeInto(annotationField(annotationALBLoadBalancerAttributes), appendALBAttributes(raw, attr), attr, why)
}

// defaultALBStickiness turns on the ALB's duration-based cookie stickiness, so that a client whose
// WebSocket dropped reconnects to the pod that holds its session. The controller takes the
// whole target-group-attributes annotation from the Service when the Service has one, so
// nothing is added when a backend Service carries it (a default on the Ingress would be
// ignored), or when the Ingress already sets any stickiness attribute.
func defaultALBStickiness(ev *evaluation) {
	if !ev.policy.AffinityEnabled() {
		return
	}
	for _, name := range webSocketServiceNames(ev) {
		if svc := ev.facts.service(name); svc != nil {
			if _, set := svc.Annotations[annotationALBTargetGroupAttributes]; set {
				return
			}
		}
	}
	raw, present := ev.annotation(annotationALBTargetGroupAttributes)
	if present {
		attrs, err := parseALBAttributes(raw)
		if err != nil {
			return
		}
		for _, a := range attrs {
			if strings.HasPrefix(a.key, albStickinessPrefix) {
				return
			}
		}
	}
	duration := min(ev.policy.Affinity.CookieMaxAgeSeconds, albMaxStickinessSeconds)
	attrs := fmt.Sprintf("stickiness.enabled=true,stickiness.type=lb_cookie,%s=%d", albStickinessDurationKey, duration)
	why := "the ALB's cookie brings a reconnecting WebSocket client back to the pod that holds its session"
	if !present {
		ev.setAnnotationDefault(annotationALBTargetGroupAttributes, attrs, why)
		return
	}
	ev.mergeInto(annotationField(annotationALBTargetGroupAttributes), appendALBAttributes(raw, attrs), attrs, why)
}

// checkALBIdleTimeoutMinimum denies load balancer attributes that leave WebSockets with a short
// idle timeout: a list the controller cannot parse (the controller then fails to build the load
// balancer), an idle timeout that is not a whole number or outside AWS's 1..4000 (AWS rejects
// it), or one below the policy minimum. The minimum is capped at AWS's maximum, so that a policy
// above 4000s does not deny the best value an ALB can have.
func checkALBIdleTimeoutMinimum(ev *evaluation) {
	raw, present := ev.annotation(annotationALBLoadBalancerAttributes)
	if !present {
		return
	}
	path := annotationPath(annotationALBLoadBalancerAttributes)
	want := min(ev.policy.TimeoutSeconds, albMaxIdleTimeoutSeconds)
	attrs, err := parseALBAttributes(raw)
	if err != nil {
		ev.violate(path, raw,
			fmt.Sprintf("cannot be read by the AWS Load Balancer Controller (%v), so it does not configure the load balancer, whose idle timeout of 60s closes WebSocket connections after a minute", err),
			fmt.Sprintf("write key=value pairs separated by commas, such as %s=%d", albIdleTimeoutKey, want))
		return
	}
	value, set := albAttribute(attrs, albIdleTimeoutKey)
	if !set {
		return
	}
	minimum := min(ev.policy.MinTimeoutSeconds, albMaxIdleTimeoutSeconds)
	n, err := strconv.ParseInt(value, 10, 64)
	written := albIdleTimeoutKey + "=" + value
	switch {
	case err != nil:
		ev.violate(path, written,
			fmt.Sprintf("is not a whole number of seconds, so AWS rejects the attributes and the load balancer keeps closing idle WebSocket connections after %ds", albDefaultIdleTimeoutSeconds),
			fmt.Sprintf("write %s=%d (seconds, no unit)", albIdleTimeoutKey, want))
	case n > albMaxIdleTimeoutSeconds:
		ev.violate(path, written,
			fmt.Sprintf("is above the %ds maximum AWS accepts, so the controller fails to configure the load balancer and its %ds default closes idle WebSocket connections", albMaxIdleTimeoutSeconds, albDefaultIdleTimeoutSeconds),
			fmt.Sprintf("write %s=%d", albIdleTimeoutKey, want))
	case n < minimum:
		ev.violate(path, written,
			fmt.Sprintf("makes the ALB close a WebSocket connection after %ds without a frame; the policy requires at least %ds", n, minimum),
			fmt.Sprintf("write %s=%d (at most %d), or remove the attribute to get %d", albIdleTimeoutKey, max(minimum, want), albMaxIdleTimeoutSeconds, want))
	}
}

// albGroupIdleTimeout finds another ALB-served Ingress of the same explicit IngressGroup that
// sets the idle timeout, and returns its name and value. Only Ingresses of the same namespace
// are in the facts; members in other namespaces cannot be seen.
func albGroupIdleTimeout(ev *evaluation) (member, value string, found bool) {
	ing := ev.ingress()
	group := ing.Annotations[annotationALBGroupName]
	if group == "" {
		return "", "", false
	}
	for i := range ev.facts.Ingresses {
		other := ev.facts.Ingresses[i]
		if other.Name == ing.Name || other.Annotations[annotationALBGroupName] != group || !albServed(other, ev) {
			continue
		}
		attrs, err := parseALBAttributes(other.Annotations[annotationALBLoadBalancerAttributes])
		if err != nil {
			continue
		}
		if v, set := albAttribute(attrs, albIdleTimeoutKey); set {
			return other.Name, v, true
		}
	}
	return "", "", false
}

// albServed reports whether an Ingress among the facts is served by the AWS Load Balancer
// Controller.
func albServed(ing *networkingv1.Ingress, ev *evaluation) bool {
	return controllerOfIngress(ing, ev.facts, ev.policy) == ControllerAWSALB
}

// albAttr is one key=value pair of an attributes annotation.
type albAttr struct{ key, value string }

// parseALBAttributes reads an attributes annotation the way the controller does
// (ParseStringMapAnnotation): comma-separated, each part trimmed and empty parts skipped, then
// split at the first "=" with a non-empty key.
func parseALBAttributes(raw string) ([]albAttr, error) {
	var attrs []albAttr
	for part := range strings.SplitSeq(raw, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		key, value, ok := strings.Cut(part, "=")
		if !ok || key == "" {
			return nil, errors.New(strconv.Quote(part) + " is not key=value")
		}
		attrs = append(attrs, albAttr{key, value})
	}
	return attrs, nil
}

// albAttribute returns the value of an attribute; like the controller, the last one wins.
func albAttribute(attrs []albAttr, key string) (string, bool) {
	value, found := "", false
	for _, a := range attrs {
		if a.key == key {
			value, found = a.value, true
		}
	}
	return value, found
}

// appendALBAttributes adds attributes after the user's list, keeping the list's text, order and
// line breaks; only trailing white space is dropped so that no empty line precedes the addition.
func appendALBAttributes(raw, attrs string) string {
	trimmed := strings.TrimRightFunc(raw, unicode.IsSpace)
	switch {
	case strings.TrimSpace(trimmed) == "":
		return attrs
	case strings.HasSuffix(trimmed, ","):
		return trimmed + attrs
	default:
		return trimmed + "," + attrs
	}
}
