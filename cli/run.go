package cli

import (
	"fmt"
	"io"
	"strings"
	"sync"

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
	// texts are the new texts of the documents that get defaults (fix only), for
	// manifest.Assemble; renderErrors are the documents that could not be edited, in input
	// order.
	texts        map[*manifest.Document][]byte
	renderErrors []*InputError
	// close ends the run: it restores what boundMemory changed.
	close func()
}

// object is one object of the input (a manifest.Object) and what the webhooks would do with it.
// Only what the reports need is kept of it: the decoded object is held only while its document
// is judged, as a large input decoded takes ten to twenty times its size.
type object struct {
	src *manifest.Object
	// obj is src's object while its document is judged, nil otherwise.
	obj *unstructured.Unstructured
	// apiVersion, kind and name are as written.
	apiVersion, kind, name string
	// item and doc are src's List item index and document, under the names the reports use.
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

// load reads, parses and judges the whole input; with render (fix), it also writes the new text
// of every document that gets defaults. Facts come from every file that could be read, so an
// object is judged against the Services and Ingresses of the other files too.
//
// The input is decoded twice, one document at a time and on every core, so that memory
// follows the size of the input text and of the facts, not of the decoded objects: the first
// time for the facts (a slim copy of each related object), the second to judge each document's
// objects and, for fix, to edit the document, after which the decoded objects are let go.
func load(o *options, stdin io.Reader, render bool) *run {
	in := manifest.Read(o.paths, stdin, o.maxFileSize)
	r := &run{opts: o, input: in, close: boundMemory(in.Size)}
	var mu sync.Mutex
	found := map[*manifest.Object]fact{}
	in.Scan(func(src *manifest.Object) {
		if f, ok := factOf(src.Obj); ok {
			mu.Lock()
			found[src] = f
			mu.Unlock()
		}
	})
	r.errors = in.Errors
	var docs []*manifest.Document
	var docObjects [][]*object // the objects of each document of docs
	var facts []fact           // the facts of the input, in input order
	for _, f := range in.Files {
		for _, d := range f.Docs {
			if len(d.Objects) == 0 {
				continue
			}
			doc := &document{file: inputFile{name: f.Name}, index: d.Index, contentLine: d.ContentLine}
			objs := make([]*object, len(d.Objects))
			for i, src := range d.Objects {
				objs[i] = &object{src: src, item: src.Item, doc: doc}
				if f, ok := found[src]; ok {
					facts = append(facts, f)
				}
			}
			docs, docObjects = append(docs, d), append(docObjects, objs)
			r.objects = append(r.objects, objs...)
		}
	}
	found = nil
	if len(r.objects) == 0 && len(r.errors) == 0 {
		// As kubectl refuses "no objects passed to apply": most likely a wrong path in a CI
		// script, or a render that printed nothing.
		r.errors = append(r.errors, &InputError{File: strings.Join(o.paths, ", "), Message: "holds no Kubernetes objects"})
	}
	index := buildFacts(facts, o.namespace, o.namespaceLabels)
	facts = nil
	// One slot per document, filled concurrently: each call owns its document's.
	decodeErrs := make([]*InputError, len(docs))
	texts := make([][]byte, len(docs))
	renderErrs := make([]*InputError, len(docs))
	forEach(len(docs), func(i int) {
		d, objs := docs[i], docObjects[i]
		if err := d.Decode(); err != nil {
			decodeErrs[i] = err
			return
		}
		defer d.Release()
		var edits map[*manifest.Object]manifest.Edit
		for _, obj := range objs {
			obj.obj = obj.src.Obj
			obj.apiVersion, obj.kind, obj.name = obj.obj.GetAPIVersion(), obj.obj.GetKind(), obj.obj.GetName()
			judgeOne(obj, index, o.policy, o.explain)
			if v := &obj.verdict; render && len(v.changes) > 0 {
				if edits == nil {
					edits = map[*manifest.Object]manifest.Edit{}
				}
				edits[obj.src] = manifest.Edit{Changes: v.changes, Want: v.fixed}
			}
		}
		if edits != nil {
			texts[i], renderErrs[i] = d.Apply(edits)
		}
		for _, obj := range objs {
			obj.obj, obj.verdict.fixed = nil, nil
		}
	})
	for i, objs := range docObjects {
		if decodeErrs[i] != nil {
			r.errors = append(r.errors, decodeErrs[i])
		}
		for _, obj := range objs {
			if obj.verdict.err != nil {
				r.errors = append(r.errors, obj.verdict.err)
			}
		}
	}
	if render {
		r.texts = map[*manifest.Document][]byte{}
		for i, d := range docs {
			switch {
			case renderErrs[i] != nil:
				r.renderErrors = append(r.renderErrors, renderErrs[i])
			case texts[i] != nil:
				r.texts[d] = texts[i]
			}
		}
	}
	return r
}

// summary counts the run's findings.
func (r *run) summary() Summary {
	s := Summary{Files: r.input.Found, SkippedFiles: len(r.input.Skipped), Objects: len(r.objects), Errors: len(r.errors)}
	for _, o := range r.objects {
		if o.verdict.judged {
			s.count(&o.verdict)
		}
	}
	return s
}

// count adds one judged object's verdict to the summary.
func (s *Summary) count(v *verdict) {
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
