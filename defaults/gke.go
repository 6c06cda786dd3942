package defaults

// gkeRules: rules not written yet.
var gkeRules = []Rule{}
