package manifest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// Document is one YAML document, or one JSON value, of a file.
type Document struct {
	File *File
	// Index is the document's 1-based number in its file.
	Index int
	// Line is the 1-based line where the document's text starts.
	Line int
	// ContentLine is the first line that is neither blank nor a comment: where reports point.
	ContentLine int
	// JSON is true for a value of a JSON stream, false for a YAML document.
	JSON bool
	// Objects are the Kubernetes objects of the document, in order: the document itself, or
	// the items of a List. None for a document of only comments.
	Objects []*Object

	// start and end delimit the document's text in File.Data. Separator lines are outside, so
	// that Render can replace a document and keep everything around it byte for byte.
	start, end int

	// Set by decode.
	empty     bool   // only comments or blank lines
	manifest  bool   // a mapping with apiVersion or kind
	parseErr  *Error // not valid YAML or JSON
	objectErr *Error // valid, but not a Kubernetes object
}

// Object is one Kubernetes object of the input: a whole document, or an item of a List.
type Object struct {
	Doc *Document
	// Pointer is where the object sits in its document, as a JSON pointer: "" for the document
	// itself, "/items/3" for an item of a List.
	Pointer string
	// Item is the index in the List's items, or -1.
	Item int
	// Obj is the object as decoded. Items of a typed list (ServiceList) that leave out
	// apiVersion and kind, as the API server returns them, get the list's.
	Obj *unstructured.Unstructured
}

// splitFile cuts a file into documents. A file whose first character is "{" is a stream of
// JSON values, as kubectl decides (with the very function it calls); anything else is YAML.
func splitFile(f *File) ([]*Document, []*Error) {
	if utilyaml.IsJSONBuffer(f.Data) {
		return splitJSON(f)
	}
	return splitYAML(f)
}

// decode parses the document and records its objects or what is wrong with it. Documents are
// independent, so decode runs for many of them at once.
func (d *Document) decode() {
	v, err := d.value()
	switch {
	case err != nil:
		d.parseErr = err
	case v == nil:
		d.empty = true // only comments or blank lines, as helm often emits; kubectl skips them too
	default:
		d.manifest = looksLikeObject(v)
		d.objectErr = d.setObjects(v)
	}
}

// finishFile collects the errors of a file's decoded documents. Errors name the file, the
// document and the line; a file with errors keeps no documents, so that fix never writes a
// file it did not understand.
//
// A file found by walking a directory whose documents are all plain YAML without apiVersion or
// kind (a CI workflow, Helm values, a pre-commit configuration) is not a manifest: it is
// skipped, and finishFile reports that with skipped. Named on the command line, the same file
// is an error, as it is for kubectl.
func finishFile(f *File, docs []*Document, walked bool) (skipped bool, errs []*Error) {
	values, manifests := 0, 0
	var objectErrs []*Error
	for _, d := range docs {
		if d.parseErr != nil {
			errs = append(errs, d.parseErr)
			continue
		}
		if d.empty {
			continue
		}
		values++
		if d.manifest {
			manifests++
		}
		if d.objectErr != nil {
			objectErrs = append(objectErrs, d.objectErr)
		}
	}
	if walked && len(errs) == 0 && values > 0 && manifests == 0 {
		return true, nil
	}
	if errs = append(errs, objectErrs...); len(errs) > 0 {
		return false, errs
	}
	f.Docs = docs
	return false, nil
}

// looksLikeObject reports whether a decoded document is meant as a Kubernetes object: a mapping
// with apiVersion or kind.
func looksLikeObject(v any) bool {
	m, ok := v.(map[string]any)
	if !ok {
		return false
	}
	_, hasAPIVersion := m["apiVersion"]
	_, hasKind := m["kind"]
	return hasAPIVersion || hasKind
}

// splitYAML cuts a YAML stream at document separators exactly where kubectl does: at lines
// that start with "---" followed by nothing but spaces or a comment. Anything else after "---"
// is an error for kubectl, and so it is here.
func splitYAML(f *File) ([]*Document, []*Error) {
	var docs []*Document
	data := f.Data
	pos, line := 0, 1
	bodyStart, bodyLine := 0, 1
	emit := func(end int) {
		if end > bodyStart {
			docs = append(docs, &Document{File: f, Index: len(docs) + 1, Line: bodyLine, start: bodyStart, end: end,
				ContentLine: bodyLine + firstContentLine(data[bodyStart:end])})
		}
	}
	for pos < len(data) {
		end := len(data)
		if nl := bytes.IndexByte(data[pos:], '\n'); nl >= 0 {
			end = pos + nl + 1
		}
		if l := data[pos:end]; bytes.HasPrefix(l, []byte("---")) {
			rest := strings.TrimSpace(string(l[3:]))
			if rest != "" && rest[0] != '#' {
				next := len(docs) + 1 // the document the bad separator would start
				if pos > bodyStart {
					next++
				}
				return nil, []*Error{{File: f.Name, Line: line, Document: next,
					Message: fmt.Sprintf("invalid YAML document separator %q: only spaces or a comment may follow ---", strings.TrimSpace(string(l)))}}
			}
			emit(pos)
			bodyStart, bodyLine = end, line+1
		}
		pos, line = end, line+1
	}
	emit(len(data))
	return docs, nil
}

// splitJSON cuts a stream of JSON values, as `kubectl get -o json` and kubectl apply read them.
func splitJSON(f *File) ([]*Document, []*Error) {
	var docs []*Document
	dec := json.NewDecoder(bytes.NewReader(f.Data))
	// Lines are counted from one document to the next, not from the start each time: a stream
	// may hold thousands of documents.
	counted, line := 0, 1
	lineOf := func(offset int) int {
		line += bytes.Count(f.Data[counted:offset], []byte{'\n'})
		counted = offset
		return line
	}
	for {
		before := int(dec.InputOffset())
		var raw json.RawMessage
		err := dec.Decode(&raw)
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			offset := int(dec.InputOffset())
			var syntax *json.SyntaxError
			if errors.As(err, &syntax) {
				offset = int(syntax.Offset)
			}
			msg := err.Error()
			if errors.Is(err, io.ErrUnexpectedEOF) {
				msg = "unexpected end of input: the JSON value is not closed"
				offset = len(f.Data)
			}
			return nil, []*Error{{File: f.Name, Document: len(docs) + 1, Line: lineAt(f.Data, offset), Message: "invalid JSON: " + msg}}
		}
		start := before + len(f.Data[before:]) - len(bytes.TrimLeftFunc(f.Data[before:], unicode.IsSpace))
		line := lineOf(start)
		docs = append(docs, &Document{File: f, Index: len(docs) + 1, Line: line, ContentLine: line, start: start, end: int(dec.InputOffset()), JSON: true})
	}
}

// Text is the document's text, without the separator lines around it.
func (d *Document) Text() []byte {
	return d.File.Data[d.start:d.end]
}

// firstContentLine counts the lines before the first one that is neither blank nor a comment.
func firstContentLine(text []byte) int {
	n := 0
	for len(text) > 0 {
		line, rest, _ := bytes.Cut(text, []byte("\n"))
		if t := bytes.TrimSpace(line); len(t) > 0 && t[0] != '#' {
			return n
		}
		text, n = rest, n+1
	}
	return 0
}

// value decodes the document. Integers decode as int64 and every field is kept, as the webhook
// decodes an admission request, so that the engine sees what the API server would send it.
// YAML goes through sigs.k8s.io/yaml (YAML 1.1, like kubectl), so "on" or "yes" mean here what
// they mean to kubectl. A document of only comments decodes to nil.
func (d *Document) value() (any, *Error) {
	data := d.Text()
	if !d.JSON {
		converted, err := yaml.YAMLToJSON(data)
		if err != nil {
			return nil, d.yamlError(err)
		}
		data = converted
	}
	var v any
	if err := utiljson.Unmarshal(data, &v); err != nil {
		return nil, &Error{File: d.File.Name, Document: d.Index, Line: d.Line, Message: "invalid JSON: " + err.Error()}
	}
	return v, nil
}

// Decode decodes the document again and gives its Objects their Obj back, after Scan or
// Release let them go. The Objects stay the same values, so maps keyed by them stay valid.
// Documents are independent: Decode runs for many of them at once, but not twice at once for
// one document.
func (d *Document) Decode() *Error {
	if len(d.Objects) == 0 {
		return nil
	}
	v, err := d.value()
	if err != nil {
		return err
	}
	objs, e := objectsOf(d, v, "", -1, "", "")
	if e == nil && len(objs) != len(d.Objects) {
		e = fmt.Errorf("internal error: the document holds %d objects instead of %d; please report this", len(objs), len(d.Objects))
	}
	if e != nil {
		return &Error{File: d.File.Name, Document: d.Index, Line: d.ContentLine, Message: e.Error()}
	}
	for i, o := range objs {
		d.Objects[i].Obj = o.Obj
	}
	return nil
}

// Release lets the document's decoded objects go: every Obj of its Objects is nil afterwards,
// until Decode.
func (d *Document) Release() {
	for _, o := range d.Objects {
		o.Obj = nil
	}
}

// setObjects records the objects of a decoded document.
func (d *Document) setObjects(v any) *Error {
	objs, err := objectsOf(d, v, "", -1, "", "")
	if err != nil {
		return &Error{File: d.File.Name, Document: d.Index, Line: d.ContentLine, Message: err.Error()}
	}
	d.Objects = objs
	return nil
}

// objectsOf returns the object v, or the items of a List, in order. Items of a typed list
// (ServiceList) may leave out apiVersion and kind, as the API server returns them; they are
// filled in from the list for judging only.
func objectsOf(d *Document, v any, pointer string, item int, listAPIVersion, listItemKind string) ([]*Object, error) {
	where := "the document"
	if item >= 0 {
		where = fmt.Sprintf("items[%d]", item)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s is not a Kubernetes object: expected a mapping with apiVersion and kind, found %s", where, describeJSONType(v))
	}
	u := &unstructured.Unstructured{Object: m}
	if u.GetAPIVersion() == "" && listAPIVersion != "" {
		u.SetAPIVersion(listAPIVersion)
	}
	if u.GetKind() == "" && listItemKind != "" {
		u.SetKind(listItemKind)
	}
	var missing []string
	if u.GetAPIVersion() == "" {
		missing = append(missing, "apiVersion")
	}
	if u.GetKind() == "" {
		missing = append(missing, "kind")
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%s is not a Kubernetes object: %s not set", where, strings.Join(missing, " and "))
	}
	items, isList := m["items"].([]any)
	if !isList || !strings.HasSuffix(u.GetKind(), "List") {
		return []*Object{{Doc: d, Pointer: pointer, Item: item, Obj: u}}, nil
	}
	itemKind := ""
	if u.GetKind() != "List" {
		itemKind = strings.TrimSuffix(u.GetKind(), "List")
	}
	var out []*Object
	for i, it := range items {
		objs, err := objectsOf(d, it, pointer+"/items/"+strconv.Itoa(i), i, u.GetAPIVersion(), itemKind)
		if err != nil {
			return nil, err
		}
		out = append(out, objs...)
	}
	return out, nil
}

func describeJSONType(v any) string {
	switch v.(type) {
	case []any:
		return "a list"
	case string:
		return "a string"
	case nil:
		return "nothing"
	default:
		return "a scalar"
	}
}

// yamlLine finds the line numbers that YAML parser errors carry ("yaml: line 3: ...").
var yamlLine = regexp.MustCompile(`line (\d+)`)

// yamlError turns a parser error into an Error whose line numbers count from the start of
// the file, not of the document.
func (d *Document) yamlError(err error) *Error {
	msg := strings.TrimPrefix(err.Error(), "error converting YAML to JSON: ")
	msg = strings.TrimPrefix(msg, "yaml: ")
	first := 0
	msg = yamlLine.ReplaceAllStringFunc(msg, func(s string) string {
		n, _ := strconv.Atoi(yamlLine.FindStringSubmatch(s)[1])
		n += d.Line - 1
		if first == 0 {
			first = n
		}
		return "line " + strconv.Itoa(n)
	})
	if first == 0 {
		first = d.Line
	}
	// The line is in the position already; keep it in the text only when there are several.
	if strings.Count(msg, "line ") == 1 {
		msg = strings.TrimPrefix(msg, "line "+strconv.Itoa(first)+": ")
	}
	return &Error{File: d.File.Name, Document: d.Index, Line: first, Message: "invalid YAML: " + strings.ReplaceAll(msg, "\n", " ")}
}
