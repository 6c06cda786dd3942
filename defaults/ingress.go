package defaults

import (
	"fmt"
	"slices"
	"strings"

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
	// ControllerContour is Contour's IngressClass controller.
	ControllerContour = "projectcontour.io/contour"
)

const (
	// annotationIngressClass is the legacy way to pick an Ingress controller, still honoured by
	// every controller wsguard knows.
	annotationIngressClass = "kubernetes.io/ingress.class"
	// annotationDefaultIngressClass marks the IngressClass used by Ingresses that name none.
	annotationDefaultIngressClass = "ingressclass.kubernetes.io/is-default-class"
)

// builtinIngressClasses maps the IngressClass names that controllers install by default to the
// controller value their IngressClass objects carry. Used only when the IngressClass object
// itself cannot be read.
var builtinIngressClasses = map[string]string{
	"nginx":      ControllerIngressNGINX,
	"nginx-plus": ControllerF5NGINX,
	"nginx-org":  ControllerF5NGINX,
	"haproxy":    ControllerHAProxy,
	"traefik":    ControllerTraefik,
	"kong":       ControllerKong,
	"contour":    ControllerContour,
	// AGIC's IngressClass, and the value its docs give the legacy class annotation.
	"azure-application-gateway": ControllerAGIC,
	"azure/application-gateway": ControllerAGIC,
	"alb":                       ControllerAWSALB,
	"gce":                       ControllerGCE,
	"gce-internal":              ControllerGCE,
}

// ingressRules hold what every WebSocket Ingress needs whatever serves it.
var ingressRules = family("ingress", []Rule{
	{ID: "ingress-controller-unknown", Kind: KindIngress, Effects: Warns, check: checkIngressControllerKnown,
		Summary: "warn when wsguard cannot tell which controller serves a WebSocket Ingress, so no controller's settings are applied"},
})

// checkIngressControllerKnown warns when no controller can be told for a WebSocket Ingress:
// every controller's rules then skip it, and the user must learn that nothing was checked.
func checkIngressControllerKnown(ev *evaluation) {
	if ingressController(ev) != "" {
		return
	}
	ing := ev.ingress()
	what := "names no IngressClass, no IngressClass is marked default, and the Ingress carries no single controller's annotations"
	if ing.Spec.IngressClassName != nil && *ing.Spec.IngressClassName != "" {
		what = fmt.Sprintf("names IngressClass %q, which wsguard cannot read or map, and the Ingress carries no single controller's annotations", *ing.Spec.IngressClassName)
	} else if c := ing.Annotations[annotationIngressClass]; c != "" {
		what = fmt.Sprintf("names class %q in %s, which wsguard cannot read or map, and the Ingress carries no single controller's annotations", c, annotationIngressClass)
	}
	ev.warn(field.NewPath("spec", "ingressClassName"), what+
		", so wsguard cannot tell which controller serves it and applies no controller's WebSocket settings (timeouts, affinity); "+
		"give wsguard read access to IngressClasses, or map the class to its controller under ingressClasses in the policy")
}

// webSocketBackend is a backend of an Ingress that carries WebSocket traffic.
type webSocketBackend struct {
	// Service is the backend Service's name.
	Service string
	// Path is the backend's field path in the Ingress.
	Path *field.Path
	// RulePath is the HTTP path of the backend's rule as written ("" for the default backend).
	RulePath string
	// Port is the backend's port name or number, as written.
	Port networkingv1.ServiceBackendPort
}

// ingressIsWebSocket: the Ingress routes to a WebSocket Service of the namespace or to a port
// named as WebSocket.
func ingressIsWebSocket(ev *evaluation) bool {
	return len(webSocketBackends(ev)) > 0
}

// webSocketBackends lists the backends of the Ingress that carry WebSocket traffic, and records
// why: backends on a port named as WebSocket, backends another controller's annotation on this
// Ingress declares WebSocket, and backends on a WebSocket Service of the namespace. gRPC
// backends never count (ingress-nginx backend-protocol GRPC/GRPCS, F5's grpc-services) unless
// the Ingress itself is marked WebSocket. An Ingress marked only by annotation has every backend
// counted.
func webSocketBackends(ev *evaluation) []webSocketBackend {
	ing := ev.ingress()
	marked := ev.annots[AnnotationWebSocket] == "true"
	if !marked && ingressIsGRPC(ing) {
		return nil
	}
	grpcServices := splitList(ing.Annotations[annotationF5GRPCServices])
	var all, ws []webSocketBackend
	visit := func(b *networkingv1.IngressBackend, path *field.Path, rulePath string) {
		if b == nil || b.Service == nil {
			return
		}
		be := webSocketBackend{Service: b.Service.Name, Path: path.Child("service"), RulePath: rulePath, Port: b.Service.Port}
		all = append(all, be)
		if !marked && slices.Contains(grpcServices, b.Service.Name) {
			return
		}
		if IsWebSocketPortName(b.Service.Port.Name) {
			ev.because(Reason{SignalPortName, fmt.Sprintf("its backend port %q is named as WebSocket", b.Service.Port.Name)})
			ws = append(ws, be)
			return
		}
		if key, ok := ingressSetting(ing, b, rulePath); ok {
			ev.because(Reason{SignalController, fmt.Sprintf("its %s annotation declares the backend on Service %s WebSocket", key, b.Service.Name)})
			ws = append(ws, be)
			return
		}
		svc := ev.facts.service(b.Service.Name)
		if svc == nil {
			return
		}
		if s, ok := ev.webSocketService(svc); ok {
			if i, resolved := servicePortIndex(svc, b.Service.Port); resolved && !slices.Contains(s.ports, i) {
				return // a port of the Service that carries no WebSocket traffic
			}
			ev.because(s.reason.via("it routes to Service %s", svc.Name))
			ws = append(ws, be)
		}
	}
	visit(ing.Spec.DefaultBackend, field.NewPath("spec", "defaultBackend"), "")
	rules := field.NewPath("spec", "rules")
	for ri, r := range ing.Spec.Rules {
		if r.HTTP == nil {
			continue
		}
		for pi := range r.HTTP.Paths {
			visit(&r.HTTP.Paths[pi].Backend, rules.Index(ri).Child("http", "paths").Index(pi).Child("backend"), r.HTTP.Paths[pi].Path)
		}
	}
	if len(ws) == 0 && marked {
		return all
	}
	return ws
}

// ingressIsGRPC reports whether ingress-nginx speaks gRPC to every backend of the Ingress: such
// an Ingress is a gRPC route to a Service that may also serve WebSockets on another Ingress.
func ingressIsGRPC(ing *networkingv1.Ingress) bool {
	switch strings.ToUpper(strings.TrimSpace(ing.Annotations[annotationIngressNGINXBackendProtocol])) {
	case "GRPC", "GRPCS":
		return true
	}
	return false
}

// splitList splits a comma-separated annotation value, trimming spaces and dropping empties.
func splitList(raw string) []string {
	var out []string
	for s := range strings.SplitSeq(raw, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
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
// policy's class-name mapping, else the one controller whose annotations the Ingress carries
// (controllerByAnnotations). It returns "" when none can be told. It takes the Ingress as an
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
		return controllerByAnnotations(ing, facts)
	}
	for _, ic := range facts.IngressClasses {
		if ic.Name == class {
			return ic.Spec.Controller
		}
	}
	if c := policy.controllerForClass(class); c != "" {
		return c
	}
	return controllerByAnnotations(ing, facts)
}

// traefikNGINXClass is the class name Traefik's kubernetesIngressNGINX provider (Traefik v3.7
// and later) takes by default (pkg/provider/kubernetes/ingress-nginx/kubernetes.go,
// defaultAnnotationValue).
const traefikNGINXClass = "nginx"

// traefikServesAsIngressNGINX reports whether Traefik may serve an Ingress through its
// kubernetesIngressNGINX provider although its IngressClass names Traefik's controller: the
// provider picks IngressClasses by controller (k8s.io/ingress-nginx by default, which wsguard
// already reads as ingress-nginx) and, with ingressClassByName, by the class name "nginx"
// whatever their controller. The provider reads the nginx.ingress.kubernetes.io/ annotations and
// applies proxy-read-timeout (60 seconds unless set) to upgraded connections, so the
// ingress-nginx rules hold for such an Ingress too. Their defaults are annotations Traefik's own
// Ingress provider ignores.
func traefikServesAsIngressNGINX(ing *networkingv1.Ingress, controller string) bool {
	if controller != ControllerTraefik {
		return false
	}
	class := ing.Annotations[annotationIngressClass]
	if ing.Spec.IngressClassName != nil {
		class = *ing.Spec.IngressClassName
	}
	return class == traefikNGINXClass
}

// controllerAnnotationPrefixes are the annotation prefixes only one controller reads. An Ingress
// whose class cannot be resolved (offline, no IngressClass, a class name wsguard does not know)
// is taken to be served by the controller whose annotations it carries: whoever wrote them
// wrote them for that controller.
var controllerAnnotationPrefixes = []struct{ prefix, controller string }{
	{"nginx.ingress.kubernetes.io/", ControllerIngressNGINX},
	{"nginx.org/", ControllerF5NGINX},
	{"nginx.com/", ControllerF5NGINX},
	{"haproxy.org/", ControllerHAProxy},
	{"haproxy.com/", ControllerHAProxy},
	{"traefik.ingress.kubernetes.io/", ControllerTraefik},
	{"alb.ingress.kubernetes.io/", ControllerAWSALB},
	{"networking.gke.io/", ControllerGCE},
	{"kubernetes.io/ingress.global-static-ip-name", ControllerGCE},
	{"projectcontour.io/", ControllerContour},
	{"konghq.com/", ControllerKong},
	{"appgw.ingress.kubernetes.io/", ControllerAGIC},
}

// controllerByAnnotations is the one controller whose annotations the Ingress carries (or, for
// GKE, whose backend-config its backend Services carry); "" when there is none, or more than one.
func controllerByAnnotations(ing *networkingv1.Ingress, facts *Facts) string {
	found := ""
	note := func(c string) bool {
		if found != "" && found != c {
			found = "-" // ambiguous
			return false
		}
		found = c
		return true
	}
	for key := range ing.Annotations {
		for _, p := range controllerAnnotationPrefixes {
			if strings.HasPrefix(key, p.prefix) && !note(p.controller) {
				return ""
			}
		}
	}
	for _, name := range ingressServiceNames(ing) {
		if svc := facts.service(name); svc != nil {
			if _, _, ok := gkeBackendConfigAnnotation(svc); ok && !note(ControllerGCE) {
				return ""
			}
		}
	}
	return found
}

// ingressesRoutingToService lists the Ingresses among the facts that route to the Service under
// review and are served by controller. Rules that judge a Service use it to learn which proxy
// sits in front of it.
func ingressesRoutingToService(ev *evaluation, controller string) []*networkingv1.Ingress {
	svc := ev.service()
	var out []*networkingv1.Ingress
	for i := range ev.facts.Ingresses {
		ing := ev.facts.Ingresses[i]
		if ing.Namespace != "" && svc.Namespace != "" && ing.Namespace != svc.Namespace {
			continue
		}
		if slices.Contains(ingressServiceNames(ing), svc.Name) && controllerOfIngress(ing, ev.facts, ev.policy) == controller {
			out = append(out, ing)
		}
	}
	return out
}
