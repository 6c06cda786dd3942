package defaults

// haproxyRules: rules not written yet.
var haproxyRules = []Rule{}
