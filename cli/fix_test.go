package cli

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestFixKeepsWhatItDoesNotChange: untouched documents and everything between documents are
// copied byte for byte; a changed document keeps its comments, key order and styles.
func TestFixKeepsWhatItDoesNotChange(t *testing.T) {
	untouched := `# Source: chart/templates/configmap.yaml
apiVersion:   v1     # odd spacing is kept
kind: ConfigMap
metadata: { name: settings }

data:
    greeting: 'hello'   # single quotes are kept
    enabled: yes
`
	service := `# Source: chart/templates/service.yaml
# The chat Service.
apiVersion: v1
kind: Service
metadata:
  name: chat
  labels: {app: chat} # flow style
spec:
  # ports first, then the selector: the order is kept
  ports:
  - name: websocket # named so wsguard knows
    port: 80
    targetPort: 8080
  selector: {app: chat}
`
	input := "---\n" + untouched + "---   # separator with a comment\n" + service + "\n\n...\n"
	res := runCommand(t, "fix", input, "-")
	if res.code != ExitOK {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	want := "---\n" + untouched + "---   # separator with a comment\n" + `# Source: chart/templates/service.yaml
# The chat Service.
apiVersion: v1
kind: Service
metadata:
  name: chat
  labels: {app: chat} # flow style
  annotations:
    wsguard.io/applied-rules: service-app-protocol,service-session-affinity
spec:
  # ports first, then the selector: the order is kept
  ports:
  - name: websocket # named so wsguard knows
    port: 80
    targetPort: 8080
    appProtocol: kubernetes.io/ws
  selector: {app: chat}
  sessionAffinity: ClientIP
  sessionAffinityConfig:
    clientIP:
      timeoutSeconds: 10800
` + "\n\n...\n"
	if res.stdout != want {
		t.Errorf("got:\n%s\nwant:\n%s", res.stdout, want)
	}
	if !strings.Contains(res.stderr, "fixed     wsguard [service-session-affinity]") || !strings.Contains(res.stderr, "wsguard fix: 1 file, 2 objects, 1 judged: 1 fixed") {
		t.Errorf("stderr:\n%s", res.stderr)
	}
}

// TestFixFormats: each document keeps its own layout.
func TestFixFormats(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{name: "four-space indentation; lists are indented as the YAML encoder does",
			in:   "apiVersion: v1\nkind: Service\nmetadata:\n    name: chat\nspec:\n    ports:\n        -   name: ws\n            port: 80\n",
			want: "apiVersion: v1\nkind: Service\nmetadata:\n    name: chat\n    annotations:\n        wsguard.io/applied-rules: service-app-protocol,service-session-affinity\nspec:\n    ports:\n      - name: ws\n        port: 80\n        appProtocol: kubernetes.io/ws\n    sessionAffinity: ClientIP\n    sessionAffinityConfig:\n        clientIP:\n            timeoutSeconds: 10800\n"},
		{name: "blank lines stay, and a block scalar at the end keeps its final newline",
			in:   "apiVersion: v1\nkind: Service\nmetadata:\n  name: chat\n  annotations:\n    note: |\n      line one\n\n      line two\n\nspec:\n  clusterIP: None\n  ports:\n  - name: ws\n    port: 80\n",
			want: "apiVersion: v1\nkind: Service\nmetadata:\n  name: chat\n  annotations:\n    note: |\n      line one\n\n      line two\n    wsguard.io/applied-rules: service-app-protocol\n\nspec:\n  clusterIP: None\n  ports:\n  - name: ws\n    port: 80\n    appProtocol: kubernetes.io/ws\n"},
		{name: "a block scalar that keeps its trailing newlines, at the very end",
			in:   "apiVersion: v1\nkind: Service\nmetadata:\n  name: chat\nspec:\n  clusterIP: None\n  ports:\n  - name: ws\n    port: 80\n  x-note: |+\n    keep\n\n",
			want: "apiVersion: v1\nkind: Service\nmetadata:\n  name: chat\n  annotations:\n    wsguard.io/applied-rules: service-app-protocol\nspec:\n  clusterIP: None\n  ports:\n  - name: ws\n    port: 80\n    appProtocol: kubernetes.io/ws\n  x-note: |+\n    keep\n\n"},
		{name: "Windows line endings",
			in:   strings.ReplaceAll("apiVersion: v1\nkind: Service\nmetadata:\n  name: chat\nspec:\n  clusterIP: None\n  ports:\n  - name: ws\n    port: 80\n", "\n", "\r\n"),
			want: strings.ReplaceAll("apiVersion: v1\nkind: Service\nmetadata:\n  name: chat\n  annotations:\n    wsguard.io/applied-rules: service-app-protocol\nspec:\n  clusterIP: None\n  ports:\n  - name: ws\n    port: 80\n    appProtocol: kubernetes.io/ws\n", "\n", "\r\n")},
		{name: "indented JSON keeps its key order and indentation",
			in:   "{\n    \"kind\": \"Service\",\n    \"apiVersion\": \"v1\",\n    \"metadata\": {\"name\": \"chat\"},\n    \"spec\": {\"clusterIP\": \"None\", \"ports\": [{\"name\": \"ws\", \"port\": 80}]}\n}\n",
			want: "{\n    \"kind\": \"Service\",\n    \"apiVersion\": \"v1\",\n    \"metadata\": {\n        \"name\": \"chat\",\n        \"annotations\": {\n            \"wsguard.io/applied-rules\": \"service-app-protocol\"\n        }\n    },\n    \"spec\": {\n        \"clusterIP\": \"None\",\n        \"ports\": [\n            {\n                \"name\": \"ws\",\n                \"port\": 80,\n                \"appProtocol\": \"kubernetes.io/ws\"\n            }\n        ]\n    }\n}\n"},
		{name: "one-line JSON stays on one line",
			in:   `{"kind":"Service","apiVersion":"v1","metadata":{"name":"chat"},"spec":{"clusterIP":"None","ports":[{"name":"ws","port":80}]}}`,
			want: `{"kind":"Service","apiVersion":"v1","metadata":{"name":"chat","annotations":{"wsguard.io/applied-rules":"service-app-protocol"}},"spec":{"clusterIP":"None","ports":[{"name":"ws","port":80,"appProtocol":"kubernetes.io/ws"}]}}` + "\n"},
		{name: "items of a List",
			in:   "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: a}\n- apiVersion: v1\n  kind: Service\n  metadata: {name: chat}\n  spec:\n    clusterIP: None\n    ports: [{name: ws, port: 80}]\n",
			want: "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: a}\n- apiVersion: v1\n  kind: Service\n  metadata: {name: chat, annotations: {wsguard.io/applied-rules: service-app-protocol}}\n  spec:\n    clusterIP: None\n    ports: [{name: ws, port: 80, appProtocol: kubernetes.io/ws}]\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := runCommand(t, "fix", tt.in, "-")
			if res.code != ExitOK {
				t.Fatalf("exit %d\n%s", res.code, res.stderr)
			}
			if res.stdout != tt.want {
				t.Errorf("got:\n%q\nwant:\n%q", res.stdout, tt.want)
			}
			// Fixing the output again changes nothing: the webhook would find nothing to add.
			again := runCommand(t, "fix", res.stdout, "-")
			if again.stdout != res.stdout || strings.Contains(again.stderr, " fixed") {
				t.Errorf("a second fix changed the output:\n%s\nstderr:\n%s", again.stdout, again.stderr)
			}
		})
	}
}

// TestFixReportsViolationsAndNeverFixesThem: the defaults are applied, the unsafe values stay
// as written, the violations go to stderr and the exit code is 1.
func TestFixReportsViolationsAndNeverFixesThem(t *testing.T) {
	ingress := strings.Replace(chatIngress, "metadata:\n  name: chat\n", "metadata:\n  name: chat\n  annotations:\n    nginx.ingress.kubernetes.io/proxy-read-timeout: \"3600s\"\n", 1)
	res := runCommand(t, "fix", docs(chatService, ingress), "-")
	if res.code != ExitViolations {
		t.Errorf("exit %d, want %d", res.code, ExitViolations)
	}
	if !strings.Contains(res.stdout, `nginx.ingress.kubernetes.io/proxy-read-timeout: "3600s"`) || !strings.Contains(res.stdout, "nginx.ingress.kubernetes.io/affinity: cookie") {
		t.Errorf("stdout:\n%s", res.stdout)
	}
	if !strings.Contains(res.stderr, `deny      [ingress-nginx-timeout-format] metadata.annotations[nginx.ingress.kubernetes.io/proxy-read-timeout]: "3600s" is not a whole number of seconds`) {
		t.Errorf("stderr:\n%s", res.stderr)
	}
}

func TestFixWrite(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"apps/service.yaml":  chatService,
		"apps/bom.yaml":      "\xEF\xBB\xBF" + strings.Replace(chatService, "name: chat", "name: bom", 1),
		"apps/settings.yaml": configMap,
		"real/private.yaml":  strings.Replace(chatService, "name: chat", "name: private", 1),
	})
	if err := os.Chmod(filepath.Join(dir, "real/private.yaml"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../real/private.yaml", filepath.Join(dir, "apps/link.yaml")); err != nil {
		t.Fatal(err)
	}
	untouched := filepath.Join(dir, "apps/settings.yaml")
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(untouched, old, old); err != nil {
		t.Fatal(err)
	}

	res := runCommand(t, "fix", "", "-w", filepath.Join(dir, "apps"))
	if res.code != ExitOK || res.stdout != "" {
		t.Fatalf("exit %d, stdout %q\n%s", res.code, res.stdout, res.stderr)
	}
	if got := readFile(t, filepath.Join(dir, "apps/service.yaml")); !strings.Contains(got, "sessionAffinity: ClientIP") {
		t.Errorf("service.yaml was not fixed:\n%s", got)
	}
	if got := readFile(t, filepath.Join(dir, "apps/bom.yaml")); !strings.HasPrefix(got, "\xEF\xBB\xBFapiVersion") || !strings.Contains(got, "sessionAffinity") {
		t.Errorf("bom.yaml lost its byte order mark or was not fixed:\n%q", got)
	}
	if info, err := os.Stat(untouched); err != nil || !info.ModTime().Equal(old) || readFile(t, untouched) != configMap {
		t.Errorf("a file without changes was rewritten: %v", err)
	}
	link, err := os.Lstat(filepath.Join(dir, "apps/link.yaml"))
	if err != nil || link.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the symlink was replaced by a file: %v", err)
	}
	target, err := os.Stat(filepath.Join(dir, "real/private.yaml"))
	if err != nil || target.Mode().Perm() != 0o600 || !strings.Contains(readFile(t, filepath.Join(dir, "real/private.yaml")), "sessionAffinity: ClientIP") {
		t.Errorf("the link's target was not fixed in place with its mode kept: %v %v", err, target.Mode())
	}
	for _, sub := range []string{"apps", "real"} {
		entries, _ := os.ReadDir(filepath.Join(dir, sub))
		for _, e := range entries {
			if strings.Contains(e.Name(), ".wsguard-") {
				t.Errorf("a temporary file was left behind: %s", e.Name())
			}
		}
	}
}

// TestFixWritesNothingOnError: one unreadable file stops every write, of every file.
func TestFixWritesNothingOnError(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"a-service.yaml": chatService,
		"b-broken.yaml":  "apiVersion: v1\nkind: Service\nmetadata:\n  name: [\n",
		"c-binary.json":  "{\x00}",
	})
	res := runCommand(t, "fix", "", "-w", dir)
	if res.code != ExitUsage {
		t.Errorf("exit %d, want %d", res.code, ExitUsage)
	}
	if got := readFile(t, filepath.Join(dir, "a-service.yaml")); got != chatService {
		t.Errorf("a-service.yaml was written despite the errors:\n%s", got)
	}
	for _, want := range []string{"b-broken.yaml:4: document 1: invalid YAML", "c-binary.json: is not a text file", "wsguard fix: nothing was written"} {
		if !strings.Contains(res.stderr, want) {
			t.Errorf("stderr does not say %q:\n%s", want, res.stderr)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 3 {
		t.Errorf("files appeared: %v", entries)
	}
}

func TestFixPassesUnknownKindsThrough(t *testing.T) {
	input := "# a comment\napiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec: {ports: [{name: ws}]}\n---\n" + configMap
	res := runCommand(t, "fix", input, "-")
	if res.code != ExitOK || res.stdout != input {
		t.Errorf("exit %d, output:\n%s", res.code, res.stdout)
	}
}

// TestFixRefusesAnchorsAndMergeKeys: a default that would land in a mapping with a merge key,
// or in a node that aliases refer to, is an input error for its document, and nothing is
// written.
func TestFixRefusesAnchorsAndMergeKeys(t *testing.T) {
	merge := strings.Replace(chatDeployment, "      containers:\n      - name: chat\n",
		"      initContainers:\n      - &base\n        name: init\n        image: example.com/chat:1\n      containers:\n      - <<: *base\n        name: chat\n", 1)
	mergePorts := strings.Replace(chatDeployment, "      containers:\n      - name: chat\n        image: example.com/chat:1\n        ports:\n        - containerPort: 8080\n",
		"      initContainers:\n      - &base\n        name: init\n        image: example.com/chat:1\n        ports:\n        - containerPort: 8080\n      containers:\n      - <<: *base\n        name: chat\n", 1)
	anchor := strings.Replace(chatDeployment, "      containers:\n      - name: chat\n",
		"      containers:\n      - &app\n        name: chat\n", 1) + "  # the same container, again\n  extra: [*app]\n"
	for name, tc := range map[string]struct{ doc, want string }{
		"merge key":                 {merge, "document 1: cannot apply the default of rule"},
		"merge key bringing a port": {mergePorts, "YAML merge key (<<)"},
		"anchor used by an alias":   {anchor, "YAML anchor (&app)"},
	} {
		t.Run(name, func(t *testing.T) {
			dir := writeTree(t, map[string]string{"app.yaml": docs(tc.doc, chatService)})
			res := runCommand(t, "fix", "", "-w", dir)
			if res.code != ExitUsage || !strings.Contains(res.stderr, tc.want) || strings.Contains(res.stderr, "internal error") ||
				!strings.Contains(res.stderr, "write it") || !strings.Contains(res.stderr, "nothing was written") {
				t.Errorf("exit %d, stderr:\n%s", res.code, res.stderr)
			}
			if got := readFile(t, filepath.Join(dir, "app.yaml")); got != docs(tc.doc, chatService) {
				t.Errorf("the file was written:\n%s", got)
			}
		})
	}
}

// TestFixKeepsOwnerModeAndLinks: -w keeps the owner and group of the files it fixes, refuses
// hard-linked and read-only files with a message (writing nothing), never replaces them.
func TestFixKeepsOwnerModeAndLinks(t *testing.T) {
	t.Run("owner", func(t *testing.T) {
		if os.Geteuid() != 0 {
			t.Skip("only root can give a file to another user")
		}
		dir := writeTree(t, map[string]string{"service.yaml": chatService})
		path := filepath.Join(dir, "service.yaml")
		if err := os.Chown(path, 1234, 5678); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, 0o640); err != nil {
			t.Fatal(err)
		}
		res := runCommand(t, "fix", "", "-w", path)
		if res.code != ExitOK {
			t.Fatalf("exit %d\n%s", res.code, res.stderr)
		}
		info, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		st := info.Sys().(*syscall.Stat_t)
		if st.Uid != 1234 || st.Gid != 5678 || info.Mode().Perm() != 0o640 || !strings.Contains(readFile(t, path), "sessionAffinity") {
			t.Errorf("owner %d:%d, mode %v after fix -w", st.Uid, st.Gid, info.Mode())
		}
	})
	t.Run("hard links", func(t *testing.T) {
		dir := writeTree(t, map[string]string{"a/service.yaml": chatService, "b/other.yaml": chatService})
		if err := os.Link(filepath.Join(dir, "a/service.yaml"), filepath.Join(dir, "link.yaml")); err != nil {
			t.Fatal(err)
		}
		res := runCommand(t, "fix", "", "-w", filepath.Join(dir, "b"), filepath.Join(dir, "a"))
		if res.code != ExitUsage || !strings.Contains(res.stderr, "service.yaml: has 2 hard links") {
			t.Errorf("exit %d\n%s", res.code, res.stderr)
		}
		a, _ := os.Stat(filepath.Join(dir, "a/service.yaml"))
		l, _ := os.Stat(filepath.Join(dir, "link.yaml"))
		if !os.SameFile(a, l) || readFile(t, filepath.Join(dir, "a/service.yaml")) != chatService || readFile(t, filepath.Join(dir, "b/other.yaml")) != chatService {
			t.Errorf("a file was written, or the link was cut")
		}
	})
	t.Run("read-only", func(t *testing.T) {
		dir := writeTree(t, map[string]string{"service.yaml": chatService})
		path := filepath.Join(dir, "service.yaml")
		if err := os.Chmod(path, 0o444); err != nil {
			t.Fatal(err)
		}
		res := runCommand(t, "fix", "", "-w", path)
		if res.code != ExitUsage || !strings.Contains(res.stderr, "service.yaml: is read-only (mode 0444)") {
			t.Errorf("exit %d\n%s", res.code, res.stderr)
		}
		if readFile(t, path) != chatService {
			t.Errorf("the read-only file was replaced")
		}
	})
}

// TestFixChangesOnlyThePatchedLines: fix -w writes the lines of its changes and nothing else:
// every other line of the file is kept byte for byte, line break included, on the published
// manifests of testdata/corpus and on layouts the YAML encoder would rewrite.
func TestFixChangesOnlyThePatchedLines(t *testing.T) {
	service := "apiVersion: v1\nkind: Service\nmetadata:\n  name: chat # the chat service\n  # which port is which\n  labels: {app: chat}\nspec:\n  selector: {app: chat}\n  ports:\n  - name: websocket  # the only port\n    port: 80\n    targetPort: 8080\n"
	files := map[string]string{
		"crlf.yaml":    strings.ReplaceAll("# the chat service\n"+service+"# end\n", "\n", "\r\n"),
		"cr-only.yaml": strings.ReplaceAll(service, "\n", "\r"),
		"folded.yaml": strings.Replace(service, "  labels: {app: chat}\n",
			"  labels: {app: chat}\n  annotations:\n    description: >-\n      a long description that the encoder\n      would fold differently, at its own width, and that wsguard must leave exactly as it is written\n      here.\n", 1),
		"tabs.yaml": strings.Replace(strings.Replace(service, "port: 80\n", "port: 80\t\t# tabs before\n", 1),
			"name: chat # the", "name: chat  \t  # the", 1),
		"no-final-newline.yaml": strings.TrimSuffix(service, "\n"),
		"end-marker.yaml":       service + "...\n# after the end\n",
		"merge.yaml": strings.Replace(strings.Replace(service, "  labels: {app: chat}\n", "  labels: &labels\n    app: chat\n", 1),
			"  selector: {app: chat}\n", "  selector:\n    <<: *labels\n", 1),
		"crlf-merge-folded-tabs.yaml": strings.ReplaceAll(strings.Replace(strings.Replace(service, "  labels: {app: chat}\n",
			"  labels: &labels\n    app: chat\n  annotations:\n    note: >-\n      folded\n      text\n", 1),
			"  selector: {app: chat}\n", "  selector:\n    <<: *labels\t# merged\n", 1), "\n", "\r\n"),
	}
	corpus, err := filepath.Glob("../testdata/corpus/*.yaml")
	if err != nil || len(corpus) == 0 {
		t.Fatalf("no corpus: %v", err)
	}
	for _, path := range corpus {
		if filepath.Base(path) == "expected.yaml" { // what the corpus must produce, not a manifest
			continue
		}
		files["corpus/"+filepath.Base(path)] = readFile(t, path)
	}
	// Published manifests that take the documented exception (docs/cli.md, "One exception"):
	// the document is written as the encoder writes it, its comments kept.
	encoderWritten := map[string]string{
		// One pod spec indents list items under their key in one place (volumes:) and at the
		// key's own column in another (items:), so no single style reproduces both.
		"corpus/thingsboard.yaml": "mixed list indentation",
	}
	dir := writeTree(t, files)
	for name, original := range files {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, name)
			res := runCommand(t, "fix", "", "-w", "-n", "demo", "-f", path)
			if res.code == ExitUsage {
				t.Fatalf("exit %d\n%s", res.code, res.stderr)
			}
			got := readFile(t, path)
			if !strings.HasPrefix(name, "corpus/") && !strings.Contains(got, "sessionAffinity: ClientIP") {
				t.Errorf("not fixed:\n%q", got)
			}
			if _, ok := encoderWritten[name]; ok {
				for _, line := range strings.Split(original, "\n") {
					if c := strings.TrimSpace(line); strings.HasPrefix(c, "#") && !strings.Contains(got, c) {
						t.Errorf("comment lost: %q", c)
					}
				}
				if got == original {
					t.Errorf("not fixed")
				}
				return
			}
			checkOnlyPatchedLines(t, original, got)
		})
	}
}

// checkOnlyPatchedLines fails unless got is original with lines added, and lines replaced
// only by a line for the same key at the same indentation when they hold a flow mapping or
// list (that got a key),
// every line compared with its line break.
func checkOnlyPatchedLines(t *testing.T, original, got string) {
	t.Helper()
	a, b := linesWithBreaks(original), linesWithBreaks(got)
	brk := "\n"
	if strings.Contains(original, "\r\n") {
		brk = "\r\n"
	} else if strings.Contains(original, "\r") {
		brk = "\r"
	}
	for _, l := range b {
		if l != strings.TrimRight(l, "\r\n") && !strings.HasSuffix(l, brk) || brk == "\r\n" && strings.HasSuffix(l, "\n") && !strings.HasSuffix(l, "\r\n") {
			t.Errorf("line %q does not end in the file's line break %q", l, brk)
		}
	}
	// A last line without a line break gets one when lines are added after it; the file still
	// ends without one.
	if n := len(a); n > 0 && a[n-1] == strings.TrimRight(a[n-1], "\r\n") && !strings.HasSuffix(got, a[n-1]) {
		if strings.HasSuffix(got, "\n") || strings.HasSuffix(got, "\r") {
			t.Errorf("a line break was added at the end of the file")
		}
		a[n-1] += brk
	}
	// Longest common subsequence of the lines, byte for byte.
	n, m := len(a), len(b)
	lcs := make([][]int, n+1)
	for i := range lcs {
		lcs[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	for i, j := 0, 0; i < n; {
		switch {
		case j < m && a[i] == b[j]:
			i, j = i+1, j+1
		case j < m && lcs[i][j+1] >= lcs[i+1][j]:
			j++
		default:
			// An original line that is gone: only a patched line may be, replaced by one for the
			// same key.
			key, value, ok := strings.Cut(a[i], ":")
			if !ok || !strings.Contains(got, key+":") || strings.TrimSpace(key) == "" || !strings.ContainsAny(value, "{[") {
				t.Errorf("original line %d changed or lost: %q\ngot:\n%s", i+1, a[i], got)
			}
			i++
		}
	}
}

// linesWithBreaks cuts text after each "\r\n", "\n" or "\r".
func linesWithBreaks(text string) []string {
	var out []string
	for text != "" {
		i := strings.IndexAny(text, "\r\n")
		if i < 0 {
			out = append(out, text)
			break
		}
		if text[i] == '\r' && i+1 < len(text) && text[i+1] == '\n' {
			i++
		}
		out = append(out, text[:i+1])
		text = text[i+1:]
	}
	return out
}
