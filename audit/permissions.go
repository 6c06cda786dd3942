package audit

import (
	"slices"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/wsguard/wsguard/webhooks"
)

// ReadPermissions are the rights an audit needs: get and list on the kinds the webhooks judge
// (webhooks.ServedKinds) and on the related objects their facts are read from
// (webhooks.ReadPermissions, without watch). docs/cli.md prints them as the ClusterRole of
// `wsguard check --cluster` (TestDocumentedPermissions).
func ReadPermissions() []rbacv1.PolicyRule {
	var groups []string
	resources := map[string][]string{}
	add := func(group string, names ...string) {
		if _, ok := resources[group]; !ok {
			groups = append(groups, group)
		}
		for _, n := range names {
			if !slices.Contains(resources[group], n) {
				resources[group] = append(resources[group], n)
			}
		}
	}
	for _, r := range webhooks.ReadPermissions() {
		for _, g := range r.APIGroups {
			add(g, r.Resources...)
		}
	}
	for _, k := range webhooks.ServedKinds() {
		add(k.GroupKind.Group, k.Resource)
	}
	rules := make([]rbacv1.PolicyRule, 0, len(groups))
	for _, g := range groups {
		names := resources[g]
		slices.Sort(names)
		rules = append(rules, rbacv1.PolicyRule{APIGroups: []string{g}, Resources: names, Verbs: []string{"get", "list"}})
	}
	return rules
}
