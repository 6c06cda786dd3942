package cli

// ExcludedNamespaces lets the external tests compare the CLI's excluded namespaces with the
// webhook configurations'.
var ExcludedNamespaces = excludedNamespaces
