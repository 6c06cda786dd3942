package defaults

import (
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
)

// albIngress routes /ws to a port named "ws", which alone marks it as WebSocket. The class name
// "alb" resolves through the built-in mapping when no IngressClass object is known.
const albIngress = `
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: chat
  namespace: demo
  annotations:
    team: chat
spec:
  ingressClassName: alb
  rules:
  - http:
      paths:
      - path: /ws
        pathType: Prefix
        backend:
          service: {name: chat, port: {name: ws}}
`

var (
	albLBAttrs     = annotationPointer(annotationALBLoadBalancerAttributes)
	albTGAttrs     = annotationPointer(annotationALBTargetGroupAttributes)
	albStickiness  = "stickiness.enabled=true,stickiness.type=lb_cookie,stickiness.lb_cookie.duration_seconds=86400"
	albMinimumRule = "aws-alb-idle-timeout-minimum metadata.annotations[" + annotationALBLoadBalancerAttributes + "]"
)

// albChanges is what the ALB rules write under the default policy on an Ingress without
// attributes, with the given pointers overridden; a nil value drops the pointer.
func albChanges(override map[string]any) map[string]any {
	m := map[string]any{albLBAttrs: "idle_timeout.timeout_seconds=3600", albTGAttrs: albStickiness}
	for k, v := range override {
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
	}
	return m
}

// albGroupMember is another Ingress of the IngressGroup "shared" with the given attributes.
func albGroupMember(t *testing.T, attributes string) networkingv1.Ingress {
	return lbTestIngress(t, replaceOnce(annotated(albIngress, "alb.ingress.kubernetes.io/group.name: shared",
		"alb.ingress.kubernetes.io/load-balancer-attributes: "+attributes), "name: chat\n", "name: api\n"))
}

// TestAWSALBRules is the table of the AWS Load Balancer Controller rules.
func TestAWSALBRules(t *testing.T) {
	const lba = "alb.ingress.kubernetes.io/load-balancer-attributes: "
	const tga = "alb.ingress.kubernetes.io/target-group-attributes: "
	inGroup := annotated(albIngress, "alb.ingress.kubernetes.io/group.name: shared")
	capped := DefaultPolicy()
	capped.TimeoutSeconds, capped.MinTimeoutSeconds = 7200, 7200
	capped.Affinity.CookieMaxAgeSeconds = 30 * 24 * 3600

	runRuleCases(t, []ruleCase{
		{
			name:    "idle timeout and stickiness are defaulted (class-name fallback)",
			obj:     albIngress,
			changes: albChanges(nil),
		},
		{
			name:    "the controller is resolved through the IngressClass object",
			obj:     replaceOnce(albIngress, "ingressClassName: alb", "ingressClassName: internet-facing"),
			facts:   Facts{IngressClasses: ptrs(ingressClass("internet-facing", ControllerAWSALB, false))},
			changes: albChanges(nil),
		},
		{
			name:    "an Ingress without class is served by the default IngressClass",
			obj:     replaceOnce(albIngress, "  ingressClassName: alb\n", ""),
			facts:   Facts{IngressClasses: ptrs(ingressClass("any", ControllerAWSALB, true))},
			changes: albChanges(nil),
		},
		{
			name: "an Ingress of another controller is untouched",
			obj:  replaceOnce(annotated(albIngress, lba+"idle_timeout.timeout_seconds=5"), "ingressClassName: alb", "ingressClassName: traefik"),
		},
		{
			name:    "the idle timeout is appended to the user's attributes, which keep their text and order",
			obj:     annotated(albIngress, lba+`"routing.http2.enabled=false, deletion_protection.enabled=true"`),
			changes: albChanges(map[string]any{albLBAttrs: "routing.http2.enabled=false, deletion_protection.enabled=true,idle_timeout.timeout_seconds=3600"}),
		},
		{
			name:    "a block scalar with a trailing comma and line break gets no empty entry",
			obj:     annotated(albIngress, lba+"|", "  routing.http2.enabled=false,", "  deletion_protection.enabled=true,"),
			changes: albChanges(map[string]any{albLBAttrs: "routing.http2.enabled=false,\ndeletion_protection.enabled=true,idle_timeout.timeout_seconds=3600"}),
		},
		{
			name:    "a long idle timeout the user wrote is kept",
			obj:     annotated(albIngress, lba+"idle_timeout.timeout_seconds=4000"),
			changes: albChanges(map[string]any{albLBAttrs: nil}),
		},
		{
			name:       "a short idle timeout is denied, not replaced",
			obj:        annotated(albIngress, lba+"idle_timeout.timeout_seconds=600,routing.http2.enabled=true"),
			changes:    albChanges(map[string]any{albLBAttrs: nil}),
			violations: []string{albMinimumRule},
		},
		{
			name:       "the last of repeated keys counts, as in the controller",
			obj:        annotated(albIngress, lba+"idle_timeout.timeout_seconds=3600,idle_timeout.timeout_seconds=60"),
			changes:    albChanges(map[string]any{albLBAttrs: nil}),
			violations: []string{albMinimumRule},
		},
		{
			name:       "an idle timeout with a unit is denied",
			obj:        annotated(albIngress, lba+"idle_timeout.timeout_seconds=1h"),
			changes:    albChanges(map[string]any{albLBAttrs: nil}),
			violations: []string{albMinimumRule},
		},
		{
			name:       "an idle timeout above AWS's 4000s maximum is denied",
			obj:        annotated(albIngress, lba+"idle_timeout.timeout_seconds=7200"),
			changes:    albChanges(map[string]any{albLBAttrs: nil}),
			violations: []string{albMinimumRule},
		},
		{
			name:       "an attribute list the controller cannot read is denied and left alone",
			obj:        annotated(albIngress, lba+"routing.http2.enabled"),
			changes:    albChanges(map[string]any{albLBAttrs: nil}),
			violations: []string{albMinimumRule},
		},
		{
			name:    "the minimum follows the per-object override",
			obj:     annotated(albIngress, lba+"idle_timeout.timeout_seconds=600", `wsguard.io/timeout-seconds: "600"`),
			changes: albChanges(map[string]any{albLBAttrs: nil}),
		},
		{
			name:    "a policy above AWS's maximum is capped at 4000s, and so is the minimum",
			obj:     albIngress,
			policy:  &capped,
			changes: albChanges(map[string]any{albLBAttrs: "idle_timeout.timeout_seconds=4000", albTGAttrs: "stickiness.enabled=true,stickiness.type=lb_cookie,stickiness.lb_cookie.duration_seconds=604800"}),
		},
		{
			name:     "another member of the IngressGroup with a short idle timeout: nothing is set (it would conflict), a warning is given",
			obj:      inGroup,
			facts:    Facts{Ingresses: ptrs(albGroupMember(t, "idle_timeout.timeout_seconds=300"))},
			changes:  albChanges(map[string]any{albLBAttrs: nil}),
			warnings: []string{"aws-alb-idle-timeout metadata.annotations[" + annotationALBLoadBalancerAttributes + "]"},
		},
		{
			name:    "another member of the IngressGroup with a long idle timeout: nothing is set, nothing to warn about",
			obj:     inGroup,
			facts:   Facts{Ingresses: ptrs(albGroupMember(t, "idle_timeout.timeout_seconds=4000"))},
			changes: albChanges(map[string]any{albLBAttrs: nil}),
		},
		{
			name:    "another member of the IngressGroup with the same value does not conflict",
			obj:     inGroup,
			facts:   Facts{Ingresses: ptrs(albGroupMember(t, "idle_timeout.timeout_seconds=3600"))},
			changes: albChanges(nil),
		},
		{
			name:    "an Ingress of another group does not count",
			obj:     annotated(albIngress, "alb.ingress.kubernetes.io/group.name: mine"),
			facts:   Facts{Ingresses: ptrs(albGroupMember(t, "idle_timeout.timeout_seconds=300"))},
			changes: albChanges(nil),
		},
		{
			name:    "the Ingress's own old version among the facts does not count as another member",
			obj:     inGroup,
			facts:   Facts{Ingresses: ptrs(lbTestIngress(t, annotated(inGroup, lba+"idle_timeout.timeout_seconds=300")))},
			changes: albChanges(nil),
		},
		{
			name:    "stickiness is appended to the user's target group attributes",
			obj:     annotated(albIngress, tga+"deregistration_delay.timeout_seconds=30"),
			changes: albChanges(map[string]any{albTGAttrs: "deregistration_delay.timeout_seconds=30," + albStickiness}),
		},
		{
			name:    "stickiness the user configured, even off, is kept",
			obj:     annotated(albIngress, tga+"stickiness.enabled=false"),
			changes: albChanges(map[string]any{albTGAttrs: nil}),
		},
		{
			name: "target group attributes on the Service win over the Ingress's, so none are added",
			obj:  albIngress,
			facts: Facts{Services: ptrs(service(t, `
apiVersion: v1
kind: Service
metadata: {name: chat, namespace: demo, annotations: {alb.ingress.kubernetes.io/target-group-attributes: deregistration_delay.timeout_seconds=30}}
spec:
  ports: [{name: ws, port: 80}]`))},
			changes: albChanges(map[string]any{albTGAttrs: nil}),
		},
		{
			name:    "affinity turned off by annotation",
			obj:     annotated(albIngress, `wsguard.io/affinity: "false"`),
			changes: albChanges(map[string]any{albTGAttrs: nil}),
		},
	})
}

// TestParseALBAttributes pins the controller's way of reading attribute lists.
func TestParseALBAttributes(t *testing.T) {
	attrs, err := parseALBAttributes(" a=1 ,, b = 2,c=x=y,\n")
	if err != nil {
		t.Fatal(err)
	}
	want := []albAttr{{"a", "1"}, {"b ", " 2"}, {"c", "x=y"}}
	if len(attrs) != len(want) {
		t.Fatalf("got %v, want %v", attrs, want)
	}
	for i := range want {
		if attrs[i] != want[i] {
			t.Errorf("attribute %d = %v, want %v", i, attrs[i], want[i])
		}
	}
	for _, bad := range []string{"a", "=1", "a=1,b"} {
		if _, err := parseALBAttributes(bad); err == nil {
			t.Errorf("parseALBAttributes(%q) accepted", bad)
		}
	}
}
