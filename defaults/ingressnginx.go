package defaults

// ingressNGINXRules: rules not written yet.
var ingressNGINXRules = []Rule{}
