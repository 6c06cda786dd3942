package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/wsguard/wsguard/defaults"
)

// textReport writes the readable report: one block per object that has something to report,
// then a summary line.
type textReport struct {
	w     io.Writer
	color bool
	// changeLabel names an injected default: "default" for check, "fixed" for fix.
	changeLabel string
	// explain reports every judged object, with why it is or is not WebSocket (--explain).
	explain bool
}

// ANSI styles, used only when colour is on.
const (
	styleBold   = "\x1b[1m"
	styleDim    = "\x1b[2m"
	styleRed    = "\x1b[31m"
	styleGreen  = "\x1b[32m"
	styleYellow = "\x1b[33m"
	styleReset  = "\x1b[0m"
)

func (t *textReport) paint(style, s string) string {
	if !t.color {
		return s
	}
	return style + s + styleReset
}

// labelWidth aligns the findings after their labels.
const labelWidth = 10

func (t *textReport) line(style, label, text string) {
	fmt.Fprintf(t.w, "  %s%s%s\n", t.paint(style, label), strings.Repeat(" ", labelWidth-len(label)), text)
}

// patchLine shows the JSON-patch operation of a change under its message: the field and value.
func (t *textReport) patchLine(c defaults.Change) {
	fmt.Fprintf(t.w, "  %s%s\n", strings.Repeat(" ", labelWidth), t.paint(styleDim, fmt.Sprintf("%s %s = %s", c.Op, c.Path, compactJSON(c.Value))))
}

// object writes one object's block; objects without findings are left out.
func (t *textReport) object(o *object) {
	v := &o.verdict
	if !v.judged || !(v.reportable() || t.explain) {
		return
	}
	fmt.Fprintln(t.w, t.paint(styleBold, objectTitle(o)))
	if s := v.reason.Sentence(); s != "" {
		t.line(styleDim, "why", s)
	} else if t.explain {
		t.line(styleDim, "why", "not WebSocket: no annotation, port name, appProtocol, controller setting, namespace declaration or known application says so")
	}
	for _, h := range v.hints {
		t.line(styleYellow, "hint", fmt.Sprintf("%s: %s; to confirm, %s", h.Field, h.Message, h.Confirm))
	}
	for _, c := range v.changes {
		t.line(styleGreen, t.changeLabel, c.AdmissionWarning())
		t.patchLine(c)
	}
	for _, x := range v.violations {
		if v.mode == defaults.Warn {
			t.line(styleYellow, "violation", violationText(x, v.mode))
		} else {
			t.line(styleRed, "deny", violationText(x, v.mode))
		}
	}
	for _, w := range v.warnings {
		t.line(styleYellow, "warning", w.AdmissionWarning())
	}
}

// objectTitle names an object and where it is: file:line: [items[i]: ]Kind namespace/name.
func objectTitle(o *object) string {
	var b strings.Builder
	if o.doc != nil { // nil for an object read from a cluster
		fmt.Fprintf(&b, "%s:%d: ", o.doc.file.name, o.doc.contentLine)
		if o.item >= 0 {
			fmt.Fprintf(&b, "document %d, items[%d]: ", o.doc.index, o.item)
		}
	}
	b.WriteString(o.kind)
	b.WriteByte(' ')
	if o.verdict.namespace != "" {
		b.WriteString(o.verdict.namespace + "/")
	}
	b.WriteString(o.name)
	return b.String()
}

// summary writes the closing line of a run.
func (t *textReport) summary(command string, s Summary) {
	files := plural(s.Files, "file")
	if s.SkippedFiles > 0 {
		files += fmt.Sprintf(" (%d without Kubernetes objects, skipped)", s.SkippedFiles)
	}
	fmt.Fprintf(t.w, "wsguard %s: %s, %s, %d judged: %s\n", command, files, plural(s.Objects, "object"), s.Judged, t.findings(command, s))
}

// findings sums up what a run found, for its closing line.
func (t *textReport) findings(command string, s Summary) string {
	var found []string
	if s.Changed > 0 {
		verb := "would get defaults"
		if command == "fix" {
			verb = "fixed"
		}
		found = append(found, fmt.Sprintf("%d %s", s.Changed, verb))
	}
	if s.Denied > 0 {
		found = append(found, t.paint(styleRed, fmt.Sprintf("%d denied", s.Denied)))
	}
	if s.Warned > 0 {
		found = append(found, fmt.Sprintf("%d with warnings", s.Warned))
	}
	if s.Errors > 0 {
		found = append(found, t.paint(styleRed, plural(s.Errors, "input error")))
	}
	if len(found) == 0 {
		return "nothing to report"
	}
	return strings.Join(found, ", ")
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// compactJSON renders a patch value on one line.
func compactJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// useColor decides whether text output is coloured: --color always or never, or on auto only
// for a terminal and only when NO_COLOR (https://no-color.org) is unset and TERM is not dumb.
func useColor(mode string, w io.Writer) bool {
	switch mode {
	case "always":
		return true
	case "never":
		return false
	}
	if os.Getenv("NO_COLOR") != "" || os.Getenv("TERM") == "dumb" {
		return false
	}
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}
