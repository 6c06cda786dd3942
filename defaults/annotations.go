package defaults

// Labels and annotations that users put on namespaces and objects to steer wsguard.
const (
	// LabelInject opts a namespace in when set to InjectEnabled.
	LabelInject = "wsguard.io/inject"
	// InjectEnabled is the value of LabelInject that opts a namespace in.
	InjectEnabled = "enabled"

	// AnnotationEnforcement on a namespace selects the mode ("enforce" or "warn") for its objects.
	AnnotationEnforcement = "wsguard.io/enforcement"

	// AnnotationWebSocket marks an object as carrying WebSocket traffic ("true") or opts it out
	// of every rule ("false", which wins over any detected signal).
	AnnotationWebSocket = "wsguard.io/websocket"

	// Per-object policy overrides. Each takes a whole number of seconds.
	AnnotationTimeoutSeconds    = "wsguard.io/timeout-seconds"
	AnnotationMinTimeoutSeconds = "wsguard.io/min-timeout-seconds"
	AnnotationPreStopSeconds    = "wsguard.io/prestop-seconds"
	AnnotationDrainSeconds      = "wsguard.io/drain-seconds"
	// AnnotationAffinity turns session affinity defaults on ("true") or off ("false") for one object.
	AnnotationAffinity = "wsguard.io/affinity"
	// AnnotationSkipRules lists rule IDs, comma-separated, that do not apply to the object.
	AnnotationSkipRules = "wsguard.io/skip-rules"

	// AnnotationAppliedRules is written by wsguard: the IDs of the rules that changed the object,
	// so that `kubectl get -o yaml` explains where a value came from.
	AnnotationAppliedRules = "wsguard.io/applied-rules"
)
