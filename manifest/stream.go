package manifest

import (
	"bytes"
	"io"

	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// WriteStream writes the outputs one after the other as one stream that kubectl apply -f -
// reads: JSON files alone are concatenated, as a JSON stream; otherwise it is a YAML stream
// with a separator between files, and a leading one when the first file is JSON, because
// kubectl takes a stream that starts with "{" for JSON. Byte order marks are left out.
func WriteStream(w io.Writer, outputs []Output) error {
	var b bytes.Buffer
	allJSON := true
	for _, o := range outputs {
		if len(o.Data) > 0 && !utilyaml.IsJSONBuffer(o.Data) {
			allJSON = false
		}
	}
	for _, o := range outputs {
		data := o.Data
		if len(data) == 0 {
			continue
		}
		switch {
		case allJSON:
		case b.Len() > 0 && !startsWithSeparator(data), b.Len() == 0 && utilyaml.IsJSONBuffer(data):
			b.WriteString("---\n")
		}
		b.Write(data)
		if data[len(data)-1] != '\n' {
			b.WriteByte('\n')
		}
	}
	_, err := w.Write(b.Bytes())
	return err
}

func startsWithSeparator(data []byte) bool {
	return bytes.HasPrefix(data, []byte("---"))
}
