package cli

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestBadInput: every kind of unreadable input ends in a message that names the file (and the
// line where there is one), exit code 2, and no panic.
func TestBadInput(t *testing.T) {
	big := filepath.Join(t.TempDir(), "big.yaml")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	// 50 MiB of valid YAML comments: the size alone must stop it, before any parsing.
	line := []byte("# " + strings.Repeat("x", 1021) + "\n")
	for range 50 << 10 {
		if _, err := f.Write(line); err != nil {
			t.Fatal(err)
		}
	}
	f.Close()
	dir := writeTree(t, map[string]string{
		"binary.yaml":     "apiVersion: v1\x00\x01\x02",
		"latin1.yaml":     "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: caf\xe9\n",
		"empty/README.md": "no manifests here",
		"invalid.yaml":    "apiVersion: v1\nkind: ConfigMap\nmetadata: [name: x\n",
		"ci/workflow.yml": "name: ci\non: [push]\n",
	})
	tests := []struct {
		name  string
		stdin func() io.Reader
		args  []string
		want  string
	}{
		{name: "a 50 MiB file", args: []string{big}, want: big + ": is too large (50.0 MiB, more than 32.0 MiB); split it, or raise the limit with --max-file-size"},
		{name: "50 MiB on stdin", stdin: func() io.Reader { return io.LimitReader(repeatReader("# padding\n"), 50<<20) }, args: []string{"-"},
			want: "<stdin>: is too large (more than 32.0 MiB)"},
		{name: "a binary file", args: []string{filepath.Join(dir, "binary.yaml")}, want: "binary.yaml: is not a text file (a NUL byte at offset 14)"},
		{name: "a file that is not UTF-8", args: []string{filepath.Join(dir, "latin1.yaml")}, want: "latin1.yaml: is not UTF-8 text (an invalid byte at line 4)"},
		{name: "a path that does not exist", args: []string{filepath.Join(dir, "nope.yaml")}, want: "nope.yaml: does not exist"},
		{name: "a directory without manifests", args: []string{filepath.Join(dir, "empty")}, want: "empty: holds no .yaml, .yml or .json files"},
		{name: "invalid YAML", args: []string{filepath.Join(dir, "invalid.yaml")}, want: "invalid.yaml:3: document 1: invalid YAML"},
		{name: "empty stdin, as a render that printed nothing", args: []string{"-"}, want: "-: holds no Kubernetes objects"},
		{name: "a folder of CI configuration only", args: []string{filepath.Join(dir, "ci")}, want: "ci: holds no Kubernetes objects"},
	}
	for _, tt := range tests {
		for _, command := range []string{"check", "fix"} {
			t.Run(command+" "+tt.name, func(t *testing.T) {
				var stdin io.Reader = strings.NewReader("")
				if tt.stdin != nil {
					stdin = tt.stdin()
				}
				var stdout, stderr bytes.Buffer
				run := Check
				if command == "fix" {
					run = Fix
				}
				code := run(tt.args, stdin, &stdout, &stderr)
				if code != ExitUsage {
					t.Errorf("exit %d, want %d", code, ExitUsage)
				}
				if !strings.Contains(stderr.String(), tt.want) {
					t.Errorf("stderr does not say %q:\n%s", tt.want, stderr.String())
				}
				if command == "fix" && stdout.Len() > 0 {
					t.Errorf("fix wrote to stdout despite the error:\n%.300s", stdout.String())
				}
			})
		}
	}
}

type repeatReader string

func (r repeatReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		n += copy(p[n:], r)
	}
	return n, nil
}

func TestRaisedFileSizeLimit(t *testing.T) {
	dir := writeTree(t, map[string]string{"svc.yaml": chatService})
	want := fmt.Sprintf("is too large (%d bytes, more than 100 bytes)", len(chatService))
	if res := runCommand(t, "check", "", "--max-file-size", "100", filepath.Join(dir, "svc.yaml")); res.code != ExitUsage || !strings.Contains(res.stderr, want) {
		t.Errorf("below the file: exit %d\n%s", res.code, res.stderr)
	}
	if res := runCommand(t, "check", "", "--max-file-size", "1Ki", filepath.Join(dir, "svc.yaml")); res.code != ExitOK {
		t.Errorf("above the file: exit %d\n%s", res.code, res.stderr)
	}
}

// TestThousandsOfFiles reads a tree of 3,000 manifests and 1,000 other files, as a monorepo
// has them: every manifest is judged, the rest is ignored.
func TestThousandsOfFiles(t *testing.T) {
	files := map[string]string{}
	for i := range 3000 {
		files[fmt.Sprintf("team-%02d/app-%04d/service.yaml", i%30, i)] = strings.Replace(chatService, "name: chat", fmt.Sprintf("name: chat-%d", i), 1)
		if i%3 == 0 {
			files[fmt.Sprintf("team-%02d/app-%04d/README.md", i%30, i)] = "docs"
		}
	}
	files[".git/objects/pack.yaml"] = "\x00binary"
	dir := writeTree(t, files)
	rep, res := checkJSON(t, "", dir)
	if res.code != ExitOK {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	if rep.Summary.Files != 3000 || rep.Summary.Objects != 3000 || rep.Summary.Judged != 3000 || rep.Summary.Changed != 3000 {
		t.Errorf("summary = %+v, want 3,000 files, objects, judged and changed (hidden .git left out)", rep.Summary)
	}
}

func TestNamedFilesAreReadWhateverTheirExtension(t *testing.T) {
	dir := writeTree(t, map[string]string{"manifest.txt": chatService, "sub/manifest.txt": chatService})
	rep, res := checkJSON(t, "", filepath.Join(dir, "manifest.txt"))
	if res.code != ExitOK || rep.Summary.Objects != 1 {
		t.Errorf("named .txt: exit %d, summary %+v\n%s", res.code, rep.Summary, res.stderr)
	}
	if res := runCommand(t, "check", "", filepath.Join(dir, "sub")); res.code != ExitUsage || !strings.Contains(res.stderr, "holds no .yaml") {
		t.Errorf("walked .txt is read: exit %d\n%s", res.code, res.stderr)
	}
}

func TestEachFileIsReadOnce(t *testing.T) {
	dir := writeTree(t, map[string]string{"svc.yaml": chatService})
	rep, _ := checkJSON(t, "", dir, filepath.Join(dir, "svc.yaml"), dir+"/./")
	if rep.Summary.Files != 1 || rep.Summary.Objects != 1 {
		t.Errorf("summary = %+v, want the one file once", rep.Summary)
	}
}

func TestNonManifestYAMLInDirectoriesIsSkipped(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"app/service.yaml":      chatService,
		"ci/workflow.yml":       "name: ci\non: [push]\njobs: {check: {runs-on: ubuntu-latest}}\n",
		"chart/values.yaml":     "replicas: 3\n",
		"ci/.pre-commit-config": "repos: []\n",
	})
	rep, res := checkJSON(t, "", dir)
	if res.code != ExitOK || rep.Summary.Files != 3 || rep.Summary.SkippedFiles != 2 || rep.Summary.Objects != 1 {
		t.Errorf("exit %d, summary %+v\n%s", res.code, rep.Summary, res.stderr)
	}
	text := runCommand(t, "check", "", dir)
	if !strings.Contains(text.stdout, "3 files (2 without Kubernetes objects, skipped), 1 object, 1 judged") {
		t.Errorf("text summary:\n%s", text.stdout)
	}
}

// TestFIFOsAreNeverOpened: a named pipe called *.yaml in a directory is skipped without being
// opened (opening it would block until something writes to it); named with -f, it is refused.
func TestFIFOsAreNeverOpened(t *testing.T) {
	dir := writeTree(t, map[string]string{"service.yaml": chatService})
	fifo := filepath.Join(dir, "pipe.yaml")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skip("no FIFOs here:", err)
	}
	done := make(chan struct{})
	var rep Report
	var res, named result
	go func() {
		defer close(done)
		rep, res = checkJSON(t, "", dir)
		named = runCommand(t, "check", "", "-f", fifo)
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("check opened the FIFO and hangs")
	}
	if res.code != ExitOK || rep.Summary.Files != 2 || rep.Summary.SkippedFiles != 1 || rep.Summary.Objects != 1 {
		t.Errorf("exit %d, summary %+v\n%s", res.code, rep.Summary, res.stderr)
	}
	if !strings.Contains(res.stderr, "skipped "+fifo+": ") {
		t.Errorf("the walked FIFO is not named on stderr:\n%s", res.stderr)
	}
	if named.code != ExitUsage || !strings.Contains(named.stderr, "pipe.yaml: is a named pipe (FIFO), not a regular file") {
		t.Errorf("exit %d\n%s", named.code, named.stderr)
	}
}
