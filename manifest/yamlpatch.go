package manifest

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/wsguard/wsguard/defaults"
)

// applyYAMLChange applies one JSON-patch "add" or "replace" to a YAML node tree. It edits only
// the node at the path: every other node keeps its comments, key order and style, and a new key
// goes after the existing ones.
//
// kyaml finds the nodes, appends new fields (its FieldSetter) and list elements (its
// ElementAppender). This thin wrapper does what JSON patch needs and kyaml does not:
//   - a replaced value keeps the comments of the old one, which belong to the field, and its own
//     style: FieldSetter writes a new value over an existing one with the old value's style and
//     without its comments (a plain 30 replaced by the string "yes" would come out as yes, a
//     boolean to kubectl's YAML 1.1), and it deletes a field set to null;
//   - YAML aliases and merge keys are refused rather than written through: an edit through an
//     alias would change every place that refers to its anchor;
//   - a list element is inserted or replaced by index (kyaml's setters find elements by key).
func applyYAMLChange(root *yaml.Node, op, pointer string, value any) error {
	return applyYAMLChangeIn(root, aliasTargets(root), op, pointer, value)
}

// applyYAMLChangeIn is applyYAMLChange with the aliases' targets of the document computed
// once for all its changes.
func applyYAMLChangeIn(root *yaml.Node, aliased map[*yaml.Node]bool, op, pointer string, value any) error {
	segs, err := defaults.SplitJSONPointer(pointer)
	if err != nil {
		return err
	}
	if len(segs) == 0 {
		return fmt.Errorf("%s %q: wsguard never replaces a whole object", op, pointer)
	}
	parent := root
	for i, seg := range segs[:len(segs)-1] {
		if err := shared(parent, aliased); err != nil {
			return fmt.Errorf("%s %s: at %s: %w", op, pointer, defaults.JSONPointer(segs[:i]), err)
		}
		if parent, err = yamlChild(parent, seg); err != nil {
			return fmt.Errorf("%s %s: at %s: %w", op, pointer, defaults.JSONPointer(segs[:i+1]), err)
		}
	}
	if err := shared(parent, aliased); err != nil {
		return fmt.Errorf("%s %s: at %s: %w", op, pointer, defaults.JSONPointer(segs[:len(segs)-1]), err)
	}
	if parent.Kind == yaml.MappingNode {
		if f := yaml.NewRNode(parent).Field(segs[len(segs)-1]); f != nil {
			if err := shared(f.Value.YNode(), aliased); err != nil {
				return fmt.Errorf("%s %s: %w", op, pointer, err)
			}
		}
	}
	node, err := yamlValue(value)
	if err != nil {
		return fmt.Errorf("%s %s: %w", op, pointer, err)
	}
	last := segs[len(segs)-1]
	switch parent.Kind {
	case yaml.MappingNode:
		return setMappingValue(yaml.NewRNode(parent), op, pointer, last, node)
	case yaml.SequenceNode:
		return setSequenceValue(yaml.NewRNode(parent), op, pointer, last, node)
	default:
		return fmt.Errorf("%s %s: the parent is not a mapping or a list", op, pointer)
	}
}

func setMappingValue(m *yaml.RNode, op, pointer, key string, node *yaml.Node) error {
	if field := m.Field(key); field != nil {
		old := field.Value.YNode()
		if old.Kind == yaml.AliasNode {
			return fmt.Errorf("%s %s: %w", op, pointer, errAlias(old))
		}
		// Comments on the old value belong to the field, not to the value: keep them.
		node.HeadComment, node.LineComment, node.FootComment = old.HeadComment, old.LineComment, old.FootComment
		field.Value.SetYNode(node)
		return nil
	}
	if op == "replace" {
		return fmt.Errorf("replace %s: the field does not exist", pointer)
	}
	value := yaml.NewRNode(node)
	value.ShouldKeep = true // an explicit null is written, not taken for "delete the field"
	// The key is quoted where kubectl's YAML 1.1 would read it as something else than a string.
	// OverrideStyle keeps the value's style, which yamlValue chose for the same reason.
	_, err := m.Pipe(yaml.FieldSetter{Name: key, Value: value, OverrideStyle: true, AppendKeyStyle: stringNode(key).Style})
	return err
}

func setSequenceValue(s *yaml.RNode, op, pointer, seg string, node *yaml.Node) error {
	content := s.Content()
	if seg == "-" && op == "add" || seg == strconv.Itoa(len(content)) && op == "add" {
		_, err := s.Pipe(yaml.Append(node))
		return err
	}
	i, err := strconv.Atoi(seg)
	if err != nil || i < 0 || i >= len(content) {
		return fmt.Errorf("%s %s: no list element %q", op, pointer, seg)
	}
	if op == "add" {
		s.YNode().Content = slices.Insert(content, i, node)
		return nil
	}
	content[i] = node
	return nil
}

// yamlChild returns the child of a mapping or list. Aliases are refused rather than followed:
// writing through one would change every place that refers to its anchor. So are fields that
// only a merge key (<<) provides.
func yamlChild(n *yaml.Node, seg string) (*yaml.Node, error) {
	var child *yaml.Node
	switch n.Kind {
	case yaml.MappingNode:
		rn := yaml.NewRNode(n)
		field := rn.Field(seg)
		if field == nil {
			if rn.Field("<<") != nil {
				return nil, fmt.Errorf("the field comes from a YAML merge key (<<); write it out in place to let wsguard fix it")
			}
			return nil, fmt.Errorf("the field does not exist")
		}
		child = field.Value.YNode()
	case yaml.SequenceNode:
		i, err := strconv.Atoi(seg)
		if err != nil || i < 0 || i >= len(n.Content) {
			return nil, fmt.Errorf("no list element %q", seg)
		}
		child = n.Content[i]
	case yaml.AliasNode:
		return nil, errAlias(n)
	default:
		return nil, fmt.Errorf("not a mapping or a list")
	}
	if child.Kind == yaml.AliasNode {
		return nil, errAlias(child)
	}
	return child, nil
}

// aliasTargets returns the nodes that aliases of the document refer to.
func aliasTargets(root *yaml.Node) map[*yaml.Node]bool {
	out := map[*yaml.Node]bool{}
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if n == nil {
			return
		}
		if n.Kind == yaml.AliasNode && n.Alias != nil {
			out[n.Alias] = true
			return
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(root)
	return out
}

// shared refuses to edit in or under a node that is not the object's own: a node with an
// anchor that aliases refer to (the edit would show up in every place that uses the anchor) and
// a mapping with a merge key (<<), whose fields kubectl's YAML 1.1 decoder and the YAML tree
// wsguard edits do not agree on.
func shared(n *yaml.Node, aliased map[*yaml.Node]bool) error {
	if n.Kind == yaml.AliasNode {
		return errAlias(n)
	}
	if aliased[n] {
		return fmt.Errorf("the value has a YAML anchor (&%s) that aliases refer to: a change would show up in every place that uses it; write it out in place to let wsguard fix it", n.Anchor)
	}
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if k := n.Content[i]; k.Kind == yaml.ScalarNode && k.Value == "<<" && k.Style == 0 {
				return fmt.Errorf("the mapping uses a YAML merge key (<<); write its fields out in place to let wsguard fix it")
			}
		}
	}
	return nil
}

func errAlias(n *yaml.Node) error {
	return fmt.Errorf("the value is a YAML alias (*%s); write it out in place to let wsguard fix it", n.Value)
}

// yamlValue builds the YAML nodes of a patch value: the JSON types the engine writes, with
// map keys sorted so that the output does not depend on map order.
func yamlValue(v any) (*yaml.Node, error) {
	switch v := v.(type) {
	case map[string]any:
		n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		for _, k := range slices.Sorted(maps.Keys(v)) {
			value, err := yamlValue(v[k])
			if err != nil {
				return nil, err
			}
			n.Content = append(n.Content, stringNode(k), value)
		}
		return n, nil
	case []any:
		n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		for _, e := range v {
			value, err := yamlValue(e)
			if err != nil {
				return nil, err
			}
			n.Content = append(n.Content, value)
		}
		return n, nil
	case string:
		return stringNode(v), nil
	case int64:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.FormatInt(v, 10)}, nil
	case int:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.Itoa(v)}, nil
	case float64:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!float", Value: strconv.FormatFloat(v, 'g', -1, 64)}, nil
	case bool:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(v)}, nil
	case nil:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}, nil
	}
	return nil, fmt.Errorf("a value of type %T cannot be written as YAML", v)
}

// stringNode is a string scalar. The encoder quotes it where YAML 1.2 would read it as
// something else ("3600", "true"); where only YAML 1.1 would ("on", "yes", "n"), it is quoted
// here, because kubectl and the API server read YAML 1.1 and would get a boolean.
func stringNode(s string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
	if mayBeYAML11NonString(s) && yaml.IsYaml1_1NonString(n) {
		n.Style = yaml.DoubleQuotedStyle
	}
	return n
}

// mayBeYAML11NonString rules out, cheaply, strings that YAML 1.1 reads as strings: its
// booleans, nulls, numbers, timestamps and special keys ("<<", "=") all start with a digit, a
// sign, a dot, "~", "<", "=" or one of the letters of y/yes/n/no/true/false/on/off/null, and
// its words are short. The rest is left to IsYaml1_1NonString, which parses.
func mayBeYAML11NonString(s string) bool {
	if s == "" {
		return false
	}
	switch c := s[0]; {
	case c >= '0' && c <= '9', strings.IndexByte("+-.~<=", c) >= 0:
		return true
	case strings.IndexByte("yYnNtTfFoO", c) >= 0:
		return len(s) <= 5
	}
	return false
}
