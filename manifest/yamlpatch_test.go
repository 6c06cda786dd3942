package manifest

import (
	"bytes"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/wsguard/wsguard/defaults"
)

func TestApplyYAMLChange(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		op      string
		path    string
		value   any
		want    string
		wantErr string
	}{
		{name: "a new key goes after the existing ones, comments stay",
			in: "metadata:\n  name: chat # the name\n  # labels follow\n  labels: {app: chat}\n",
			op: "add", path: "/metadata/annotations", value: map[string]any{"wsguard.io/applied-rules": "a,b"},
			want: "metadata:\n  name: chat # the name\n  # labels follow\n  labels: {app: chat}\n  annotations:\n    wsguard.io/applied-rules: a,b\n"},
		{name: "a key with a slash, escaped in the pointer",
			in: "metadata:\n  annotations:\n    a: b\n",
			op: "add", path: "/metadata/annotations/nginx.ingress.kubernetes.io~1proxy-read-timeout", value: "3600",
			want: "metadata:\n  annotations:\n    a: b\n    nginx.ingress.kubernetes.io/proxy-read-timeout: \"3600\"\n"},
		{name: "a flow mapping stays a flow mapping",
			in: "metadata: {name: chat}\n",
			op: "add", path: "/metadata/annotations", value: map[string]any{"k": "v"},
			want: "metadata: {name: chat, annotations: {k: v}}\n"},
		{name: "replace keeps the field's comment",
			in: "spec:\n  terminationGracePeriodSeconds: 30 # kubelet default\n",
			op: "replace", path: "/spec/terminationGracePeriodSeconds", value: int64(45),
			want: "spec:\n  terminationGracePeriodSeconds: 45 # kubelet default\n"},
		{name: "an explicit null is replaced",
			in: "metadata:\n  annotations:\n",
			op: "add", path: "/metadata/annotations", value: map[string]any{"k": "v"},
			want: "metadata:\n  annotations:\n    k: v\n"},
		{name: "through list elements",
			in: "containers:\n- name: a\n- name: b\n",
			op: "add", path: "/containers/1/lifecycle", value: map[string]any{"preStop": map[string]any{"sleep": map[string]any{"seconds": int64(15)}}},
			want: "containers:\n- name: a\n- name: b\n  lifecycle:\n    preStop:\n      sleep:\n        seconds: 15\n"},
		{name: "replace a list element", in: "l: [a, b]\n", op: "replace", path: "/l/1", value: "c", want: "l: [a, c]\n"},
		{name: "insert into a list", in: "l: [a, b]\n", op: "add", path: "/l/0", value: "c", want: "l: [c, a, b]\n"},
		{name: "append to a list", in: "l: [a, b]\n", op: "add", path: "/l/-", value: "c", want: "l: [a, b, c]\n"},
		{name: "strings YAML 1.1 reads as booleans are quoted, for kubectl",
			in: "a: 1\n", op: "add", path: "/b", value: map[string]any{"on": "yes", "n": "no", "s": "true", "x": "plain"},
			want: "a: 1\nb:\n  \"n\": \"no\"\n  \"on\": \"yes\"\n  s: \"true\"\n  x: plain\n"},
		{name: "a string replacing a plain scalar keeps its own quotes, and the field its comment",
			in: "a: 30 # why\n", op: "replace", path: "/a", value: "yes", want: "a: \"yes\" # why\n"},
		{name: "a new field set to null is written, not dropped", in: "a: 1\n", op: "add", path: "/b", value: nil, want: "a: 1\nb: null\n"},
		{name: "a new key YAML 1.1 reads as a number is quoted", in: "a: 1\n", op: "add", path: "/1.0", value: "v", want: "a: 1\n\"1.0\": v\n"},
		{name: "add at the end of a list", in: "l: [a, b]\n", op: "add", path: "/l/2", value: "c", want: "l: [a, b, c]\n"},
		{name: "a long string is not folded",
			in: "a: 1\n", op: "add", path: "/b", value: strings.Repeat("word ", 40),
			want: "a: 1\nb: '" + strings.Repeat("word ", 40) + "'\n"},
		{name: "a missing parent", in: "a: 1\n", op: "add", path: "/spec/x", value: "v", wantErr: "add /spec/x: at /spec: the field does not exist"},
		{name: "replace of a missing field", in: "a: 1\n", op: "replace", path: "/b", value: "v", wantErr: "replace /b: the field does not exist"},
		{name: "a list index out of range", in: "l: [a]\n", op: "add", path: "/l/3/x", value: "v", wantErr: `no list element "3"`},
		{name: "through an alias", in: "base: &b {x: 1}\nuse: *b\n", op: "add", path: "/use/y", value: "v", wantErr: "the value is a YAML alias (*b)"},
		{name: "a field from a merge key", in: "base: &b {x: {}}\nuse:\n  <<: *b\n", op: "add", path: "/use/x/y", value: "v", wantErr: "YAML merge key"},
		{name: "below a scalar", in: "a: 1\n", op: "add", path: "/a/b", value: "v", wantErr: "the parent is not a mapping or a list"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rn, err := yaml.Parse(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			err = applyYAMLChange(rn.YNode(), tt.op, tt.path, tt.value)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			enc := yaml.NewEncoder(&out)
			if err := enc.Encode(rn.Document()); err != nil {
				t.Fatal(err)
			}
			if out.String() != tt.want {
				t.Errorf("got:\n%s\nwant:\n%s", out.String(), tt.want)
			}
		})
	}
}

// TestPointers: the engine's pointer codec reads back what it writes, escapes included.
func TestPointers(t *testing.T) {
	segs, err := defaults.SplitJSONPointer("/metadata/annotations/a~1b~0c~01")
	if err != nil || len(segs) != 3 || segs[2] != "a/b~c~1" {
		t.Fatalf("segments = %q, %v", segs, err)
	}
	if p := defaults.JSONPointer(segs); p != "/metadata/annotations/a~1b~0c~01" {
		t.Errorf("joined = %s", p)
	}
	if segs, err := defaults.SplitJSONPointer(""); err != nil || len(segs) != 0 || defaults.JSONPointer(nil) != "" {
		t.Errorf("the empty pointer: %q, %v", segs, err)
	}
	if _, err := defaults.SplitJSONPointer("metadata"); err == nil {
		t.Error("a pointer without a leading slash is accepted")
	}
}

// TestYAML11Prefilter: the cheap filter never rules out a string that YAML 1.1 reads as
// something else.
func TestYAML11Prefilter(t *testing.T) {
	for _, s := range []string{"y", "Y", "yes", "Yes", "YES", "n", "N", "no", "NO", "true", "True", "FALSE", "on", "On", "OFF",
		"off", "~", "null", "Null", "NULL", "1", "-1", "+1", "0x1F", "0o17", "017", "1.5", ".5", ".inf", "-.inf", ".nan",
		"1:20", "2001-12-14", "2001-12-14t21:59:43.10-05:00", "1_000", "0b101"} {
		n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
		if yaml.IsYaml1_1NonString(n) && !mayBeYAML11NonString(s) {
			t.Errorf("%q is not a string in YAML 1.1, but the filter rules it out", s)
		}
	}
	for _, s := range []string{"ClientIP", "kubernetes.io/ws", "wsguard.io/applied-rules", "cookie", "persistent", "nginx.org/websocket-services"} {
		if mayBeYAML11NonString(s) && yaml.IsYaml1_1NonString(&yaml.Node{Kind: yaml.ScalarNode, Value: s}) {
			t.Errorf("%q is quoted", s)
		}
	}
}
