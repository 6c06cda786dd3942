package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/wsguard/wsguard/manifest"
)

// Exit codes of check and fix.
const (
	// ExitOK: nothing would be denied.
	ExitOK = 0
	// ExitViolations: at least one object would be denied (or, with --fail-on-defaults, would
	// get defaults).
	ExitViolations = 1
	// ExitUsage: a usage error, or input that could not be read.
	ExitUsage = 2
)

// Check runs `wsguard check` with the arguments that follow the command name and returns the
// exit code.
func Check(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	o, code := start("check", args, stderr)
	if o == nil {
		return code
	}
	if o.cluster.enabled {
		return checkCluster(o, stdout, stderr)
	}
	r := load(o, stdin, false)
	defer r.close()
	s := r.summary()
	r.printErrors(stderr)
	if o.output == "json" {
		if err := writeReport(stdout, r); err != nil {
			fmt.Fprintf(stderr, "wsguard check: %v\n", err)
			return ExitUsage
		}
	} else {
		t := &textReport{w: stdout, color: useColor(o.color, stdout), changeLabel: "default", explain: o.explain}
		for _, obj := range r.objects {
			t.object(obj)
		}
		t.summary("check", s)
	}
	switch {
	case s.Errors > 0:
		return ExitUsage
	case s.Denied > 0, o.failOnDefaults && s.Changed > 0:
		return ExitViolations
	}
	return ExitOK
}

// Fix runs `wsguard fix` with the arguments that follow the command name and returns the exit
// code. Nothing is written unless every file was read and every default could be applied.
func Fix(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	o, code := start("fix", args, stderr)
	if o == nil {
		return code
	}
	r := load(o, stdin, true)
	defer r.close()
	outputs := manifest.Assemble(r.input.Files, r.texts)
	r.errors = append(r.errors, r.renderErrors...)
	t := &textReport{w: stderr, color: useColor(o.color, stderr), changeLabel: "fixed"}
	if len(r.errors) > 0 {
		r.printErrors(stderr)
		fmt.Fprintf(stderr, "wsguard fix: nothing was written\n")
		return ExitUsage
	}
	if o.write {
		if err := manifest.WriteFiles(outputs); err != nil {
			fmt.Fprintf(stderr, "wsguard fix: %v\n", err)
			return ExitUsage
		}
	} else if err := manifest.WriteStream(stdout, outputs); err != nil {
		fmt.Fprintf(stderr, "wsguard fix: %v\n", err)
		return ExitUsage
	}
	for _, obj := range r.objects {
		t.object(obj)
	}
	s := r.summary()
	t.summary("fix", s)
	if s.Denied > 0 {
		return ExitViolations
	}
	return ExitOK
}

// start reads the command line. It returns nil options and the exit code when the run ends
// there: --help is not an error, anything else is a usage error.
func start(command string, args []string, stderr io.Writer) (*options, int) {
	o, err := parseOptions(command, args, stderr)
	switch {
	case err == nil:
		return o, ExitOK
	case errors.Is(err, flag.ErrHelp):
		return nil, ExitOK
	}
	msg := strings.TrimPrefix(err.Error(), errUsage.Error()+": ")
	fmt.Fprintf(stderr, "wsguard %s: %s\nRun 'wsguard %s --help' for usage.\n", command, msg, command)
	return nil, ExitUsage
}
