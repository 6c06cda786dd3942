// Package manifest reads and writes Kubernetes manifests the way kubectl reads them: files,
// directories and stdin; YAML streams cut at "---" and JSON streams; Lists and their items.
// `wsguard check` and `wsguard fix` (package cli) read their input with it, and fix writes its
// changes back with it, editing only the documents that change and keeping their comments, key
// order and layout.
//
// The API is four calls:
//
//   - Load reads paths ("-" for stdin) into an Input: the Files that hold Kubernetes objects,
//     each cut into Documents, each holding Objects (the document itself, or a List's items),
//     and an Error for each thing that could not be read, naming file, document and line.
//   - Render applies an Edit (JSON-patch operations and the object they must produce) to
//     objects and returns each file's new content: changed documents are patched in place,
//     YAML through its node tree, of which only the lines that change are written into the
//     original text, JSON through a JSON patch with key order kept; everything else is copied
//     byte for byte. A document whose new text does not decode
//     to the expected object is an Error, never written.
//   - WriteFiles replaces the changed files atomically, all or none.
//   - WriteStream prints the files as one stream that kubectl apply -f - reads.
//
// For inputs too large to hold decoded (a decoded object takes ten to twenty times the memory
// of its text), Read, Input.Scan and Document.Decode and Release keep one document decoded at a
// time, Document.Apply edits one document, and Assemble puts the files together for WriteFiles
// and WriteStream without copying them.
//
// Every document is decoded as the API server would receive it from kubectl: YAML 1.1 through
// sigs.k8s.io/yaml, integers as int64, every field kept.
package manifest
