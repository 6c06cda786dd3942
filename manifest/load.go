package manifest

import (
	"io"

	"github.com/wsguard/wsguard/internal/parallel"
)

// Input is what Load read.
type Input struct {
	// Files are the files read without error that hold Kubernetes objects, in input order.
	Files []*File
	// Found counts the files the paths named or the walks found, read or not.
	Found int
	// Skipped names the files of directory walks that hold YAML but no Kubernetes object (a CI
	// workflow, Helm values): they are left out, not errors.
	Skipped []string
	// NotRegular are the files of directory walks with a manifest's name that are not regular
	// files (a FIFO, a socket, a device): never opened, and also named in Skipped.
	NotRegular []Skip
	// Errors are everything that could not be read, in input order. A file with an error keeps
	// none of its documents.
	Errors []*Error
}

// Load reads paths as kubectl apply -f reads them: "-" is stdin (read from the stdin given); a
// file is read whatever its name; a directory is walked recursively in lexical order for .yaml,
// .yml and .json files, leaving out hidden files and folders, each file once. A file (or stdin)
// larger than maxFileSize bytes, or not UTF-8 text, is an error before it is parsed. Documents
// are decoded on every core.
func Load(paths []string, stdin io.Reader, maxFileSize int64) *Input {
	return loadInput(paths, stdin, maxFileSize, nil)
}

// Scan reads paths as Load does, but for inputs too large to hold decoded all at once: each
// document is decoded, its objects are passed to inspect, and they are let go again, so that
// every Object's Obj is nil when Scan returns. Document.Decode brings a document's objects back
// when they are needed, Document.Release lets them go again. A decoded object takes ten to
// twenty times the memory of its text.
//
// inspect is called on every core, for objects of different documents at once, and in order
// for the objects of one document. It sees the objects of every document that decodes, also
// those of files that are left out later because another of their documents is wrong: only the
// Objects of Input.Files are the input's.
func Scan(paths []string, stdin io.Reader, maxFileSize int64, inspect func(*Object)) *Input {
	return loadInput(paths, stdin, maxFileSize, inspect)
}

func loadInput(paths []string, stdin io.Reader, maxFileSize int64, inspect func(*Object)) *Input {
	sources, notRegular, errs := collectFiles(paths)
	in := &Input{Found: len(sources) + len(notRegular), Errors: errs, NotRegular: notRegular}
	for _, s := range notRegular {
		in.Skipped = append(in.Skipped, s.File)
	}
	type split struct {
		file   *File
		walked bool
		docs   []*Document
	}
	var splits []split
	var docs []*Document
	for _, src := range sources {
		f, err := readInput(src.path, stdin, maxFileSize)
		if err != nil {
			in.Errors = append(in.Errors, err)
			continue
		}
		fileDocs, errs := splitFile(f)
		if len(errs) > 0 {
			in.Errors = append(in.Errors, errs...)
			continue
		}
		splits = append(splits, split{f, src.walked, fileDocs})
		docs = append(docs, fileDocs...)
	}
	parallel.ForEach(len(docs), func(i int) {
		docs[i].decode()
		if inspect != nil {
			for _, o := range docs[i].Objects {
				inspect(o)
			}
			docs[i].Release()
		}
	})
	for _, s := range splits {
		skipped, errs := finishFile(s.file, s.docs, s.walked)
		switch {
		case skipped:
			in.Skipped = append(in.Skipped, s.file.Name)
		case len(errs) > 0:
			in.Errors = append(in.Errors, errs...)
		default:
			in.Files = append(in.Files, s.file)
		}
	}
	return in
}

// Objects lists the objects of every file, in input order.
func (in *Input) Objects() []*Object {
	var out []*Object
	for _, f := range in.Files {
		for _, d := range f.Docs {
			out = append(out, d.Objects...)
		}
	}
	return out
}
