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
	// Size counts the bytes of the files read, byte order marks left out.
	Size int64

	// read are the files Read read, until they are decoded.
	read []split
}

// Load reads paths as kubectl apply -f reads them: "-" is stdin (read from the stdin given); a
// file is read whatever its name; a directory is walked recursively in lexical order for .yaml,
// .yml and .json files, leaving out hidden files and folders, each file once. A file (or stdin)
// larger than maxFileSize bytes, or not UTF-8 text, is an error before it is parsed. Documents
// are decoded on every core.
func Load(paths []string, stdin io.Reader, maxFileSize int64) *Input {
	in := Read(paths, stdin, maxFileSize)
	in.decode(nil)
	return in
}

// Read reads and splits the files of paths as Load does, without decoding them: Scan does that
// next. Until then Files is empty, and Size says how much was read.
func Read(paths []string, stdin io.Reader, maxFileSize int64) *Input {
	sources, notRegular, errs := collectFiles(paths)
	in := &Input{Found: len(sources) + len(notRegular), Errors: errs, NotRegular: notRegular}
	for _, s := range notRegular {
		in.Skipped = append(in.Skipped, s.File)
	}
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
		in.read = append(in.read, split{f, src.walked, fileDocs})
		in.Size += int64(len(f.Data))
	}
	return in
}

// split is a file Read read and cut into documents, not decoded yet.
type split struct {
	file   *File
	walked bool
	docs   []*Document
}

// Scan decodes what Read read, as Load does, for inputs too large to hold decoded all at
// once: each document is decoded, its objects are passed to inspect, and they are let go
// again, so that every Object's Obj is nil when Scan returns. Document.Decode brings a
// document's objects back when they are needed, Document.Release lets them go again. A decoded
// object takes ten to twenty times the memory of its text.
//
// inspect is called on every core, for objects of different documents at once, and in order
// for the objects of one document. It sees the objects of every document that decodes, also
// those of files that are left out later because another of their documents is wrong: only the
// Objects of Input.Files are the input's.
func (in *Input) Scan(inspect func(*Object)) {
	in.decode(inspect)
}

// decode decodes the documents Read read, on every core, and files them, or their errors.
// With inspect, decoded objects are given to it and let go.
func (in *Input) decode(inspect func(*Object)) {
	var docs []*Document
	for _, s := range in.read {
		docs = append(docs, s.docs...)
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
	for _, s := range in.read {
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
	in.read = nil
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
