package manifest

import (
	"bufio"
	"bytes"
	"io"
	"unicode"

	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// WriteStream writes the outputs one after the other as one stream that kubectl apply -f -
// reads: JSON files alone are concatenated, as a JSON stream; otherwise it is a YAML stream
// with a separator between files, and a leading one when the first file is JSON, because
// kubectl takes a stream that starts with "{" for JSON. Byte order marks are left out.
func WriteStream(w io.Writer, outputs []Output) error {
	allJSON := true
	for i := range outputs {
		if c := content(outputs[i].pieces()); c.size() > 0 && !c.isJSON() {
			allJSON = false
		}
	}
	b := bufio.NewWriterSize(w, 256<<10)
	written := false
	for i := range outputs {
		c := content(outputs[i].pieces())
		if c.size() == 0 {
			continue
		}
		switch {
		case allJSON:
		case written && !c.hasPrefix("---"), !written && c.isJSON():
			b.WriteString("---\n")
		}
		for _, p := range c {
			b.Write(p)
		}
		if c.last() != '\n' {
			b.WriteByte('\n')
		}
		written = true
	}
	return b.Flush()
}

// content is a file's content in pieces, as Output.pieces gives it.
type content [][]byte

func (c content) size() int {
	n := 0
	for _, p := range c {
		n += len(p)
	}
	return n
}

// isJSON reports whether kubectl reads the content as JSON: whether its first character other
// than white space is "{" (utilyaml.IsJSONBuffer).
func (c content) isJSON() bool {
	for _, p := range c {
		if t := bytes.TrimLeftFunc(p, unicode.IsSpace); len(t) > 0 {
			return utilyaml.IsJSONBuffer(t)
		}
	}
	return false
}

// hasPrefix reports whether the content starts with prefix.
func (c content) hasPrefix(prefix string) bool {
	var head []byte
	for _, p := range c {
		if len(head) >= len(prefix) {
			break
		}
		head = append(head, p[:min(len(p), len(prefix)-len(head))]...)
	}
	return bytes.HasPrefix(head, []byte(prefix))
}

// last is the content's last byte, 0 when it is empty.
func (c content) last() byte {
	for i := len(c) - 1; i >= 0; i-- {
		if n := len(c[i]); n > 0 {
			return c[i][n-1]
		}
	}
	return 0
}
