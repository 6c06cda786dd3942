package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/wsguard/wsguard/defaults"
)

// options are the settings of one check or fix run, read from the command line.
type options struct {
	command         string // "check" or "fix"
	paths           []string
	configFile      string
	enforcement     string
	namespace       string
	namespaceLabels map[string]string
	output          string
	color           string
	write           bool
	failOnDefaults  bool
	explain         bool
	maxFileSize     int64
	policy          defaults.Policy
	// cluster holds the flags of check --cluster (cluster_options.go).
	cluster clusterOptions
}

// defaultMaxFileSize bounds what one file (or stdin) may hold. The API server refuses objects
// above 3 MiB, so a manifest file ten times that is almost certainly not a manifest; the bound
// keeps a stray log or archive from exhausting a CI runner's memory.
const defaultMaxFileSize = "32Mi"

// stringList is a repeatable flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

// errUsage marks errors that come from the command line, reported with the usage text.
var errUsage = errors.New("usage")

// parseOptions reads the flags of check or fix. Paths may follow -f or stand alone, and flags
// may come after paths, as with kubectl.
func parseOptions(command string, args []string, stderr io.Writer) (*options, error) {
	o := &options{command: command}
	fs := flag.NewFlagSet("wsguard "+command, flag.ContinueOnError)
	// Errors are reported once, by the caller; --help prints through fs.Usage.
	fs.SetOutput(io.Discard)
	var paths stringList
	fs.Var(&paths, "f", "file, directory (read recursively) or - for stdin; repeatable")
	fs.Var(&paths, "filename", "same as -f")
	fs.StringVar(&o.configFile, "config", "", "policy file, the same one wsguard serve --config reads")
	fs.StringVar(&o.enforcement, "enforcement", "", "enforce or warn, overriding the policy file, as wsguard serve --enforcement does")
	fs.StringVar(&o.namespace, "n", "", "namespace of the objects that name none (as kubectl apply -n); with --cluster, the namespace judged (default: the kubeconfig context's)")
	fs.StringVar(&o.namespace, "namespace", "", "same as -n")
	labels := fs.String("namespace-labels", defaults.LabelInject+"="+defaults.InjectEnabled,
		"labels of the namespaces that have no Namespace object in the input, as k=v,k2=v2; empty simulates a namespace that has not opted in")
	fs.StringVar(&o.color, "color", "auto", "colour in text output: auto (only on a terminal, unless NO_COLOR is set), always or never")
	maxSize := fs.String("max-file-size", defaultMaxFileSize, "largest file (or stdin) read, e.g. 32Mi or 100M")
	if command == "check" {
		fs.StringVar(&o.output, "o", "text", "output format: text or json")
		fs.StringVar(&o.output, "output", "text", "same as -o")
		fs.BoolVar(&o.failOnDefaults, "fail-on-defaults", false, "exit 1 also when defaults would be injected (manifests must already carry them)")
		fs.BoolVar(&o.explain, "explain", false, "say for every judged object why it is or is not WebSocket, with weak hints that it might be and the line that would confirm them")
		o.cluster.bind(fs)
	} else {
		fs.BoolVar(&o.write, "w", false, "write the fixed manifests back to their files instead of stdout")
		fs.BoolVar(&o.write, "write", false, "same as -w")
	}
	fs.Usage = func() {
		fmt.Fprint(stderr, usageText(command))
		fs.SetOutput(stderr)
		fs.PrintDefaults()
	}
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, flag.ErrHelp // fs.Usage has printed the help
			}
			return nil, fmt.Errorf("%w: %v", errUsage, err)
		}
		if fs.NArg() == 0 {
			break
		}
		paths = append(paths, fs.Arg(0))
		args = fs.Args()[1:]
	}
	o.paths = paths
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if err := o.cluster.validate(o, set); err != nil {
		return nil, fmt.Errorf("%w: %v", errUsage, err)
	}
	if len(o.paths) == 0 && !o.cluster.enabled {
		return nil, fmt.Errorf("%w: no input: give files or directories with -f, or -f - for stdin", errUsage)
	}
	if o.output != "" && o.output != "text" && o.output != "json" {
		return nil, fmt.Errorf("%w: -o %q: use text or json", errUsage, o.output)
	}
	switch o.color {
	case "auto", "always", "never":
	default:
		return nil, fmt.Errorf("%w: --color %q: use auto, always or never", errUsage, o.color)
	}
	var err error
	if o.namespaceLabels, err = parseLabels(*labels); err != nil {
		return nil, fmt.Errorf("%w: --namespace-labels: %v", errUsage, err)
	}
	if o.maxFileSize, err = parseSize(*maxSize); err != nil {
		return nil, fmt.Errorf("%w: --max-file-size: %v", errUsage, err)
	}
	stdin := 0
	for _, p := range o.paths {
		if p == "-" {
			stdin++
		}
	}
	if stdin > 1 {
		return nil, fmt.Errorf("%w: - (stdin) can be given only once", errUsage)
	}
	if o.write && stdin > 0 {
		return nil, fmt.Errorf("%w: -w cannot write back to stdin; drop -w to print the fixed manifests", errUsage)
	}
	// The very function wsguard serve reads its policy with: one policy file, the same verdicts.
	if o.policy, err = defaults.LoadPolicy(o.configFile, o.enforcement); err != nil {
		return nil, fmt.Errorf("%w: %v", errUsage, err)
	}
	return o, nil
}

// parseLabels reads k=v,k2=v2. An empty string is no labels at all.
func parseLabels(s string) (map[string]string, error) {
	out := map[string]string{}
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, fmt.Errorf("%q is not key=value", part)
		}
		out[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	return out, nil
}

// parseSize reads a size such as 32Mi, 100M or 1048576.
func parseSize(s string) (int64, error) {
	q, err := resource.ParseQuantity(s)
	if err != nil || q.Sign() <= 0 {
		return 0, fmt.Errorf("%q is not a positive size; write e.g. 32Mi", s)
	}
	return q.Value(), nil
}

// usageText introduces the flags of a command.
func usageText(command string) string {
	if command == "check" {
		return `Usage: wsguard check [-f] PATH... [flags]
       wsguard check --cluster [-n NAMESPACE | -A] [-l SELECTOR] [flags]

Judges every object of the manifests as the wsguard webhooks would, in a namespace that opted
in: prints the defaults that would be injected, the violations that would be denied and the
warnings. PATH is a file, a directory (read recursively) or - for stdin. With --explain, every
judged object also says why it is or is not WebSocket.
With --cluster, judges instead the objects a live cluster stores, in the namespaces that opted
in (label wsguard.io/inject=enabled), with the facts and the enforcement mode read from the
cluster: what the webhooks would say if each object were applied again now. It only gets and
lists (docs/cli.md names the RBAC it needs).
Exit status: 0 nothing would be denied, 1 something would, 2 usage or input errors.

Flags:
`
	}
	return `Usage: wsguard fix [-f] PATH... [-w] [flags]

Writes the manifests with the defaults the wsguard webhooks would inject, to stdout or, with -w,
back into the files. Only documents that get defaults change; comments and key order are kept.
Violations are reported on stderr and never fixed silently.
Exit status: 0 nothing would be denied, 1 something would, 2 usage or input errors (then nothing
is written).

Flags:
`
}
