package defaults

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
)

const agicIngress = `
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: chat
  namespace: demo
  annotations:
    team: chat
    kubernetes.io/ingress.class: azure/application-gateway
spec:
  rules:
  - http:
      paths:
      - {path: /ws, pathType: Prefix, backend: {service: {name: chat, port: {number: 80}}}}
`

func TestAGICRules(t *testing.T) {
	svc := service(t, "apiVersion: v1\nkind: Service\nmetadata: {name: chat, namespace: demo}\nspec:\n  selector: {app: chat}\n  ports: [{name: ws, port: 80, targetPort: 8080}]\n")
	probed := typed[appsv1.Deployment](t, "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: chat}\nspec:\n  template:\n    metadata: {labels: {app: chat}}\n    spec:\n      containers: [{name: chat, image: chat:1, readinessProbe: {httpGet: {path: /health, port: 8080}}}]\n")
	defaulted := map[string]any{
		annotationPointer(annotationAGICRequestTimeout): "3600",
		annotationPointer(annotationAGICCookieAffinity): "true",
	}
	probe := "agic-health-probe metadata.annotations[appgw.ingress.kubernetes.io/health-probe-path]"
	runRuleCases(t, []ruleCase{
		{
			name:     "a WebSocket Ingress on Application Gateway gets an hour-long request timeout and cookie affinity; without a probe to copy, a warning",
			obj:      agicIngress,
			facts:    Facts{Services: ptrs(svc)},
			changes:  defaulted,
			warnings: []string{probe},
		},
		{
			name:    "pods with an HTTP readiness probe give AGIC one to copy",
			obj:     agicIngress,
			facts:   Facts{Services: ptrs(svc), Deployments: ptrs(probed)},
			changes: defaulted,
		},
		{
			name:       "a short request timeout is denied and kept; a probe path needs no readiness probe",
			obj:        annotated(agicIngress, `appgw.ingress.kubernetes.io/request-timeout: "30"`, `appgw.ingress.kubernetes.io/health-probe-path: /health`),
			facts:      Facts{Services: ptrs(svc)},
			changes:    map[string]any{annotationPointer(annotationAGICCookieAffinity): "true"},
			violations: []string{"agic-request-timeout metadata.annotations[appgw.ingress.kubernetes.io/request-timeout]"},
		},
	})
}
