package cli

import (
	"strings"
	"testing"
)

func TestClusterFlags(t *testing.T) {
	o, err := parseOptions("check", []string{"--cluster", "-A", "-l", "app=chat,tier!=db", "--kubeconfig", "kc", "--context", "prod", "--all-namespaces-as-opted-in", "-o", "json"}, &strings.Builder{})
	if err != nil {
		t.Fatal(err)
	}
	c := o.cluster
	if !c.enabled || !c.allNamespaces || c.kubeconfig != "kc" || c.context != "prod" || !c.allNamespacesOptedIn || c.labelSelector.String() != "app=chat,tier!=db" {
		t.Errorf("cluster options: %+v", c)
	}
	if o, err := parseOptions("check", []string{"--cluster", "-n", "chat"}, &strings.Builder{}); err != nil || o.namespace != "chat" || !o.cluster.labelSelector.Empty() {
		t.Errorf("--cluster -n chat: %v, %+v", err, o)
	}
	for _, tc := range []struct {
		args    []string
		wantErr string
	}{
		{[]string{"--cluster", "-f", "deploy/"}, "--cluster reads the cluster, not files"},
		{[]string{"--cluster", "deploy/"}, "--cluster reads the cluster, not files"},
		{[]string{"--cluster", "-A", "-n", "chat"}, "-A judges every namespace"},
		{[]string{"--cluster", "-l", "app in (a"}, `-l "app in (a"`},
		{[]string{"--cluster", "--namespace-labels", "a=b"}, "--namespace-labels is for manifests"},
		{[]string{"-f", "deploy/", "-A"}, "-A needs --cluster"},
		{[]string{"-f", "deploy/", "--selector", "app=chat"}, "--selector needs --cluster"},
		{[]string{"-f", "deploy/", "--all-namespaces-as-opted-in"}, "--all-namespaces-as-opted-in needs --cluster"},
	} {
		_, err := parseOptions("check", tc.args, &strings.Builder{})
		if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("%q: error %v, want %q", tc.args, err, tc.wantErr)
		}
	}
	// fix has no cluster mode.
	if _, err := parseOptions("fix", []string{"--cluster"}, &strings.Builder{}); err == nil {
		t.Error("fix --cluster is accepted")
	}
}

// TestCheckClusterWithoutACluster: no kubeconfig is an error that says what to give, exit 2.
func TestCheckClusterWithoutACluster(t *testing.T) {
	t.Setenv("KUBECONFIG", "")
	t.Setenv("HOME", t.TempDir())
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
	res := runCommand(t, "check", "", "--cluster")
	if res.code != ExitUsage || !strings.Contains(res.stderr, "cannot find a cluster") || !strings.Contains(res.stderr, "--kubeconfig") {
		t.Errorf("exit %d, stderr:\n%s", res.code, res.stderr)
	}
}
