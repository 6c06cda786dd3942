package defaults

// f5NGINXRules: rules not written yet.
var f5NGINXRules = []Rule{}
