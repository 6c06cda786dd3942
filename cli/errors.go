package cli

import "github.com/wsguard/wsguard/manifest"

// InputError is input wsguard could not read: a missing file, invalid YAML or JSON, a document
// that is not a Kubernetes object. It names the file and, where known, the document and line,
// so that an editor or a CI log viewer can jump to it. The JSON report lists them.
type InputError = manifest.Error
