package defaults

// awsALBRules: rules not written yet.
var awsALBRules = []Rule{}
