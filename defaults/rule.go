package defaults

import (
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Rule is one entry of the catalog. Everything a listing, the docs index or a reviewer needs to
// know about a rule is declared here as data; check holds only the judgement. Adding a rule
// means writing its check and one entry in its family's list.
type Rule struct {
	// ID is stable and unique; users name it in AnnotationSkipRules and docs/rules.md lists it.
	ID string
	// Kind is the group and kind the rule judges.
	Kind schema.GroupKind
	// Controller names the Ingress controller whose settings the rule reads or writes ("" for
	// rules that hold whatever serves the object). The engine runs Ingress rules only on
	// Ingresses that controller serves. Rules of other kinds that read a controller's settings
	// (Service annotations) decide for themselves: one Service can sit behind several controllers.
	Controller string
	// Effects says what the rule may do; the table tests fail when a rule does anything else.
	Effects Effect
	// Summary is one line for listings: what the rule does.
	Summary string
	// Remediation is, for rules that deny, what to write instead, in one line.
	Remediation string
	// Family is the name of the rule's docs page, docs/rules/<Family>.md (set by family()).
	Family string
	check  func(*evaluation)
}

// Effect is what a rule may do to an object; a rule can have several.
type Effect uint8

const (
	// Defaults: the rule injects values, announced as admission warnings.
	Defaults Effect = 1 << iota
	// Denies: the rule reports violations, which deny in enforce mode and warn in warn mode.
	Denies
	// Warns: the rule gives advice that never blocks.
	Warns
)

// Has reports whether e includes every effect of o.
func (e Effect) Has(o Effect) bool { return e&o == o }

// String lists the effects as words, in the order defaults, denies, warns.
func (e Effect) String() string {
	var words []string
	for _, x := range []struct {
		e    Effect
		word string
	}{{Defaults, "defaults"}, {Denies, "denies"}, {Warns, "warns"}} {
		if e.Has(x.e) {
			words = append(words, x.word)
		}
	}
	return strings.Join(words, ", ")
}

// family names the docs page of a family's rules.
func family(name string, rules []Rule) []Rule {
	for i := range rules {
		rules[i].Family = name
	}
	return rules
}

// injectFirst orders the catalog so that, for every kind, the rules that inject defaults run
// before the rules that only judge: judging rules then see the defaulted object, as the
// validating webhook sees it after the mutating one. Within each group the families' order is
// kept. TestCatalogOrder holds the invariant.
func injectFirst(rules []Rule) []Rule {
	out := slices.Clone(rules)
	slices.SortStableFunc(out, func(a, b Rule) int {
		switch ia, ib := a.Effects.Has(Defaults), b.Effects.Has(Defaults); {
		case ia && !ib:
			return -1
		case ib && !ia:
			return 1
		}
		return 0
	})
	return out
}
