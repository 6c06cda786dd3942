package manifest

import (
	"fmt"
	"strings"
)

// Error is input that could not be read: a missing file, invalid YAML or JSON, a document that
// is not a Kubernetes object. It names the file and, where known, the document and line, so
// that an editor or a CI log viewer can jump to it.
type Error struct {
	// File is the path as given, or <stdin>.
	File string `json:"file"`
	// Document is the 1-based number of the YAML document (or JSON value) in the file; 0 when
	// the error concerns the whole file.
	Document int `json:"document,omitempty"`
	// Line is the 1-based line in the file; 0 when unknown.
	Line int `json:"line,omitempty"`
	// Message says what is wrong and, where it can, what to do.
	Message string `json:"message"`
}

// Error renders the error as file:line: document N: message.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	if e.Document > 0 {
		fmt.Fprintf(&b, "document %d: ", e.Document)
	}
	b.WriteString(e.Message)
	return b.String()
}
