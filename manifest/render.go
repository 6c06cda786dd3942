package manifest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	jsonpatch "github.com/evanphx/json-patch/v5"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/wsguard/wsguard/defaults"
	"github.com/wsguard/wsguard/internal/parallel"
)

// Edit is what Render changes in one object.
type Edit struct {
	// Changes are JSON-patch operations ("add" or "replace") with paths relative to the object,
	// applied in order. Their Rule is named when one cannot be applied.
	Changes []defaults.Change
	// Want is the object the changes must produce. Render decodes what it wrote, as kubectl
	// would, and refuses a document that does not come out as Want.
	Want *unstructured.Unstructured
}

// Output is the content of one file after Render or Assemble.
type Output struct {
	File *File
	// Data is the new content, without a byte order mark; File.Data itself when unchanged. Nil
	// for a changed output of Assemble, whose content is File.Data with its new documents in
	// place: WriteFiles and WriteStream write either without copying it.
	Data []byte
	// Changed reports whether any document of the file was edited.
	Changed bool
	// texts are the new texts of the edited documents, for a changed output of Assemble.
	texts map[*Document][]byte
}

// Render applies the edits to their objects' documents, on every core, and returns each file's
// new content, in file order. Documents without edits are copied byte for byte, and so is
// everything between documents (separators, comments). A document that cannot be edited, or
// whose new text does not decode to the objects wanted, is an Error and keeps its old text.
// Render needs every document decoded (Load); for inputs read with Scan, apply the edits one
// document at a time with Document.Apply, and put the files together with Assemble.
func Render(files []*File, edits map[*Object]Edit) ([]Output, []*Error) {
	// One slot per document to edit, filled concurrently: each call owns its own.
	var docs []*Document
	for _, f := range files {
		for _, d := range f.Docs {
			if d.HasEdits(edits) {
				docs = append(docs, d)
			}
		}
	}
	rendered := make([][]byte, len(docs))
	failed := make([]*Error, len(docs))
	parallel.ForEach(len(docs), func(i int) { rendered[i], failed[i] = docs[i].Apply(edits) })
	texts := map[*Document][]byte{}
	var errs []*Error
	for i, d := range docs {
		if failed[i] != nil {
			errs = append(errs, failed[i])
		} else {
			texts[d] = rendered[i]
		}
	}
	outputs := Assemble(files, texts)
	for i := range outputs {
		if o := &outputs[i]; o.texts != nil {
			var b bytes.Buffer
			b.Grow(o.size())
			for _, p := range o.pieces() {
				b.Write(p)
			}
			o.Data, o.texts = b.Bytes(), nil
		}
	}
	return outputs, errs
}

// Assemble returns each file's content with the new texts of some of its documents in place
// (from Document.Apply; documents without one keep their text), in file order, without copying
// the files: everything between the new texts is written from File.Data as it is.
func Assemble(files []*File, texts map[*Document][]byte) []Output {
	outputs := make([]Output, len(files))
	for i, f := range files {
		outputs[i] = Output{File: f, Data: f.Data}
		for _, d := range f.Docs {
			if _, ok := texts[d]; ok {
				outputs[i] = Output{File: f, Changed: true, texts: texts}
				break
			}
		}
	}
	return outputs
}

// pieces are the output's content in order: Data, or the file's text around its new documents.
func (o *Output) pieces() [][]byte {
	if o.texts == nil {
		return [][]byte{o.Data}
	}
	var out [][]byte
	pos := 0
	for _, d := range o.File.Docs {
		if text, ok := o.texts[d]; ok {
			out = append(out, o.File.Data[pos:d.start], text)
			pos = d.end
		}
	}
	return append(out, o.File.Data[pos:])
}

// size is the length of the output's content.
func (o *Output) size() int {
	n := 0
	for _, p := range o.pieces() {
		n += len(p)
	}
	return n
}

// Apply returns the document's text with its objects' edits applied and verified: the text
// Render puts in place of the document. The document's objects must be decoded (Load, or
// Document.Decode after Scan). The Error says why a document cannot be edited.
func (d *Document) Apply(edits map[*Object]Edit) ([]byte, *Error) {
	candidates, err := d.render(edits)
	if err == nil {
		for _, text := range candidates {
			if err = d.verify(text, edits); err == nil {
				return text, nil
			}
		}
	}
	return nil, &Error{File: d.File.Name, Document: d.Index, Line: d.ContentLine, Message: err.Error()}
}

// HasEdits reports whether edits change any object of the document.
func (d *Document) HasEdits(edits map[*Object]Edit) bool {
	for _, o := range d.Objects {
		if len(edits[o].Changes) > 0 {
			return true
		}
	}
	return false
}

// render returns the document's text with its objects' changes applied, as candidates; the
// first that verifies is written. JSON goes through a JSON patch. YAML is encoded from its node
// tree twice, without and with the changes, and only the lines that differ are spliced into
// the original text (see splice): every other line, the blank lines, the whitespace after the
// document and a document end marker ("...") are kept byte for byte, in the document's own
// line breaks.
func (d *Document) render(edits map[*Object]Edit) ([][]byte, error) {
	text := d.Text()
	content := text // what the parser reads: the document without its end marker
	if i := endMarker(text); !d.JSON && i >= 0 {
		content = text[:i]
	}
	if d.JSON {
		body := bytes.TrimRight(content, " \t\r\n")
		out, err := d.renderJSON(body, edits)
		if err != nil {
			return nil, err
		}
		return [][]byte{append(bytes.TrimRight(out, "\n"), text[len(body):]...)}, nil
	}
	lines := splitLines(content)
	norm := normalized(lines)
	before, err := d.renderYAML(norm, nil)
	if err != nil {
		return nil, err
	}
	after, err := d.renderYAML(norm, edits)
	if err != nil {
		return nil, err
	}
	var candidates [][]byte
	if out, err := splice(lines, encodedLines(before), encodedLines(after)); err == nil {
		candidates = append(candidates, append(out, text[len(content):]...))
	}
	// Where the changes cannot be spliced (their neighbours are lines the encoder rewrites,
	// such as list items indented differently from how it indents them), the whole document
	// is written as the encoder writes it, closest to the original layout first: its blank
	// lines and line breaks kept, then the encoder's output as it is.
	body := bytes.TrimRight(content, " \t\r\n")
	tail := text[len(body):]
	crlf := bytes.Contains(body, []byte("\r\n"))
	layout := func(out []byte, tail []byte) []byte {
		if crlf {
			out = bytes.ReplaceAll(out, []byte("\n"), []byte("\r\n"))
		}
		return append(append(make([]byte, 0, len(out)+len(tail)), out...), tail...)
	}
	return append(candidates,
		layout(bytes.TrimRight(restoreBlankLines(body, after), "\n"), tail),
		layout(bytes.TrimRight(after, "\n"), tail),
		layout(after, text[len(content):]),
	), nil
}

// encodedLines cuts the encoder's output into lines.
func encodedLines(encoded []byte) []string {
	s := strings.TrimSuffix(string(encoded), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// endMarker returns where a final document end marker line ("...") starts, or -1.
func endMarker(text []byte) int {
	body := bytes.TrimRight(text, " \t\r\n")
	i := bytes.LastIndexByte(body, '\n') + 1
	if string(bytes.TrimSpace(body[i:])) == "..." {
		return i
	}
	return -1
}

// renderYAML applies the changes to the kyaml node tree of the document and encodes it again
// with the document's own indentation and list style, so comments and key order survive.
func (d *Document) renderYAML(text string, edits map[*Object]Edit) ([]byte, error) {
	rn, err := yaml.Parse(text)
	if err != nil {
		return nil, fmt.Errorf("cannot parse the document to apply defaults: %v", err)
	}
	root := rn.YNode()
	var aliased map[*yaml.Node]bool
	for _, o := range d.Objects {
		for _, c := range edits[o].Changes {
			if aliased == nil {
				aliased = aliasTargets(root)
			}
			if err := applyYAMLChangeIn(root, aliased, c.Op, o.Pointer+c.Path, c.Value); err != nil {
				return nil, fmt.Errorf("cannot apply the default of rule %s: %v", c.Rule, err)
			}
		}
	}
	var out bytes.Buffer
	enc := yaml.NewEncoder(&out)
	enc.SetIndent(mappingIndent(text))
	if yaml.DeriveSeqIndentStyle(text) == string(yaml.WideSequenceStyle) {
		enc.DefaultSeqIndent()
	} else {
		enc.CompactSeqIndent()
	}
	if err := enc.Encode(rn.Document()); err != nil {
		return nil, fmt.Errorf("cannot write the document: %v", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("cannot write the document: %v", err)
	}
	return out.Bytes(), nil
}

// restoreBlankLines puts back the blank lines of the original document, which the YAML
// encoder drops: every output line that is also, in order, a line of the original gets the
// blank lines that preceded it there. Lines wsguard added match nothing and get none. The
// search looks a bounded distance ahead, so a List of thousands of items stays linear.
func restoreBlankLines(original, encoded []byte) []byte {
	const lookahead = 256 // far more lines than the defaults of one object add
	orig := strings.Split(strings.ReplaceAll(string(original), "\r\n", "\n"), "\n")
	var out []string
	next := 0 // the first line of the original not matched yet
	for _, line := range strings.Split(string(encoded), "\n") {
		if strings.TrimSpace(line) != "" {
			for k := next; k < min(len(orig), next+lookahead); k++ {
				if orig[k] != line {
					continue
				}
				blanks := 0
				for b := k - 1; b >= next && strings.TrimSpace(orig[b]) == ""; b-- {
					blanks++
				}
				for have := trailingBlanks(out); have < blanks; have++ {
					out = append(out, "")
				}
				next = k + 1
				break
			}
		}
		out = append(out, line)
	}
	return []byte(strings.Join(out, "\n"))
}

func trailingBlanks(lines []string) int {
	n := 0
	for i := len(lines) - 1; i >= 0 && strings.TrimSpace(lines[i]) == ""; i-- {
		n++
	}
	return n
}

// mappingIndent finds how many spaces the document indents nested mappings by: the step from
// the first "key:" line that opens a mapping to the key on the next line. Two when nothing is
// nested that way.
func mappingIndent(text string) int {
	lines := strings.Split(text, "\n")
	for i := 0; i+1 < len(lines); i++ {
		key := strings.TrimRight(lines[i], " \t\r")
		if !strings.HasSuffix(key, ":") || strings.Contains(key, "#") {
			continue
		}
		column := len(key) - len(strings.TrimLeft(key, " "))
		for rest := key[column:]; strings.HasPrefix(rest, "- "); rest = strings.TrimLeft(rest[2:], " ") {
			column = len(key) - len(strings.TrimLeft(rest[2:], " "))
		}
		next := nextContentLine(lines[i+1:])
		trimmed := strings.TrimLeft(next, " ")
		if trimmed == "" || strings.HasPrefix(trimmed, "- ") || trimmed == "-" {
			continue
		}
		if step := len(next) - len(trimmed) - column; step >= 2 && step <= 8 {
			return step
		}
	}
	return 2
}

// nextContentLine returns the first line that is neither blank nor a comment.
func nextContentLine(lines []string) string {
	for _, l := range lines {
		if t := strings.TrimSpace(l); t != "" && !strings.HasPrefix(t, "#") {
			return l
		}
	}
	return ""
}

// renderJSON applies the changes as a JSON patch; the patch keeps key order, and the document
// keeps its indentation (or stays on one line).
func (d *Document) renderJSON(body []byte, edits map[*Object]Edit) ([]byte, error) {
	var ops []map[string]any
	for _, o := range d.Objects {
		for _, c := range edits[o].Changes {
			ops = append(ops, map[string]any{"op": c.Op, "path": o.Pointer + c.Path, "value": c.Value})
		}
	}
	raw, err := json.Marshal(ops)
	if err != nil {
		return nil, err
	}
	patch, err := jsonpatch.DecodePatch(raw)
	if err != nil {
		return nil, err
	}
	opts := jsonpatch.NewApplyOptions()
	opts.EscapeHTML = false
	out, err := patch.ApplyIndentWithOptions(body, jsonIndent(body), opts)
	if err != nil {
		return nil, fmt.Errorf("cannot apply the defaults: %v", err)
	}
	return out, nil
}

// jsonIndent is the indentation of the second line of a JSON document: "" keeps a one-line
// document on one line.
func jsonIndent(body []byte) string {
	_, rest, ok := bytes.Cut(body, []byte("\n"))
	if !ok {
		return ""
	}
	line, _, _ := bytes.Cut(rest, []byte("\n"))
	trimmed := bytes.TrimLeft(line, " \t")
	if indent := string(line[:len(line)-len(trimmed)]); indent != "" {
		return indent
	}
	return "  "
}

// verify decodes the rendered document as kubectl would and checks that every object is the
// one wanted (unedited objects: as they were). It guards against any difference between the
// YAML that was written and the patch that was meant: nothing is written that Render cannot
// vouch for.
func (d *Document) verify(text []byte, edits map[*Object]Edit) error {
	check := &Document{File: &File{Name: d.File.Name, Data: text}, Index: d.Index, Line: d.Line, end: len(text), JSON: d.JSON}
	v, err := check.value()
	if err == nil {
		err = check.setObjects(v)
	}
	if err != nil {
		return fmt.Errorf("internal error: the fixed document does not parse (%s); please report this", err.Message)
	}
	if len(check.Objects) != len(d.Objects) {
		return fmt.Errorf("internal error: the fixed document holds %d objects instead of %d; please report this", len(check.Objects), len(d.Objects))
	}
	for i, o := range d.Objects {
		want := o.Obj
		if e, ok := edits[o]; ok && e.Want != nil {
			want = e.Want
		}
		if !reflect.DeepEqual(check.Objects[i].Obj.Object, want.Object) {
			return fmt.Errorf("internal error: the fixed %s %s differs from what the webhook would produce; please report this", o.Obj.GetKind(), o.Obj.GetName())
		}
	}
	return nil
}
