package cli

import (
	"bytes"
	"io"
	"unicode"
)

// writeStream writes the files one after the other as one stream that kubectl apply -f - reads:
// JSON files alone are concatenated, as a JSON stream; otherwise it is a YAML stream with a
// separator between files, and a leading one when the first file is JSON, because kubectl
// takes a stream that starts with "{" for JSON.
func writeStream(w io.Writer, outputs [][]byte) error {
	var b bytes.Buffer
	allJSON := true
	for _, data := range outputs {
		if len(data) > 0 && !isJSONText(data) {
			allJSON = false
		}
	}
	for _, data := range outputs {
		if len(data) == 0 {
			continue
		}
		switch {
		case allJSON:
		case b.Len() > 0 && !startsWithSeparator(data), b.Len() == 0 && isJSONText(data):
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

// isJSONText reports whether kubectl would read data as JSON: its first character is "{".
func isJSONText(data []byte) bool {
	return bytes.HasPrefix(bytes.TrimLeftFunc(data, unicode.IsSpace), []byte("{"))
}
