package manifest

import (
	"strings"
	"testing"

	"github.com/wsguard/wsguard/internal/testsupport"
)

// The manifests the tests build on.
const (
	chatService = testsupport.ChatService
	configMap   = testsupport.ConfigMap
)

// parse splits and decodes data as a file named on the command line.
func parse(t *testing.T, data string) (*File, []*Error) {
	t.Helper()
	f := &File{Name: "in.yaml", Data: []byte(data)}
	docs, errs := splitFile(f)
	if len(errs) > 0 {
		return f, errs
	}
	for _, d := range docs {
		d.decode()
	}
	_, errs = finishFile(f, docs, false)
	return f, errs
}

func TestDocuments(t *testing.T) {
	type obj struct {
		kind, name, pointer string
		doc, line           int
	}
	tests := []struct {
		name string
		data string
		want []obj
	}{
		{name: "one document", data: chatService,
			want: []obj{{"Service", "chat", "", 1, 1}}},
		{name: "documents with separators, comments and empty documents, as helm template prints them",
			data: "---\n# Source: chart/templates/service.yaml\n" + chatService + "---\n# Source: chart/templates/empty.yaml\n---\n" + configMap + "--- # trailing comment\n\n",
			want: []obj{{"Service", "chat", "", 1, 3}, {"ConfigMap", "settings", "", 3, 16}}},
		{name: "a List, as kubectl get -o yaml prints it",
			data: "apiVersion: v1\nkind: List\nitems:\n- " + strings.ReplaceAll(strings.TrimSpace(chatService), "\n", "\n  ") + "\n- " + strings.ReplaceAll(strings.TrimSpace(configMap), "\n", "\n  ") + "\n",
			want: []obj{{"Service", "chat", "/items/0", 1, 1}, {"ConfigMap", "settings", "/items/1", 1, 1}}},
		{name: "a typed list whose items leave out apiVersion and kind, as the API returns them",
			data: `{"apiVersion":"v1","kind":"ServiceList","items":[{"metadata":{"name":"a"}},{"metadata":{"name":"b"}}]}`,
			want: []obj{{"Service", "a", "/items/0", 1, 1}, {"Service", "b", "/items/1", 1, 1}}},
		{name: "a JSON stream",
			data: "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"a\"}}\n\n{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"ConfigMap\",\n  \"metadata\": {\"name\": \"b\"}\n}\n",
			want: []obj{{"ConfigMap", "a", "", 1, 1}, {"ConfigMap", "b", "", 2, 3}}},
		{name: "Windows line endings", data: strings.ReplaceAll(chatService+"---\n"+configMap, "\n", "\r\n"),
			want: []obj{{"Service", "chat", "", 1, 1}, {"ConfigMap", "settings", "", 2, 12}}},
		{name: "only comments", data: "# nothing here yet\n", want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, errs := parse(t, tt.data)
			if len(errs) > 0 {
				t.Fatalf("errors: %v", errs)
			}
			var got []obj
			for _, d := range f.Docs {
				for _, o := range d.Objects {
					got = append(got, obj{o.Obj.GetKind(), o.Obj.GetName(), o.Pointer, d.Index, d.ContentLine})
				}
			}
			if len(got) != len(tt.want) {
				t.Fatalf("objects = %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("object %d = %+v, want %+v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestDocumentErrors(t *testing.T) {
	tests := []struct {
		name string
		data string
		// want is the whole message: file:line: document N: message.
		want string
	}{
		{name: "invalid YAML, with the line counted from the start of the file",
			data: configMap + "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: broken\n spec: {}\n",
			want: "in.yaml:11: document 2: invalid YAML: did not find expected key"},
		{name: "a tab where YAML needs spaces", data: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n\tname: x\n",
			want: "in.yaml:4: document 1: invalid YAML: found character that cannot start any token"},
		{name: "text after a separator, which kubectl refuses too", data: configMap + "--- apiVersion: v1\n",
			want: `in.yaml:7: document 2: invalid YAML document separator "--- apiVersion: v1": only spaces or a comment may follow ---`},
		{name: "no kind", data: "apiVersion: v1\nmetadata: {name: x}\n",
			want: "in.yaml:1: document 1: the document is not a Kubernetes object: kind not set"},
		{name: "neither apiVersion nor kind, after a comment", data: "# values\nreplicas: 3\n",
			want: "in.yaml:2: document 1: the document is not a Kubernetes object: apiVersion and kind not set"},
		{name: "a list instead of an object", data: "- a\n- b\n",
			want: "in.yaml:1: document 1: the document is not a Kubernetes object: expected a mapping with apiVersion and kind, found a list"},
		{name: "a List item that is not an object", data: "apiVersion: v1\nkind: List\nitems:\n- 42\n",
			want: "in.yaml:1: document 1: items[0] is not a Kubernetes object: expected a mapping with apiVersion and kind, found a scalar"},
		{name: "invalid JSON, with its line", data: "{\"apiVersion\": \"v1\",\n \"kind\": \"ConfigMap\",\n \"metadata\": {\"name\": \"x\",}}\n",
			want: "in.yaml:3: document 1: invalid JSON: invalid character '}' looking for beginning of object key string"},
		{name: "invalid JSON in the second value of a stream", data: "{\"kind\": \"A\"}\n\n{\"apiVersion\": \"v1\",\n \"kind\": x}\n",
			want: "in.yaml:4: document 2: invalid JSON: invalid character 'x' looking for beginning of value"},
		{name: "unterminated JSON", data: "{\"apiVersion\": \"v1\",\n",
			want: "in.yaml:2: document 1: invalid JSON: unexpected end of input: the JSON value is not closed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, errs := parse(t, tt.data)
			if len(errs) != 1 {
				t.Fatalf("errors = %v, want exactly one", errs)
			}
			if got := errs[0].Error(); got != tt.want {
				t.Errorf("error =\n  %s\nwant\n  %s", got, tt.want)
			}
			if f.Docs != nil {
				t.Errorf("a file with errors keeps documents: %d", len(f.Docs))
			}
		})
	}
}

func TestNonManifestFilesAreSkippedOnlyInWalks(t *testing.T) {
	workflow := "name: ci\non: [push]\njobs:\n  check:\n    runs-on: ubuntu-latest\n"
	f := &File{Name: "ci.yml", Data: []byte(workflow)}
	docs, _ := splitFile(f)
	for _, d := range docs {
		d.decode()
	}
	if skipped, errs := finishFile(f, docs, true); !skipped || errs != nil {
		t.Errorf("walked: skipped = %v, errs = %v; want skipped", skipped, errs)
	}
	if skipped, errs := finishFile(f, docs, false); skipped || len(errs) != 1 {
		t.Errorf("named: skipped = %v, errs = %v; want one error", skipped, errs)
	}
	// One object among plain YAML makes the file a manifest with a mistake, even in a walk.
	f = &File{Name: "mixed.yaml", Data: []byte(configMap + "---\n" + workflow)}
	docs, _ = splitFile(f)
	for _, d := range docs {
		d.decode()
	}
	if skipped, errs := finishFile(f, docs, true); skipped || len(errs) != 1 {
		t.Errorf("mixed: skipped = %v, errs = %v; want one error", skipped, errs)
	}
}
