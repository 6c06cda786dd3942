package cli

import (
	"fmt"
	"io"
	"strings"
)

// run is one check or fix over the whole input.
type run struct {
	opts   *options
	nFiles int
	files  []*inputFile
	// skipped are the files of directory walks that hold no Kubernetes objects.
	skipped []string
	objects []*object
	errors  []*InputError
}

// load reads, parses and judges the whole input. Facts come from every file that could be
// read, so an object is judged against the Services and Ingresses of the other files too.
// Documents are decoded, and objects judged, on every core: both are pure.
func load(o *options, stdin io.Reader) *run {
	paths, errs := collectFiles(o.paths)
	r := &run{opts: o, errors: errs, nFiles: len(paths)}
	type split struct {
		file   *inputFile
		walked bool
		docs   []*document
	}
	var splits []split
	var docs []*document
	for _, p := range paths {
		f, err := readInput(p.path, stdin, o.maxFileSize)
		if err != nil {
			r.errors = append(r.errors, err)
			continue
		}
		fileDocs, errs := splitFile(f)
		if len(errs) > 0 {
			r.errors = append(r.errors, errs...)
			continue
		}
		splits = append(splits, split{f, p.walked, fileDocs})
		docs = append(docs, fileDocs...)
	}
	forEach(len(docs), func(i int) { docs[i].decode() })
	for _, s := range splits {
		skipped, errs := finishFile(s.file, s.docs, s.walked)
		switch {
		case skipped:
			r.skipped = append(r.skipped, s.file.name)
		case len(errs) > 0:
			r.errors = append(r.errors, errs...)
		default:
			r.files = append(r.files, s.file)
			for _, d := range s.file.docs {
				r.objects = append(r.objects, d.objects...)
			}
		}
	}
	if len(r.objects) == 0 && len(r.errors) == 0 {
		// As kubectl refuses "no objects passed to apply": most likely a wrong path in a CI
		// script, or a render that printed nothing.
		r.errors = append(r.errors, &InputError{File: strings.Join(o.paths, ", "), Message: "holds no Kubernetes objects"})
	}
	facts := buildFacts(r.objects, o.namespace, o.namespaceLabels)
	forEach(len(r.objects), func(i int) { judgeOne(r.objects[i], facts, o.policy) })
	for _, obj := range r.objects {
		if obj.verdict.err != nil {
			r.errors = append(r.errors, obj.verdict.err)
		}
	}
	return r
}

// summary counts the run's findings.
func (r *run) summary() Summary {
	s := Summary{Files: r.nFiles, SkippedFiles: len(r.skipped), Objects: len(r.objects), Errors: len(r.errors)}
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
}
