package cli

import (
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/wsguard/wsguard/defaults"
)

func TestParseOptions(t *testing.T) {
	policy := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(policy, []byte("timeoutSeconds: 7200\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	badPolicy := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(badPolicy, []byte("timeoutSecond: 7200\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		command string
		args    []string
		check   func(t *testing.T, o *options)
		wantErr string
	}{
		{name: "paths after -f and alone, in command-line order", command: "check", args: []string{"-f", "a.yaml", "b/", "-o", "json", "-f", "-", "c.json"},
			check: func(t *testing.T, o *options) {
				if want := []string{"a.yaml", "b/", "-", "c.json"}; !reflect.DeepEqual(o.paths, want) {
					t.Errorf("paths = %q, want %q", o.paths, want)
				}
				if o.output != "json" {
					t.Errorf("output = %q", o.output)
				}
			}},
		{name: "defaults", command: "check", args: []string{"x.yaml"},
			check: func(t *testing.T, o *options) {
				if o.namespaceLabels[defaults.LabelInject] != defaults.InjectEnabled || len(o.namespaceLabels) != 1 {
					t.Errorf("namespace labels = %v, want only the opt-in label", o.namespaceLabels)
				}
				if o.maxFileSize != 32<<20 || o.output != "text" || o.color != "auto" || o.policy.Enforcement != defaults.Enforce {
					t.Errorf("unexpected defaults: %+v", o)
				}
			}},
		{name: "empty namespace labels simulate a namespace that has not opted in", command: "check", args: []string{"--namespace-labels=", "x.yaml"},
			check: func(t *testing.T, o *options) {
				if len(o.namespaceLabels) != 0 {
					t.Errorf("namespace labels = %v, want none", o.namespaceLabels)
				}
			}},
		{name: "several namespace labels", command: "check", args: []string{"--namespace-labels", "a=1, b=2", "x.yaml"},
			check: func(t *testing.T, o *options) {
				if want := map[string]string{"a": "1", "b": "2"}; !reflect.DeepEqual(o.namespaceLabels, want) {
					t.Errorf("namespace labels = %v, want %v", o.namespaceLabels, want)
				}
			}},
		{name: "policy file and enforcement", command: "fix", args: []string{"--config", policy, "--enforcement", "warn", "-w", "x.yaml"},
			check: func(t *testing.T, o *options) {
				if o.policy.TimeoutSeconds != 7200 || o.policy.Enforcement != defaults.Warn || !o.write {
					t.Errorf("policy = %+v, write = %v", o.policy, o.write)
				}
			}},
		{name: "max file size", command: "check", args: []string{"--max-file-size", "100M", "x.yaml"},
			check: func(t *testing.T, o *options) {
				if o.maxFileSize != 100_000_000 {
					t.Errorf("max file size = %d", o.maxFileSize)
				}
			}},
		{name: "no input", command: "check", args: nil, wantErr: "no input"},
		{name: "unknown output", command: "check", args: []string{"-o", "yaml", "x"}, wantErr: `-o "yaml": use text or json`},
		{name: "fix has no -o", command: "fix", args: []string{"-o", "json", "x"}, wantErr: "flag provided but not defined: -o"},
		{name: "check has no -w", command: "check", args: []string{"-w", "x"}, wantErr: "flag provided but not defined: -w"},
		{name: "stdin twice", command: "check", args: []string{"-f", "-", "-"}, wantErr: "only once"},
		{name: "writing back to stdin", command: "fix", args: []string{"-w", "-f", "-"}, wantErr: "-w cannot write back to stdin"},
		{name: "bad label", command: "check", args: []string{"--namespace-labels", "novalue", "x"}, wantErr: `"novalue" is not key=value`},
		{name: "bad colour", command: "check", args: []string{"--color", "sometimes", "x"}, wantErr: "use auto, always or never"},
		{name: "bad size", command: "check", args: []string{"--max-file-size", "-1", "x"}, wantErr: "not a positive size"},
		{name: "bad enforcement", command: "check", args: []string{"--enforcement", "strict", "x"}, wantErr: `--enforcement: policy: enforcement: "strict" is not a mode`},
		{name: "missing policy file", command: "check", args: []string{"--config", "/nonexistent/policy.yaml", "x"}, wantErr: "--config"},
		{name: "policy file with a typo", command: "check", args: []string{"--config", badPolicy, "x"}, wantErr: `unknown field "timeoutSecond"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := parseOptions(tt.command, tt.args, io.Discard)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, errUsage) {
					t.Fatalf("err = %v, want a usage error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, o)
		})
	}
}

func TestHelpAndUsageErrors(t *testing.T) {
	for _, command := range []string{"check", "fix"} {
		res := runCommand(t, command, "", "--help")
		if res.code != ExitOK || strings.Count(res.stderr, "Usage: wsguard "+command) != 1 || !strings.Contains(res.stderr, "-namespace-labels") {
			t.Errorf("%s --help: exit %d, stderr:\n%s", command, res.code, res.stderr)
		}
		res = runCommand(t, command, "", "--bogus")
		if res.code != ExitUsage || !strings.Contains(res.stderr, "flag provided but not defined: -bogus") || !strings.Contains(res.stderr, "--help") {
			t.Errorf("%s --bogus: exit %d, stderr:\n%s", command, res.code, res.stderr)
		}
	}
	if _, err := parseOptions("check", []string{"-h"}, io.Discard); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("-h: err = %v, want flag.ErrHelp", err)
	}
}
