// Package cli implements `wsguard check` and `wsguard fix`: the admission webhook's rules run
// offline over manifests, for CI pipelines, code review and GitOps repositories.
//
// Both commands read files, directories or stdin, judge every object with the same engine the
// webhook calls (package defaults), as if it were admitted into an opted-in namespace, and take
// related facts (Services, Ingresses, IngressClasses, ...) from the other objects of the input.
// check reports; fix writes the manifests with the defaults applied, changing only the documents
// that get defaults and keeping their comments and key order.
//
// Reading and writing manifests is package manifest's: this package keeps the flags, the facts
// taken from the input, the judging and the reports.
//
// Memory follows the input's text, not its decoded objects: the input is decoded once for the
// facts (slim copies of the related objects) and again one document at a time to judge it and,
// for fix, to edit it; only the findings are kept (see load).
//
// The package deliberately stays away from controller-runtime's manager and webhook stack: the
// CLI starts fast and runs where no cluster exists. `check --cluster` (cluster.go) is the one
// exception: it reads a cluster with a plain client and judges through package audit, which
// gathers facts with the webhooks' own code, and reports with the writers above.
package cli
