package defaults

import (
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
)

func TestKongRules(t *testing.T) {
	behindKong := Facts{Ingresses: ptrs(typed[networkingv1.Ingress](t, replaceOnce(traefikFrontIngress, "ingressClassName: traefik", "ingressClassName: kong")))}
	timeouts := map[string]any{
		annotationPointer(annotationKongReadTimeout):  "3600000",
		annotationPointer(annotationKongWriteTimeout): "3600000",
	}
	runRuleCases(t, []ruleCase{
		{
			name:    "a Service behind a Kong Ingress gets hour-long read and write timeouts, in milliseconds",
			obj:     settledService,
			facts:   behindKong,
			changes: timeouts,
		},
		{
			name:  "a Service no Kong Ingress routes to is left alone",
			obj:   settledService,
			facts: Facts{Ingresses: ptrs(typed[networkingv1.Ingress](t, traefikFrontIngress))},
			changes: map[string]any{
				annotationPointer(annotationTraefikStickyCookie):     "true",
				annotationPointer(annotationTraefikStickyCookieName): DefaultCookieName,
			},
		},
		{
			name:       "a short timeout and one with a unit are denied; neither is replaced",
			obj:        annotated(settledService, `konghq.com/read-timeout: "60000"`, `konghq.com/write-timeout: "1h"`),
			facts:      behindKong,
			violations: []string{"kong-service-timeouts metadata.annotations[konghq.com/read-timeout]", "kong-service-timeouts metadata.annotations[konghq.com/write-timeout]"},
		},
		{
			name:  "a user's long enough timeout is kept",
			obj:   annotated(settledService, `konghq.com/read-timeout: "7200000"`),
			facts: behindKong,
			changes: map[string]any{
				annotationPointer(annotationKongWriteTimeout): "3600000",
			},
		},
	})
}
