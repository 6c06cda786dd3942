package cli

import (
	"fmt"
	"io"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/wsguard/wsguard/manifest"
)

// run is one check or fix over the whole input.
type run struct {
	opts  *options
	input *manifest.Input
	// objects are the input's objects in input order, each with its verdict.
	objects []*object
	errors  []*InputError
}

// object is one object of the input (a manifest.Object) and what the webhooks would do with it.
type object struct {
	src *manifest.Object
	// obj, item and doc are src's object, List item index and document, under the names the
	// judging and the reports use.
	obj  *unstructured.Unstructured
	item int
	doc  *document
	// verdict is filled by judge.
	verdict verdict
}

// document says where an object is written, as messages and reports name it.
type document struct {
	file        inputFile
	index       int // 1-based, counting the documents of the file
	contentLine int // the first line that is neither blank nor a comment
}

// inputFile names a file of the input: the path as given or found, or <stdin>.
type inputFile struct {
	name string
}

// load reads, parses and judges the whole input. Facts come from every file that could be
// read, so an object is judged against the Services and Ingresses of the other files too.
// Documents are decoded, and objects judged, on every core: both are pure.
func load(o *options, stdin io.Reader) *run {
	in := manifest.Load(o.paths, stdin, o.maxFileSize)
	r := &run{opts: o, input: in, errors: in.Errors}
	docs := map[*manifest.Document]*document{}
	for _, src := range in.Objects() {
		d, ok := docs[src.Doc]
		if !ok {
			d = &document{file: inputFile{name: src.Doc.File.Name}, index: src.Doc.Index, contentLine: src.Doc.ContentLine}
			docs[src.Doc] = d
		}
		r.objects = append(r.objects, &object{src: src, obj: src.Obj, item: src.Item, doc: d})
	}
	if len(r.objects) == 0 && len(r.errors) == 0 {
		// As kubectl refuses "no objects passed to apply": most likely a wrong path in a CI
		// script, or a render that printed nothing.
		r.errors = append(r.errors, &InputError{File: strings.Join(o.paths, ", "), Message: "holds no Kubernetes objects"})
	}
	facts := buildFacts(r.objects, o.namespace, o.namespaceLabels)
	forEach(len(r.objects), func(i int) { judgeOne(r.objects[i], facts, o.policy, o.explain) })
	for _, obj := range r.objects {
		if obj.verdict.err != nil {
			r.errors = append(r.errors, obj.verdict.err)
		}
	}
	return r
}

// edits are the defaults of every object that gets some, for manifest.Render to write.
func (r *run) edits() map[*manifest.Object]manifest.Edit {
	edits := map[*manifest.Object]manifest.Edit{}
	for _, o := range r.objects {
		if v := &o.verdict; len(v.changes) > 0 {
			edits[o.src] = manifest.Edit{Changes: v.changes, Want: v.fixed}
		}
	}
	return edits
}

// summary counts the run's findings.
func (r *run) summary() Summary {
	s := Summary{Files: r.input.Found, SkippedFiles: len(r.input.Skipped), Objects: len(r.objects), Errors: len(r.errors)}
	for _, o := range r.objects {
		v := &o.verdict
		if !v.judged {
			continue
		}
		s.Judged++
		if v.websocket {
			s.WebSocket++
		}
		if len(v.changes) > 0 {
			s.Changed++
		}
		if v.denied() {
			s.Denied++
		}
		if warned(v) {
			s.Warned++
		}
	}
	return s
}

// printErrors writes each input error on its own line, for people and for CI log matchers.
func (r *run) printErrors(w io.Writer) {
	for _, e := range r.errors {
		fmt.Fprintf(w, "wsguard %s: %s\n", r.opts.command, e.Error())
	}
	// Files of a directory walk that are not regular files were never opened: say which.
	for _, s := range r.input.NotRegular {
		fmt.Fprintf(w, "wsguard %s: skipped %s: %s\n", r.opts.command, s.File, s.Reason)
	}
}
