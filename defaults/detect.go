package defaults

import (
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// The standard application protocols for WebSocket ports (KEP-3726).
const (
	AppProtocolWS  = "kubernetes.io/ws"
	AppProtocolWSS = "kubernetes.io/wss"
)

// IsWebSocketPortName reports whether a port name says WebSocket: "ws", "wss" or "websocket",
// alone or as a '-'-separated part ("http-websocket", "ws-public").
func IsWebSocketPortName(name string) bool {
	for part := range strings.SplitSeq(strings.ToLower(name), "-") {
		switch part {
		case "ws", "wss", "websocket":
			return true
		}
	}
	return false
}

// IsWebSocketAppProtocol reports whether an appProtocol is one of the standard WebSocket values.
func IsWebSocketAppProtocol(p string) bool {
	return p == AppProtocolWS || p == AppProtocolWSS
}

// webSocketAnnotation reads AnnotationWebSocket: (value, true) when it is "true" or "false".
// Other values are reported by the annotation rule and count as absent here.
func webSocketAnnotation(annotations map[string]string) (bool, bool) {
	switch annotations[AnnotationWebSocket] {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	return false, false
}

// selectsPods reports whether a Service's selector matches a pod template's labels.
// A Service without a selector selects no pods that wsguard can see.
func selectsPods(svc *corev1.Service, podLabels map[string]string) bool {
	if len(svc.Spec.Selector) == 0 {
		return false
	}
	// A Service selector is a plain set of equalities; comparing maps directly avoids building
	// a labels.Selector for every Service on every admission.
	for k, v := range svc.Spec.Selector {
		if pv, ok := podLabels[k]; !ok || pv != v {
			return false
		}
	}
	return true
}

// targetsContainerPort reports whether a Service port sends traffic to a container port.
func targetsContainerPort(sp corev1.ServicePort, cp corev1.ContainerPort) bool {
	switch {
	case sp.TargetPort.Type == intstr.String && sp.TargetPort.StrVal != "":
		return sp.TargetPort.StrVal == cp.Name
	case sp.TargetPort.Type == intstr.Int && sp.TargetPort.IntVal != 0:
		return sp.TargetPort.IntVal == cp.ContainerPort
	default: // an unset targetPort defaults to the port number
		return sp.Port == cp.ContainerPort
	}
}
