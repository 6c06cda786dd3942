package defaults

// traefikRules: rules not written yet.
var traefikRules = []Rule{}
