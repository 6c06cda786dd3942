package defaults

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"

	"sigs.k8s.io/yaml"
)

// Enforcement says what happens to an object that breaks WebSocket traffic.
type Enforcement string

const (
	// Enforce denies such objects (the default).
	Enforce Enforcement = "enforce"
	// Warn admits them with admission warnings, which kubectl prints.
	Warn Enforcement = "warn"
)

// Policy holds the values the rules enforce. It is read from the --config file; every field has
// a documented default (DefaultPolicy), so an empty file is a valid policy.
type Policy struct {
	// Enforcement is the cluster-wide mode; a namespace annotation can lower it to warn.
	Enforcement Enforcement `json:"enforcement,omitempty"`
	// TimeoutSeconds is the idle/read/send timeout injected on proxies in front of WebSocket
	// backends.
	TimeoutSeconds int64 `json:"timeoutSeconds,omitempty"`
	// MinTimeoutSeconds is the shortest timeout accepted on a WebSocket route; shorter ones are
	// violations. It may not exceed TimeoutSeconds.
	MinTimeoutSeconds int64 `json:"minTimeoutSeconds,omitempty"`
	// PreStopSeconds is the preStop sleep injected into WebSocket containers, so that endpoints
	// are removed from load balancers before the process gets SIGTERM.
	PreStopSeconds int64 `json:"preStopSeconds,omitempty"`
	// DrainSeconds is the time the application needs after SIGTERM to close its connections;
	// the grace period must cover PreStopSeconds + DrainSeconds.
	DrainSeconds int64 `json:"drainSeconds,omitempty"`
	// Affinity configures session affinity defaults.
	Affinity AffinityPolicy `json:"affinity,omitempty"`
	// IngressClasses maps IngressClass names to controllers, for classes whose IngressClass
	// object cannot be read. Entries here are added to the built-in mapping.
	IngressClasses map[string]string `json:"ingressClasses,omitempty"`
	// DisableRouteTimeouts injects a zero ("0s", disabled) request timeout into Gateway API
	// HTTPRoute rules to WebSocket backends that set none; on by default. Unset, the timeout
	// is implementation-specific (Envoy Gateway closes idle streams after 5 minutes).
	DisableRouteTimeouts *bool `json:"disableRouteTimeouts,omitempty"`
	// KnownApps adds applications to the built-in catalog of WebSocket applications
	// (apps.yaml): a workload running one of their images is WebSocket on their ports. This is
	// how a platform team declares its own apps once for every namespace. They are matched
	// before the built-in entries.
	KnownApps []KnownApp `json:"knownApps,omitempty"`
	// InferredEnforcement is the mode for objects wsguard recognised only by inference (a known
	// application's image): "warn" by default, so that a guess never blocks a deploy; "enforce"
	// denies them like declared ones. Objects declared WebSocket follow Enforcement.
	InferredEnforcement Enforcement `json:"inferredEnforcement,omitempty"`
}

// AffinityPolicy configures session affinity, which keeps a reconnecting client on the pod
// that holds its session state.
type AffinityPolicy struct {
	// Enabled turns affinity defaults on (the default) or off.
	Enabled *bool `json:"enabled,omitempty"`
	// CookieName is the name of affinity cookies set by ingress controllers.
	CookieName string `json:"cookieName,omitempty"`
	// CookieMaxAgeSeconds is the lifetime of affinity cookies.
	CookieMaxAgeSeconds int64 `json:"cookieMaxAgeSeconds,omitempty"`
	// ClientIPTimeoutSeconds is the Service ClientIP affinity timeout.
	ClientIPTimeoutSeconds int64 `json:"clientIPTimeoutSeconds,omitempty"`
}

// Policy defaults. They follow the guide wsguard grew from: one hour of idle time, a 15 s drain
// before SIGTERM and the Kubernetes ClientIP default of three hours.
const (
	DefaultTimeoutSeconds         = 3600
	DefaultMinTimeoutSeconds      = 3600
	DefaultPreStopSeconds         = 15
	DefaultDrainSeconds           = 30
	DefaultCookieName             = "WSGUARD_AFFINITY"
	DefaultCookieMaxAgeSeconds    = 86400
	DefaultClientIPTimeoutSeconds = 10800
)

// Limits that keep a policy meaningful. Kubernetes caps ClientIP affinity at one day.
const (
	maxTimeoutSeconds         = 7 * 24 * 3600
	maxPreStopSeconds         = 3600
	maxClientIPTimeoutSeconds = 86400
)

// DefaultPolicy returns the policy used when no config file is given.
func DefaultPolicy() Policy {
	enabled, disable := true, true
	return Policy{
		DisableRouteTimeouts: &disable,
		Enforcement:          Enforce,
		InferredEnforcement:  Warn,
		TimeoutSeconds:       DefaultTimeoutSeconds,
		MinTimeoutSeconds:    DefaultMinTimeoutSeconds,
		PreStopSeconds:       DefaultPreStopSeconds,
		DrainSeconds:         DefaultDrainSeconds,
		Affinity: AffinityPolicy{
			Enabled:                &enabled,
			CookieName:             DefaultCookieName,
			CookieMaxAgeSeconds:    DefaultCookieMaxAgeSeconds,
			ClientIPTimeoutSeconds: DefaultClientIPTimeoutSeconds,
		},
	}
}

// ParsePolicy reads a policy from YAML or JSON. Fields left out take their defaults; unknown
// fields and invalid values are errors that name the field.
func ParsePolicy(data []byte) (Policy, error) {
	var p Policy
	if len(bytes.TrimSpace(data)) > 0 {
		if err := yaml.UnmarshalStrict(data, &p); err != nil {
			return Policy{}, fmt.Errorf("policy: %w", err)
		}
	}
	p = p.withDefaults()
	if err := p.Validate(); err != nil {
		return Policy{}, err
	}
	return p, nil
}

// LoadPolicy reads the policy as `wsguard serve`, `wsguard check` and `wsguard fix` all take it
// from their command line: the file given with --config (none: DefaultPolicy), then the mode
// given with --enforcement, if any, over the file's. One function for all three, so that one
// policy file gives the same verdicts in CI and in the cluster. Errors name the flag at fault.
func LoadPolicy(configFile string, enforcement string) (Policy, error) {
	p := DefaultPolicy()
	if configFile != "" {
		data, err := os.ReadFile(configFile)
		if err != nil {
			return p, fmt.Errorf("--config: %w", err)
		}
		if p, err = ParsePolicy(data); err != nil {
			return p, fmt.Errorf("--config %s: %w", configFile, err)
		}
	}
	if enforcement != "" {
		p.Enforcement = Enforcement(enforcement)
		if err := p.Validate(); err != nil {
			return p, fmt.Errorf("--enforcement: %w", err)
		}
	}
	return p, nil
}

func (p Policy) withDefaults() Policy {
	d := DefaultPolicy()
	if p.Enforcement == "" {
		p.Enforcement = d.Enforcement
	}
	if p.InferredEnforcement == "" {
		p.InferredEnforcement = Warn
	}
	if p.TimeoutSeconds == 0 {
		p.TimeoutSeconds = d.TimeoutSeconds
	}
	if p.MinTimeoutSeconds == 0 {
		p.MinTimeoutSeconds = min(d.MinTimeoutSeconds, p.TimeoutSeconds)
	}
	if p.PreStopSeconds == 0 {
		p.PreStopSeconds = d.PreStopSeconds
	}
	if p.DrainSeconds == 0 {
		p.DrainSeconds = d.DrainSeconds
	}
	if p.Affinity.Enabled == nil {
		p.Affinity.Enabled = d.Affinity.Enabled
	}
	if p.DisableRouteTimeouts == nil {
		p.DisableRouteTimeouts = d.DisableRouteTimeouts
	}
	if p.Affinity.CookieName == "" {
		p.Affinity.CookieName = d.Affinity.CookieName
	}
	if p.Affinity.CookieMaxAgeSeconds == 0 {
		p.Affinity.CookieMaxAgeSeconds = d.Affinity.CookieMaxAgeSeconds
	}
	if p.Affinity.ClientIPTimeoutSeconds == 0 {
		p.Affinity.ClientIPTimeoutSeconds = d.Affinity.ClientIPTimeoutSeconds
	}
	return p
}

// Validate reports every invalid value of the policy at once.
func (p Policy) Validate() error {
	var errs []error
	bad := func(field string, format string, args ...any) {
		errs = append(errs, fmt.Errorf("policy: %s: %s", field, fmt.Sprintf(format, args...)))
	}
	switch p.Enforcement {
	case Enforce, Warn:
	default:
		bad("enforcement", "%q is not a mode; use %q or %q", p.Enforcement, Enforce, Warn)
	}
	switch p.InferredEnforcement {
	case Enforce, Warn, "":
	default:
		bad("inferredEnforcement", "%q is not a mode; use %q or %q", p.InferredEnforcement, Enforce, Warn)
	}
	for i, a := range p.KnownApps {
		if err := validateApp(a); err != nil {
			bad(fmt.Sprintf("knownApps[%d]", i), "%v", err)
		}
	}
	inRange := func(field string, v, lo, hi int64) {
		if v < lo || v > hi {
			bad(field, "%d is out of range; use %d to %d", v, lo, hi)
		}
	}
	inRange("timeoutSeconds", p.TimeoutSeconds, 1, maxTimeoutSeconds)
	inRange("minTimeoutSeconds", p.MinTimeoutSeconds, 1, maxTimeoutSeconds)
	if p.MinTimeoutSeconds > p.TimeoutSeconds {
		bad("minTimeoutSeconds", "%d is above timeoutSeconds (%d): wsguard would deny its own defaults", p.MinTimeoutSeconds, p.TimeoutSeconds)
	}
	inRange("preStopSeconds", p.PreStopSeconds, 1, maxPreStopSeconds)
	inRange("drainSeconds", p.DrainSeconds, 1, maxTimeoutSeconds)
	inRange("affinity.cookieMaxAgeSeconds", p.Affinity.CookieMaxAgeSeconds, 1, maxTimeoutSeconds*52)
	inRange("affinity.clientIPTimeoutSeconds", p.Affinity.ClientIPTimeoutSeconds, 1, maxClientIPTimeoutSeconds)
	if !isCookieName(p.Affinity.CookieName) {
		bad("affinity.cookieName", "%q is not a valid cookie name (letters, digits, '-', '_', '.')", p.Affinity.CookieName)
	}
	for class, controller := range p.IngressClasses {
		if class == "" || controller == "" {
			bad("ingressClasses", "class %q maps to %q; both must be non-empty", class, controller)
		}
	}
	return errors.Join(errs...)
}

// AffinityEnabled reports whether affinity defaults are on.
func (p Policy) AffinityEnabled() bool {
	return p.Affinity.Enabled == nil || *p.Affinity.Enabled
}

// RouteTimeoutsDisabled reports whether HTTPRoute request timeouts are defaulted to "0s".
func (p Policy) RouteTimeoutsDisabled() bool {
	return p.DisableRouteTimeouts == nil || *p.DisableRouteTimeouts
}

// controllerForClass maps an IngressClass name through the policy and the built-in table.
func (p Policy) controllerForClass(class string) string {
	if c, ok := p.IngressClasses[class]; ok {
		return c
	}
	return builtinIngressClasses[class]
}

func isCookieName(s string) bool {
	if s == "" || len(s) > 256 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_.", r)) {
			return false
		}
	}
	return true
}
