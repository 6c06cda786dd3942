package manifest

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// TestSplitYAMLAgreesWithKubectl holds splitYAML to apimachinery's YAMLReader, which kubectl
// apply -f uses to cut a YAML stream: over streams chosen for their edge cases, both must
// find the same documents, with the same text, or both must refuse the stream.
//
// Where the two legitimately differ, the comparison normalises, and says so here:
//   - Line endings. YAMLReader reads lines with bufio.Reader.ReadLine, which drops "\r\n", and
//     ends every line with "\n"; splitYAML keeps the bytes as they are, so that fix writes
//     a Windows file back with its own line endings. CRLF is compared as LF.
//   - The last line. YAMLReader adds a "\n" to a last line that has none; splitYAML does not,
//     for the same reason. A missing final newline is compared as present.
//   - Separators that open a document. YAMLReader cuts at a separator only after some text; a
//     separator that starts the stream, or follows another separator, stays at the start of
//     the next document's text, where the YAML parser reads it as a document start ("---\n"
//     alone is an empty document, which kubectl skips). splitYAML always leaves separators out,
//     so that a document's text is its content and fix replaces it without touching them.
//     A separator line opening one of YAMLReader's documents is dropped before comparing, and
//     a document that held nothing else with it.
//   - Error messages. Both refuse a separator followed by anything but spaces or a comment;
//     splitYAML's message names the line and the document. Only the refusal is compared.
//
// Neither cuts at a document end marker ("..."): it stays in the document's text, and the YAML
// parser (the same one, sigs.k8s.io/yaml, for kubectl and for wsguard) reads it. Neither
// returns an empty document between two separators; both return a document of only comments
// or blank lines, which decoding then skips (as kubectl does).
func TestSplitYAMLAgreesWithKubectl(t *testing.T) {
	streams := map[string]string{
		"one document":                              "a: 1\n",
		"a leading separator":                       "---\na: 1\n---\nb: 2\n",
		"a separator with a comment":                "a: 1\n--- # the second document\nb: 2\n",
		"a separator with trailing blanks":          "a: 1\n---  \t\nb: 2\n",
		"a separator with a tab and a comment":      "a: 1\n---\t# two\nb: 2\n",
		"documents ended with ... then ---":         "a: 1\n...\n---\nb: 2\n...\n",
		"documents separated with ... alone":        "a: 1\n...\nb: 2\n",
		"an end marker with trailing blanks":        "a: 1\n...  \n",
		"Windows line endings":                      "a: 1\r\n---\r\nb: 2\r\n",
		"Windows line endings, comment after ---":   "a: 1\r\n--- # x\r\nb: 2\r\n",
		"no trailing newline":                       "a: 1\n---\nb: 2",
		"a separator as the last line, no newline":  "a: 1\n---",
		"--- inside an indented block scalar":       "data:\n  script: |\n    echo one\n    ---\n    echo two\n---\nb: 2\n",
		"--- inside a folded scalar, more indented": "a: >\n  x\n     --- y\nb: 2\n",
		"--- at column 0 in a quoted string":        "a: \"x\n--- y\"\n",
		"--- inside a quoted string":                "a: \"x\n  --- y\"\n",
		"empty documents":                           "---\n---\na: 1\n---\n---\n",
		"only separators":                           "---\n---\n",
		"a document of only comments":               "# nothing yet\n---\na: 1\n",
		"a document of only blank lines":            "a: 1\n---\n\n\n---\nb: 2\n",
		"blank lines before the first separator":    "\n\n---\na: 1\n",
		"an indented separator is content":          "a: |\n  x\n ---\n",
		"a line longer than bufio's buffer":         "a: " + strings.Repeat("x", 70000) + "\n---\nb: 2\n",
		"empty input":                               "",
		"four dashes":                               "a: 1\n----\nb: 2\n",
		"text after the separator":                  "a: 1\n--- b: 2\n",
		"a block scalar on the separator line":      "--- |\n  text\n",
		"a bad separator first":                     "--- a\n",
	}
	for name, stream := range streams {
		t.Run(name, func(t *testing.T) {
			want, wantErr := kubectlSplit(stream)
			docs, errs := splitYAML(&File{Name: "in.yaml", Data: []byte(stream)})
			if (len(errs) > 0) != (wantErr != nil) {
				t.Fatalf("splitYAML errors %v, YAMLReader error %v", errs, wantErr)
			}
			var got []string
			for _, d := range docs {
				text := strings.ReplaceAll(string(d.Text()), "\r\n", "\n")
				if !strings.HasSuffix(text, "\n") {
					text += "\n"
				}
				got = append(got, text)
			}
			if !slices.Equal(got, want) {
				t.Errorf("splitYAML found %q\nYAMLReader found %q", got, want)
			}
		})
	}
}

// kubectlSplit cuts a stream with apimachinery's YAMLReader, dropping the separator line that
// opens a document and the documents that were only that.
func kubectlSplit(stream string) ([]string, error) {
	r := utilyaml.NewYAMLReader(bufio.NewReader(strings.NewReader(stream)))
	var docs []string
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return nil, err
		}
		if first, rest, _ := strings.Cut(string(doc), "\n"); strings.HasPrefix(first, "---") {
			if after := strings.TrimSpace(first[3:]); after == "" || after[0] == '#' {
				doc = []byte(rest)
			}
		}
		if len(doc) > 0 {
			docs = append(docs, string(doc))
		}
	}
}

// TestJSONOrYAMLAsKubectl: a file is a JSON stream exactly when apimachinery says so (its first
// non-space character is "{"), and then splitJSON cuts it.
func TestJSONOrYAMLAsKubectl(t *testing.T) {
	for _, tt := range []struct {
		data string
		json bool
	}{
		{"{\"a\": 1}\n{\"b\": 2}\n", true},
		{"  \n\t{\"a\": 1}", true},
		{"[{\"a\": 1}]", false}, // a JSON array is YAML to kubectl, and so it is here
		{"# {\"a\": 1}\n", false},
		{"a: {b: 1}\n", false},
	} {
		docs, errs := splitFile(&File{Name: "x", Data: []byte(tt.data)})
		if len(errs) > 0 || len(docs) == 0 || docs[0].JSON != tt.json || utilyaml.IsJSONBuffer([]byte(tt.data)) != tt.json {
			t.Errorf("%q: documents %d, JSON %v, errors %v; want JSON %v", tt.data, len(docs), len(docs) > 0 && docs[0].JSON, errs, tt.json)
		}
		if tt.json && !bytes.Equal(bytes.TrimSpace(docs[0].Text()), []byte(`{"a": 1}`)) {
			t.Errorf("%q: first value %q", tt.data, docs[0].Text())
		}
	}
}
