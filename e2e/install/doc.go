// Package install is the install end-to-end suite: the Helm chart and the kustomize config
// applied to a real API server with cert-manager's CRDs, issued and injected by cert-manager's
// own controllers, and wsguard serving behind them.
package install
