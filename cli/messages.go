package cli

import "github.com/wsguard/wsguard/defaults"

// Findings are worded by package defaults, as the webhooks word them, so that a message seen in
// CI is the message kubectl prints; TestParityWithTheWebhook compares them string for string.

// violationText is one line of the denial in enforce mode, an admission warning in warn mode.
func violationText(v defaults.Violation, mode defaults.Enforcement) string {
	if mode == defaults.Warn {
		return v.WarnModeWarning()
	}
	return v.DenialLine()
}
