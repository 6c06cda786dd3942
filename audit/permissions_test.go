package audit_test

import (
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	rbacv1 "k8s.io/api/rbac/v1"
	"sigs.k8s.io/yaml"

	"github.com/wsguard/wsguard/audit"
)

// TestDocumentedPermissions: the ClusterRole docs/cli.md prints for `check --cluster` is
// audit.ReadPermissions, which TestCheckCluster runs with.
func TestDocumentedPermissions(t *testing.T) {
	doc, err := os.ReadFile("../docs/cli.md")
	if err != nil {
		t.Fatal(err)
	}
	var role *rbacv1.ClusterRole
	for _, block := range strings.Split(string(doc), "```yaml\n")[1:] {
		block, _, _ = strings.Cut(block, "```")
		if !strings.Contains(block, "name: wsguard-check") {
			continue
		}
		role = &rbacv1.ClusterRole{}
		if err := yaml.UnmarshalStrict([]byte(block), role); err != nil {
			t.Fatalf("the ClusterRole in docs/cli.md does not decode: %v", err)
		}
	}
	if role == nil {
		t.Fatal("docs/cli.md has no ClusterRole named wsguard-check")
	}
	if diff := cmp.Diff(audit.ReadPermissions(), role.Rules); diff != "" {
		t.Errorf("docs/cli.md's ClusterRole differs from audit.ReadPermissions (-code +docs):\n%s", diff)
	}
}

// TestReadPermissionsAreReadOnly: get and list, nothing else.
func TestReadPermissionsAreReadOnly(t *testing.T) {
	for _, r := range audit.ReadPermissions() {
		if !cmp.Equal(r.Verbs, []string{"get", "list"}) {
			t.Errorf("%v: verbs %q", r.APIGroups, r.Verbs)
		}
	}
}
