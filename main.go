// wsguard is an admission webhook that makes WebSocket workloads safe on Kubernetes: in
// opted-in namespaces it injects WebSocket-safe defaults and denies settings that break
// WebSocket connections. See README.md.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"
	"text/tabwriter"

	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client/config"

	"github.com/wsguard/wsguard/cli"
	"github.com/wsguard/wsguard/defaults"
	"github.com/wsguard/wsguard/server"
)

const usage = `wsguard makes WebSocket workloads safe on Kubernetes.

Usage:
  wsguard [serve] [flags]   run the admission webhook server (the default)
  wsguard check -f PATH...  judge manifests offline, as the webhooks would (for CI)
  wsguard fix -f PATH...    write manifests with the defaults applied (-w: in place)
  wsguard rules             list the rules wsguard applies
  wsguard version           print the version

Run 'wsguard <command> --help' for a command's flags. Docs: README.md and docs/.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	cmd := "serve"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serve(args, stderr)
	case "check":
		return cli.Check(args, os.Stdin, stdout, stderr)
	case "fix":
		return cli.Fix(args, os.Stdin, stdout, stderr)
	case "rules":
		return listRules(stdout)
	case "version":
		fmt.Fprintln(stdout, version())
		return 0
	case "help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "wsguard: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
}

func serve(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("wsguard serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var opts server.Options
	opts.BindFlags(fs)
	config.RegisterFlags(fs)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: wsguard serve [flags]\n\nRuns the admission webhook server. Flags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	log, err := server.NewLogger(opts.LogLevel, opts.LogFormat)
	if err != nil {
		fmt.Fprintf(stderr, "wsguard: %v\n", err)
		return 2
	}
	ctrl.SetLogger(log)
	klog.SetLogger(log.WithName("client-go"))
	cfg, err := config.GetConfig()
	if err != nil {
		log.Error(err, "cannot find a Kubernetes API server; pass --kubeconfig when running outside a cluster")
		return 1
	}
	if err := server.Run(ctrl.SetupSignalHandler(), cfg, opts, log); err != nil {
		log.Error(err, "wsguard failed")
		return 1
	}
	return 0
}

func listRules(stdout io.Writer) int {
	w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tKIND\tCONTROLLER\tEFFECTS\tWHAT IT DOES")
	for _, r := range defaults.Rules() {
		controller := defaults.ControllerName(r.Controller)
		if controller == "" {
			controller = "any"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", r.ID, r.Kind.Kind, controller, strings.ReplaceAll(r.Effects.String(), " ", ""), r.Summary)
	}
	w.Flush()
	return 0
}

// version reports the module version stamped by the Go toolchain, or the VCS revision.
func version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "wsguard (unknown version)"
	}
	v := info.Main.Version
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" {
			v += " " + s.Value
		}
	}
	return "wsguard " + v
}
