package cli

import (
	"errors"
	"flag"
	"fmt"

	"k8s.io/apimachinery/pkg/labels"
)

// clusterOptions are the flags of `wsguard check --cluster`, which judges the objects a cluster
// stores instead of manifests.
type clusterOptions struct {
	enabled              bool
	allNamespaces        bool
	selector             string
	kubeconfig           string
	context              string
	allNamespacesOptedIn bool
	// labelSelector is selector, parsed.
	labelSelector labels.Selector
}

// bindClusterFlags registers the flags of check's cluster mode.
func (c *clusterOptions) bind(fs *flag.FlagSet) {
	fs.BoolVar(&c.enabled, "cluster", false, "judge the objects stored in a live cluster (the current kubeconfig context) instead of manifests; read-only, needs get and list (docs/cli.md)")
	fs.BoolVar(&c.allNamespaces, "A", false, "with --cluster: judge every namespace that opted in, instead of -n or the context's namespace")
	fs.BoolVar(&c.allNamespaces, "all-namespaces", false, "same as -A")
	fs.StringVar(&c.selector, "l", "", "with --cluster: judge only objects whose labels match this selector, as kubectl get -l (e.g. app=chat,tier!=db)")
	fs.StringVar(&c.selector, "selector", "", "same as -l")
	fs.StringVar(&c.kubeconfig, "kubeconfig", "", "with --cluster: kubeconfig file; default $KUBECONFIG, then ~/.kube/config, then the in-cluster service account")
	fs.StringVar(&c.context, "context", "", "with --cluster: kubeconfig context to use instead of the current one")
	fs.BoolVar(&c.allNamespacesOptedIn, "all-namespaces-as-opted-in", false,
		"with --cluster: also judge namespaces without the wsguard.io/inject=enabled label, as if they had it (to preview opting them in); kube-system and wsguard-system are still left out")
}

// validate checks the cluster flags against the others. set holds the flags given on the
// command line.
func (c *clusterOptions) validate(o *options, set map[string]bool) error {
	if !c.enabled {
		for _, name := range []string{"A", "all-namespaces", "l", "selector", "kubeconfig", "context", "all-namespaces-as-opted-in"} {
			if set[name] {
				return fmt.Errorf("-%s needs --cluster", flagName(name))
			}
		}
		return nil
	}
	if len(o.paths) > 0 {
		return errors.New("--cluster reads the cluster, not files: drop -f and the paths, or drop --cluster")
	}
	for _, name := range []string{"namespace-labels", "max-file-size"} {
		if set[name] {
			return fmt.Errorf("-%s is for manifests; with --cluster, namespaces are read from the cluster", flagName(name))
		}
	}
	if c.allNamespaces && o.namespace != "" {
		return errors.New("-A judges every namespace; drop -n, or drop -A")
	}
	sel, err := labels.Parse(c.selector)
	if err != nil {
		return fmt.Errorf("-l %q: %v", c.selector, err)
	}
	c.labelSelector = sel
	return nil
}

// flagName writes a flag as users type it: -l, --selector.
func flagName(name string) string {
	if len(name) == 1 {
		return name
	}
	return "-" + name
}
