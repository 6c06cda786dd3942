package cli

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
func applyYAMLChange(root *yaml.Node, op, pointer string, value any) error {
	segs, err := defaults.SplitJSONPointer(pointer)
	if err != nil {
		return err
	}
	if len(segs) == 0 {
		return fmt.Errorf("%s %q: wsguard never replaces a whole object", op, pointer)
	}
	parent := root
	for i, seg := range segs[:len(segs)-1] {
		if parent, err = yamlChild(parent, seg); err != nil {
			return fmt.Errorf("%s %s: at %s: %w", op, pointer, defaults.JSONPointer(segs[:i+1]), err)
		}
	}
	node, err := yamlValue(value)
	if err != nil {
		return fmt.Errorf("%s %s: %w", op, pointer, err)
	}
	last := segs[len(segs)-1]
	switch parent.Kind {
	case yaml.MappingNode:
		return setMappingValue(parent, op, pointer, last, node)
	case yaml.SequenceNode:
		return setSequenceValue(parent, op, pointer, last, node)
	default:
		return fmt.Errorf("%s %s: the parent is not a mapping or a list", op, pointer)
	}
}

func setMappingValue(m *yaml.Node, op, pointer, key string, node *yaml.Node) error {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value != key {
			continue
		}
		old := m.Content[i+1]
		if old.Kind == yaml.AliasNode {
			return fmt.Errorf("%s %s: %w", op, pointer, errAlias(old))
		}
		// Comments on the old value belong to the field, not to the value: keep them.
		node.HeadComment, node.LineComment, node.FootComment = old.HeadComment, old.LineComment, old.FootComment
		m.Content[i+1] = node
		return nil
	}
	if op == "replace" {
		return fmt.Errorf("replace %s: the field does not exist", pointer)
	}
	m.Content = append(m.Content, stringNode(key), node)
	return nil
}

func setSequenceValue(s *yaml.Node, op, pointer, seg string, node *yaml.Node) error {
	if seg == "-" && op == "add" {
		s.Content = append(s.Content, node)
		return nil
	}
	i, err := strconv.Atoi(seg)
	if err != nil || i < 0 || i > len(s.Content) || (i == len(s.Content) && op == "replace") {
		return fmt.Errorf("%s %s: no list element %q", op, pointer, seg)
	}
	if op == "add" {
		s.Content = append(s.Content[:i], append([]*yaml.Node{node}, s.Content[i:]...)...)
		return nil
	}
	s.Content[i] = node
	return nil
}

// yamlChild returns the child of a mapping or list. Aliases are refused rather than followed:
// writing through one would change every place that refers to its anchor.
func yamlChild(n *yaml.Node, seg string) (*yaml.Node, error) {
	var child *yaml.Node
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == seg {
				child = n.Content[i+1]
				break
			}
		}
		if child == nil {
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == "<<" {
					return nil, fmt.Errorf("the field comes from a YAML merge key (<<); write it out in place to let wsguard fix it")
				}
			}
			return nil, fmt.Errorf("the field does not exist")
		}
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
