package cli

import (
	"fmt"

	"github.com/wsguard/wsguard/defaults"
)

// The functions below word every finding exactly as the webhooks do (webhooks/handler.go), so
// that a message seen in CI is the message kubectl prints, and TestParityWithTheWebhook can
// compare them string for string.

// ruleAppliedRules is the engine's bookkeeping change; the mutating webhook patches it but does
// not announce it.
const ruleAppliedRules = "applied-rules"

// deniedHeader opens the denial message of the validating webhook.
const deniedHeader = "wsguard: this object would break WebSocket traffic:"

// changeText is the admission warning that announces an injected default.
func changeText(c defaults.Change) string {
	return fmt.Sprintf("wsguard [%s]: %s", c.Rule, c.Message)
}

// warningText is the admission warning of a Warning.
func warningText(w defaults.Warning) string {
	msg := w.Message
	if w.Field != "" {
		msg = w.Field + ": " + msg
	}
	return fmt.Sprintf("wsguard [%s]: %s", w.Rule, msg)
}

// violationText is a violation as the validating webhook words it: one line of the denial in
// enforce mode, an admission warning in warn mode.
func violationText(v defaults.Violation, mode defaults.Enforcement) string {
	if mode == defaults.Warn {
		return fmt.Sprintf("wsguard [%s] (warn mode, would deny): %s", v.Rule, v.Message())
	}
	return fmt.Sprintf("[%s] %s", v.Rule, v.Message())
}
