package cli

import (
	"os"
	"path/filepath"
	"testing"
)

// TestExamples: what docs/cli.md shows for examples/ holds. check reads every manifest and
// skips the CI configuration in examples/ci/; fix -w writes defaults that a second fix, and
// check, find complete, and leaves the denied values as they were.
func TestExamples(t *testing.T) {
	before, res := checkJSON(t, "", "-f", "../examples/")
	if res.code != ExitViolations || len(before.Errors) > 0 {
		t.Fatalf("check examples/: exit %d, errors %+v\n%s", res.code, before.Errors, res.stderr)
	}
	if before.Summary.SkippedFiles != 2 || before.Summary.Changed == 0 || before.Summary.Denied == 0 {
		t.Errorf("summary = %+v: want the two CI files skipped, defaults and denials", before.Summary)
	}

	dir := filepath.Join(t.TempDir(), "examples")
	if err := os.CopyFS(dir, os.DirFS("../examples")); err != nil {
		t.Fatal(err)
	}
	if res := runCommand(t, "fix", "", "-w", dir); res.code != ExitViolations || res.stdout != "" {
		t.Fatalf("fix -w: exit %d, stdout %q\n%s", res.code, res.stdout, res.stderr)
	}
	fixed := snapshot(t, dir)
	after, _ := checkJSON(t, "", dir)
	if after.Summary.Changed != 0 || after.Summary.Denied != before.Summary.Denied || after.Summary.Judged != before.Summary.Judged {
		t.Errorf("after fix -w: summary %+v, before %+v: want no defaults left and the same denials", after.Summary, before.Summary)
	}
	if res := runCommand(t, "fix", "", "-w", dir); res.code != ExitViolations {
		t.Errorf("second fix -w: exit %d\n%s", res.code, res.stderr)
	}
	for path, content := range snapshot(t, dir) {
		if fixed[path] != content {
			t.Errorf("a second fix -w changed %s", path)
		}
	}
	for _, ci := range []string{"ci/github-actions.yml", "ci/pre-commit-config.yaml"} {
		if fixed[ci] != readFile(t, filepath.Join("../examples", ci)) {
			t.Errorf("fix -w changed %s, which holds no Kubernetes objects", ci)
		}
	}
}

// snapshot reads every file under dir, by path relative to it.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		out[rel] = readFile(t, path)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
