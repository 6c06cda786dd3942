// Package server runs wsguard's admission webhook server: a controller-runtime manager with the
// webhook handlers, a cache of the objects rules need, health probes and Prometheus metrics.
package server

import (
	"crypto/tls"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/wsguard/wsguard/defaults"
)

// Options are the server's settings, bound to command-line flags by BindFlags.
type Options struct {
	WebhookPort   int
	CertDir       string
	CertName      string
	KeyName       string
	TLSMinVersion string
	EnableHTTP2   bool
	MetricsAddr   string
	// MetricsSecure serves /metrics over HTTPS, only to clients the API server authenticates
	// and authorizes (--metrics-secure).
	MetricsSecure   bool
	HealthProbeAddr string
	LogLevel        string
	LogFormat       string
	ConfigFile      string
	Enforcement     string
	ShutdownTimeout string
	// ShutdownDelay is how long wsguard keeps serving, unready, after SIGTERM before the webhook
	// server stops (--shutdown-delay). Zero stops it at once.
	ShutdownDelay    time.Duration
	WebhookNamespace string
	// AuditInterval is how often the background audit judges the stored objects of opted-in
	// namespaces (--audit-interval); zero turns it off.
	AuditInterval time.Duration
	// AuditRate is how many objects a second the background audit judges at most
	// (--audit-rate); zero does not pace it.
	AuditRate float64
	// AuditReports writes the background audit's findings as OpenReports Reports where their
	// CRD is installed (--audit-reports).
	AuditReports bool
	// PprofAddr is where Go's profiling endpoints are served (--pprof-bind-address); "0", the
	// default, serves none.
	PprofAddr string
}

// BindFlags registers every option on fs with its default and help text.
func (o *Options) BindFlags(fs *flag.FlagSet) {
	fs.IntVar(&o.WebhookPort, "webhook-port", 9443, "port the admission webhook server listens on (HTTPS)")
	fs.StringVar(&o.CertDir, "cert-dir", "/tmp/k8s-webhook-server/serving-certs", "directory holding the serving certificate and key; they are reloaded when the files change")
	fs.StringVar(&o.CertName, "cert-name", "tls.crt", "file name of the serving certificate in --cert-dir")
	fs.StringVar(&o.KeyName, "key-name", "tls.key", "file name of the serving key in --cert-dir")
	fs.StringVar(&o.TLSMinVersion, "tls-min-version", "1.2", "minimum TLS version the webhook server accepts: 1.2 or 1.3")
	fs.BoolVar(&o.EnableHTTP2, "enable-http2", false, "serve HTTP/2 on the webhook and metrics servers (off by default: HTTP/2 Rapid Reset and Stream Cancellation CVEs)")
	fs.StringVar(&o.MetricsAddr, "metrics-bind-address", ":8080", "address of the Prometheus /metrics endpoint; \"0\" turns it off")
	fs.BoolVar(&o.MetricsSecure, "metrics-secure", false, "serve /metrics over HTTPS (a self-signed certificate) and only to clients whose bearer token the API server authenticates and that may get the /metrics URL (TokenReview and SubjectAccessReview); the chart and config/ turn it on. Off: plain HTTP to anyone, for local runs")
	fs.StringVar(&o.HealthProbeAddr, "health-probe-bind-address", ":8081", "address of the /healthz and /readyz endpoints")
	fs.StringVar(&o.PprofAddr, "pprof-bind-address", "0", "address of Go's profiling endpoints (/debug/pprof/), plain HTTP without authentication, to find where wsguard spends its CPU and memory: bind it to 127.0.0.1 and reach it with kubectl port-forward. \"0\" (the default) turns them off")
	fs.StringVar(&o.LogLevel, "log-level", "info", "log level: debug, info, warn, error, or a number for more detail (2 logs every request)")
	fs.StringVar(&o.LogFormat, "log-format", "json", "log format: json (production) or console (development)")
	fs.StringVar(&o.ConfigFile, "config", "", "policy file (YAML); see docs/configuration.md. Without it, the documented defaults apply")
	fs.StringVar(&o.Enforcement, "enforcement", "", "cluster-wide mode, overriding the policy file: enforce (deny unsafe objects) or warn (admit them with warnings)")
	fs.StringVar(&o.ShutdownTimeout, "graceful-shutdown-timeout", "30s", "how long in-flight requests may take to finish after SIGTERM")
	fs.DurationVar(&o.ShutdownDelay, "shutdown-delay", 5*time.Second, "after SIGTERM, how long /readyz fails while admission requests are still served, so that the API server stops routing to this pod before its webhook server stops; then --graceful-shutdown-timeout applies")
	fs.DurationVar(&o.AuditInterval, "audit-interval", time.Hour, "how often wsguard judges every stored object of the opted-in namespaces, as admission would if it were applied again now, and exports the findings as the wsguard_audit_* Prometheus gauges; the first audit runs once the caches have synced. 0 turns the audit off")
	fs.Float64Var(&o.AuditRate, "audit-rate", 200, "how many stored objects a second the background audit judges at most, evenly spaced, so that it never crowds out admission requests or loads the API server in bursts (at 200/s, 10,000 objects take under a minute); 0 does not pace it")
	fs.BoolVar(&o.AuditReports, "audit-reports", true, "write the background audit's findings as OpenReports Reports (openreports.io/v1alpha1), one per WebSocket object with its results, in the object's namespace, where the Report CRD is installed; without the CRD the audit exports metrics only. See docs/audit.md")
	fs.StringVar(&o.WebhookNamespace, "webhook-namespace", os.Getenv("POD_NAMESPACE"), "namespace wsguard runs in: never judged, like kube-system, even where a webhook configuration would send its objects")
}

// tlsVersion parses --tls-min-version.
func (o *Options) tlsVersion() (uint16, error) {
	switch strings.TrimPrefix(o.TLSMinVersion, "VersionTLS") {
	case "1.2", "12":
		return tls.VersionTLS12, nil
	case "1.3", "13":
		return tls.VersionTLS13, nil
	}
	return 0, fmt.Errorf("--tls-min-version %q: use 1.2 or 1.3", o.TLSMinVersion)
}

// Policy reads the policy file, if any, and applies --enforcement, as check and fix do.
func (o *Options) Policy() (defaults.Policy, error) {
	return defaults.LoadPolicy(o.ConfigFile, o.Enforcement)
}
