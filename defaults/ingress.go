package defaults

import (
	"slices"

	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Controller values of IngressClass.spec.controller for the controllers wsguard knows.
const (
	ControllerIngressNGINX = "k8s.io/ingress-nginx"
	ControllerF5NGINX      = "nginx.org/ingress-controller"
	ControllerHAProxy      = "haproxy.org/ingress-controller"
	ControllerTraefik      = "traefik.io/ingress-controller"
	ControllerAWSALB       = "ingress.k8s.aws/alb"
	ControllerGCE          = "k8s.io/ingress-gce"
)

const (
	// annotationIngressClass is the legacy way to pick an Ingress controller, still honoured by
	// every controller wsguard knows.
	annotationIngressClass = "kubernetes.io/ingress.class"
	// annotationDefaultIngressClass marks the IngressClass used by Ingresses that name none.
	annotationDefaultIngressClass = "ingressclass.kubernetes.io/is-default-class"
)

// webSocketBackend is a backend of an Ingress that carries WebSocket traffic.
type webSocketBackend struct {
	// Service is the backend Service's name.
	Service string
	// Path is the backend's field path in the Ingress.
	Path *field.Path
	// Port is the backend's port name or number, as written.
	Port networkingv1.ServiceBackendPort
}

// ingressIsWebSocket: the Ingress routes to a WebSocket Service of the namespace or to a port
// named as WebSocket.
func ingressIsWebSocket(ev *evaluation) bool {
	return len(webSocketBackends(ev)) > 0
}

// webSocketBackends lists the backends of the Ingress that carry WebSocket traffic: backends on
// a WebSocket Service or a port named as WebSocket. An Ingress marked only by annotation has
// every backend counted.
func webSocketBackends(ev *evaluation) []webSocketBackend {
	ing := ev.ingress()
	var all, ws []webSocketBackend
	visit := func(b *networkingv1.IngressBackend, path *field.Path) {
		if b == nil || b.Service == nil {
			return
		}
		be := webSocketBackend{Service: b.Service.Name, Path: path.Child("service"), Port: b.Service.Port}
		all = append(all, be)
		if IsWebSocketPortName(b.Service.Port.Name) {
			ws = append(ws, be)
			return
		}
		if svc := ev.facts.service(b.Service.Name); svc != nil && IsWebSocketService(svc) {
			ws = append(ws, be)
		}
	}
	visit(ing.Spec.DefaultBackend, field.NewPath("spec", "defaultBackend"))
	rules := field.NewPath("spec", "rules")
	for ri, r := range ing.Spec.Rules {
		if r.HTTP == nil {
			continue
		}
		for pi := range r.HTTP.Paths {
			visit(&r.HTTP.Paths[pi].Backend, rules.Index(ri).Child("http", "paths").Index(pi).Child("backend"))
		}
	}
	if len(ws) == 0 && ev.annots[AnnotationWebSocket] == "true" {
		return all
	}
	return ws
}

// webSocketServiceNames lists the distinct Service names of the WebSocket backends, sorted.
func webSocketServiceNames(ev *evaluation) []string {
	var names []string
	for _, b := range webSocketBackends(ev) {
		names = append(names, b.Service)
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// ingressController resolves which controller serves the Ingress under review.
func ingressController(ev *evaluation) string {
	return controllerOfIngress(ev.ingress(), ev.facts, ev.policy)
}

// ingressServiceNames lists the distinct backend Service names of an Ingress, sorted.
func ingressServiceNames(ing *networkingv1.Ingress) []string {
	var names []string
	if b := ing.Spec.DefaultBackend; b != nil && b.Service != nil {
		names = append(names, b.Service.Name)
	}
	for _, r := range ing.Spec.Rules {
		if r.HTTP == nil {
			continue
		}
		for _, p := range r.HTTP.Paths {
			if p.Backend.Service != nil {
				names = append(names, p.Backend.Service.Name)
			}
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// controllerOfIngress resolves which controller serves an Ingress: the IngressClass named by
// spec.ingressClassName or the legacy annotation, else the default IngressClass, else the
// policy's class-name mapping. It returns "" when none is known. It takes the Ingress as an
// argument so that rules judging other kinds can resolve the Ingresses among their facts.
func controllerOfIngress(ing *networkingv1.Ingress, facts *Facts, policy Policy) string {
	class := ""
	if ing.Spec.IngressClassName != nil {
		class = *ing.Spec.IngressClassName
	} else if c, ok := ing.Annotations[annotationIngressClass]; ok {
		class = c
	}
	if class == "" {
		for _, ic := range facts.IngressClasses {
			if ic.Annotations[annotationDefaultIngressClass] == "true" {
				return ic.Spec.Controller
			}
		}
		return ""
	}
	for _, ic := range facts.IngressClasses {
		if ic.Name == class {
			return ic.Spec.Controller
		}
	}
	return policy.controllerForClass(class)
}
