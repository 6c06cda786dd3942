package manifest

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wsguard/wsguard/defaults"
)

// load reads the files of a new folder, as `wsguard fix` would.
func load(t *testing.T, files map[string]string) (string, *Input) {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	in := Load([]string{dir}, strings.NewReader(""), 1<<20)
	if len(in.Errors) > 0 {
		t.Fatalf("errors: %v", in.Errors)
	}
	return dir, in
}

// edit makes the Edit that adds sessionAffinity to a Service.
func edit(o *Object) Edit {
	want := o.Obj.DeepCopy()
	want.Object["spec"].(map[string]any)["sessionAffinity"] = "ClientIP"
	return Edit{Changes: []defaults.Change{{Rule: "test", Op: "add", Path: "/spec/sessionAffinity", Value: "ClientIP"}}, Want: want}
}

// TestRenderAndWrite: only the documents with edits change, comments included; files without
// edits are not written; the byte order mark comes back.
func TestRenderAndWrite(t *testing.T) {
	service := "# the chat Service\n" + chatService
	dir, in := load(t, map[string]string{
		"a.yaml": "---\n" + configMap + "--- # next\n" + service,
		"b.yaml": configMap,
		"c.yaml": "\xEF\xBB\xBF" + chatService,
	})
	edits := map[*Object]Edit{}
	for _, o := range in.Objects() {
		if o.Obj.GetKind() == "Service" {
			edits[o] = edit(o)
		}
	}
	outputs, errs := Render(in.Files, edits)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	want := map[string]string{
		"a.yaml": "---\n" + configMap + "--- # next\n" + service + "  sessionAffinity: ClientIP\n",
		"b.yaml": configMap,
		"c.yaml": "\xEF\xBB\xBF" + chatService + "  sessionAffinity: ClientIP\n",
	}
	for _, o := range outputs {
		name := filepath.Base(o.File.Name)
		if o.Changed != (name != "b.yaml") {
			t.Errorf("%s: changed = %v", name, o.Changed)
		}
		if got := string(o.Data); got != strings.TrimPrefix(want[name], "\xEF\xBB\xBF") {
			t.Errorf("%s rendered:\n%q\nwant\n%q", name, got, want[name])
		}
	}
	if err := WriteFiles(outputs); err != nil {
		t.Fatal(err)
	}
	for name, content := range want {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || string(got) != content {
			t.Errorf("%s written: %q, %v; want %q", name, got, err, content)
		}
	}
}

// TestRenderRefusesWhatItCannotEdit: an edit through a YAML alias is an error that names the
// rule, and the file keeps its content.
func TestRenderRefusesWhatItCannotEdit(t *testing.T) {
	_, in := load(t, map[string]string{"svc.yaml": "x-spec: &spec {ports: [{name: websocket, port: 80}]}\n" +
		strings.Replace(chatService, "spec:\n  selector: {app: chat}\n  ports:\n  - name: websocket\n    port: 80\n    targetPort: 8080\n", "spec: *spec\n", 1)})
	o := in.Objects()[0]
	outputs, errs := Render(in.Files, map[*Object]Edit{o: edit(o)})
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "svc.yaml:1: document 1: cannot apply the default of rule test: add /spec/sessionAffinity: at /spec: the value is a YAML alias (*spec)") {
		t.Errorf("errors = %v", errs)
	}
	if outputs[0].Changed || !bytes.Equal(outputs[0].Data, in.Files[0].Data) {
		t.Errorf("the file changed:\n%s", outputs[0].Data)
	}
}

func TestWriteStream(t *testing.T) {
	tests := []struct {
		name    string
		outputs []string
		want    string
	}{
		{name: "YAML files get a separator between them", outputs: []string{"a: 1", "---\nb: 2\n", "c: 3\n"}, want: "a: 1\n---\nb: 2\n---\nc: 3\n"},
		{name: "JSON files alone form a JSON stream", outputs: []string{"{\"a\":1}\n", "{\"b\":2}"}, want: "{\"a\":1}\n{\"b\":2}\n"},
		{name: "a JSON file first, then YAML: a leading separator makes kubectl read YAML", outputs: []string{"{\"a\":1}\n", "b: 2\n"}, want: "---\n{\"a\":1}\n---\nb: 2\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var outputs []Output
			for _, o := range tt.outputs {
				outputs = append(outputs, Output{File: &File{Name: "x"}, Data: []byte(o)})
			}
			var b bytes.Buffer
			if err := WriteStream(&b, outputs); err != nil {
				t.Fatal(err)
			}
			if b.String() != tt.want {
				t.Errorf("got %q, want %q", b.String(), tt.want)
			}
		})
	}
}

// TestVerifyRefusesADocumentThatDiffers: the last check before writing catches any difference
// between the text and the object wanted.
func TestVerifyRefusesADocumentThatDiffers(t *testing.T) {
	f, errs := parse(t, chatService)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	d := f.Docs[0]
	o := d.Objects[0]
	edits := map[*Object]Edit{o: edit(o)}
	if err := d.verify([]byte(chatService), edits); err == nil || !strings.Contains(err.Error(), "internal error: the fixed Service chat differs") {
		t.Errorf("err = %v", err)
	}
	fixed := chatService + "  sessionAffinity: ClientIP\n"
	if err := d.verify([]byte(fixed), edits); err != nil {
		t.Errorf("the right text is refused: %v", err)
	}
	if err := d.verify([]byte(chatService), nil); err != nil {
		t.Errorf("without edits, the document as read is refused: %v", err)
	}
}

func TestMappingIndent(t *testing.T) {
	tests := []struct {
		text string
		want int
	}{
		{"metadata:\n  name: chat\n", 2},
		{"metadata:\n    name: chat\n", 4},
		{"items:\n  - apiVersion: v1\n    metadata:\n      name: a\n", 2},
		{"items:\n- metadata:\n    name: a\n", 2},
		{"items:\n    -   metadata:\n            name: a\n", 4},
		{"# only:\n  comments\nkind: List\n", 2},
		{"a: 1\n", 2},
	}
	for _, tt := range tests {
		if got := mappingIndent(tt.text); got != tt.want {
			t.Errorf("mappingIndent(%q) = %d, want %d", tt.text, got, tt.want)
		}
	}
}
