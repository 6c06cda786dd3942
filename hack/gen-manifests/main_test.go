package main

import (
	"bytes"
	"os"
	"testing"
)

// TestGeneratedFilesAreCurrent fails when a checked-in generated file no longer matches what
// `make manifests` writes, such as after a served kind or a permission was added.
func TestGeneratedFilesAreCurrent(t *testing.T) {
	files, err := generatedFiles("../..")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		got, err := os.ReadFile(f.Path)
		if err != nil {
			t.Errorf("%v (run `make manifests`)", err)
			continue
		}
		if !bytes.Equal(got, f.Data) {
			t.Errorf("%s is out of date: run `make manifests`", f.Path)
		}
	}
}
