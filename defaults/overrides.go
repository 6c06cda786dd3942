package defaults

import (
	"fmt"
	"strconv"
	"strings"
)

// applyOverrides reads the per-object policy annotations into the effective policy. Invalid
// values are violations (the object is never judged with a half-read policy) and it reports
// whether every value was valid.
func (ev *evaluation) applyOverrides() bool {
	ev.rule = "policy-override"
	ok := true
	seconds := func(key string, dst *int64, lo, hi int64) {
		raw, present := ev.annots[key]
		if !present {
			return
		}
		v, err := strconv.ParseInt(strings.TrimSpace(raw), 10, 64)
		if err != nil || v < lo || v > hi {
			ev.violate(annotationPath(key), raw, "is not a whole number of seconds in range", fmt.Sprintf("write a whole number from %d to %d, without a unit", lo, hi))
			ok = false
			return
		}
		*dst = v
	}
	seconds(AnnotationTimeoutSeconds, &ev.policy.TimeoutSeconds, 1, maxTimeoutSeconds)
	seconds(AnnotationMinTimeoutSeconds, &ev.policy.MinTimeoutSeconds, 1, maxTimeoutSeconds)
	seconds(AnnotationPreStopSeconds, &ev.policy.PreStopSeconds, 1, maxPreStopSeconds)
	seconds(AnnotationDrainSeconds, &ev.policy.DrainSeconds, 1, maxTimeoutSeconds)
	if ok && ev.policy.MinTimeoutSeconds > ev.policy.TimeoutSeconds {
		// A lower timeout override also lowers the minimum: the user asked for that timeout.
		if _, minSet := ev.annots[AnnotationMinTimeoutSeconds]; minSet {
			source := "the policy's timeoutSeconds"
			if _, set := ev.annots[AnnotationTimeoutSeconds]; set {
				source = AnnotationTimeoutSeconds
			}
			ev.violate(annotationPath(AnnotationMinTimeoutSeconds), ev.annots[AnnotationMinTimeoutSeconds],
				fmt.Sprintf("is above the timeout wsguard injects (%ds, from %s), so wsguard would deny its own default", ev.policy.TimeoutSeconds, source),
				fmt.Sprintf("lower it to %d or below, or raise %s with it", ev.policy.TimeoutSeconds, AnnotationTimeoutSeconds))
			ok = false
		} else {
			ev.policy.MinTimeoutSeconds = ev.policy.TimeoutSeconds
		}
	}
	if raw, present := ev.annots[AnnotationAffinity]; present {
		switch raw {
		case "true", "false":
			enabled := raw == "true"
			ev.policy.Affinity.Enabled = &enabled
		default:
			ev.unsupported(annotationPath(AnnotationAffinity), raw, "is not a valid value", `write "true" or "false"`)
			ok = false
		}
	}
	if raw, present := ev.annots[AnnotationSkipRules]; present {
		ev.skip = map[string]bool{}
		for id := range strings.SplitSeq(raw, ",") {
			id = strings.TrimSpace(id)
			if id == "" {
				continue
			}
			if _, known := RuleByID(id); !known {
				ev.unsupported(annotationPath(AnnotationSkipRules), id, "is not a wsguard rule ID", "list IDs from docs/rules.md, separated by commas")
				ok = false
				continue
			}
			ev.skip[id] = true
		}
	}
	return ok
}
