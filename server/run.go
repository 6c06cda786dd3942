package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/go-logr/logr"
	reportsv1alpha1 "github.com/openreports/reports-api/apis/openreports.io/v1alpha1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/metrics/filters"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/webhook"

	"github.com/wsguard/wsguard/webhooks"
)

// Run serves the admission webhooks until ctx is cancelled, then shuts down gracefully: /readyz
// fails at once, admission requests are still served for --shutdown-delay (while the endpoint
// controller and kube-proxy or the API server's endpoint routing catch up, so that no review
// routed to this pod meets a closed port), then the webhook server stops and in-flight
// requests finish within --graceful-shutdown-timeout.
func Run(ctx context.Context, cfg *rest.Config, o Options, log logr.Logger) error {
	policy, err := o.Policy()
	if err != nil {
		return err
	}
	minTLS, err := o.tlsVersion()
	if err != nil {
		return err
	}
	shutdownTimeout, err := time.ParseDuration(o.ShutdownTimeout)
	if err != nil || shutdownTimeout < 0 {
		return fmt.Errorf("--graceful-shutdown-timeout %q: use a duration such as 30s", o.ShutdownTimeout)
	}
	if o.ShutdownDelay < 0 {
		return fmt.Errorf("--shutdown-delay %v: use a duration of zero or more, such as 5s", o.ShutdownDelay)
	}
	if o.AuditInterval < 0 {
		return fmt.Errorf("--audit-interval %v: use a duration of zero (off) or more, such as 1h", o.AuditInterval)
	}
	if o.AuditRate < 0 {
		return fmt.Errorf("--audit-rate %v: use a number of objects a second, or 0 to not pace the audit", o.AuditRate)
	}
	tlsOpts := []func(*tls.Config){func(c *tls.Config) { c.MinVersion = minTLS }}
	if !o.EnableHTTP2 {
		tlsOpts = append(tlsOpts, func(c *tls.Config) { c.NextProtos = []string{"http/1.1"} })
	}

	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		return err
	}
	if err := apiextensionsv1.AddToScheme(scheme); err != nil {
		return err
	}
	// The background audit writes OpenReports Reports where their CRD is installed.
	if err := reportsv1alpha1.Install(scheme); err != nil {
		return err
	}
	webhookServer := webhook.NewServer(webhook.Options{
		Port:     o.WebhookPort,
		CertDir:  o.CertDir,
		CertName: o.CertName,
		KeyName:  o.KeyName,
		TLSOpts:  tlsOpts,
	})
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                  scheme,
		Logger:                  log,
		WebhookServer:           webhookServer,
		Metrics:                 metricsOptions(o, tlsOpts),
		HealthProbeBindAddress:  o.HealthProbeAddr,
		PprofBindAddress:        o.PprofAddr,
		GracefulShutdownTimeout: &shutdownTimeout,
		// Rules never read managedFields; dropping them keeps the cache small.
		Cache: cache.Options{DefaultTransform: webhooks.CacheTransform(), ByObject: webhooks.CacheByObject()},
	})
	if err != nil {
		return fmt.Errorf("creating the manager: %w", err)
	}
	if err := checkReadAccess(ctx, mgr.GetAPIReader(), scheme, webhooks.CachedTypes()); err != nil {
		return err
	}
	// Start the informers with the manager, so that readiness can wait for them and no
	// admission request ever waits for a cache to fill.
	for _, obj := range webhooks.CachedTypes() {
		if _, err := mgr.GetCache().GetInformer(ctx, obj); err != nil {
			return fmt.Errorf("watching %T: %w", obj, err)
		}
	}
	// GetWebhookServer is what adds the server to the manager's runnables.
	webhookServer = mgr.GetWebhookServer()
	facts := webhooks.FactsReader{Cache: mgr.GetCache(), Live: mgr.GetAPIReader(), Stores: webhooks.InformerStores(mgr.GetCache())}
	if facts.BackendConfigs, err = watchIfServed(ctx, mgr, log, webhooks.BackendConfigGVK,
		"GKE BackendConfigs are not served; GKE rules will warn instead of judging timeouts"); err != nil {
		return err
	}
	if facts.HTTPProxies, err = watchIfServed(ctx, mgr, log, webhooks.HTTPProxyGVK,
		"Contour HTTPProxies are not served; their enableWebsockets will not make Services WebSocket"); err != nil {
		return err
	}
	if facts.HTTPRoutes, err = watchIfServed(ctx, mgr, log, webhooks.HTTPRouteGVK,
		"Gateway API HTTPRoutes are not served; Envoy Gateway policies will not be judged"); err != nil {
		return err
	}
	if facts.Gateways, err = watchIfServed(ctx, mgr, log, webhooks.GatewayGVK,
		"Gateway API Gateways are not served; HTTPRoutes will not be told apart by implementation"); err != nil {
		return err
	}
	if facts.GatewayClasses, err = watchIfServed(ctx, mgr, log, webhooks.GatewayClassGVK,
		"Gateway API GatewayClasses are not served; HTTPRoutes will not be told apart by implementation"); err != nil {
		return err
	}
	if facts.Mappings, err = watchIfServed(ctx, mgr, log, webhooks.MappingGVK,
		"Emissary Mappings are not served; their allow_upgrade will not make Services WebSocket"); err != nil {
		return err
	}
	webhooks.Register(webhookServer, policy, facts, o.WebhookNamespace, log.WithName("webhook"))
	if o.AuditInterval > 0 {
		runner, err := backgroundAudit(mgr, policy, facts, o, log)
		if err != nil {
			return err
		}
		if err := mgr.Add(runner); err != nil {
			return err
		}
	}

	if err := mgr.AddHealthzCheck("ping", healthz.Ping); err != nil {
		return err
	}
	if err := mgr.AddReadyzCheck("shutdown", func(*http.Request) error {
		if ctx.Err() != nil {
			return errors.New("shutting down")
		}
		return nil
	}); err != nil {
		return err
	}
	if err := mgr.AddReadyzCheck("webhook-server", webhookServer.StartedChecker()); err != nil {
		return err
	}
	if err := mgr.AddReadyzCheck("informers", func(req *http.Request) error {
		waitCtx, cancel := context.WithTimeout(req.Context(), time.Second)
		defer cancel()
		if !mgr.GetCache().WaitForCacheSync(waitCtx) {
			return errors.New("caches have not synced yet")
		}
		return nil
	}); err != nil {
		return err
	}

	log.Info("starting wsguard",
		"webhookPort", o.WebhookPort, "certDir", o.CertDir, "tlsMinVersion", o.TLSMinVersion, "http2", o.EnableHTTP2,
		"metrics", o.MetricsAddr, "metricsSecure", o.MetricsSecure, "probes", o.HealthProbeAddr, "enforcement", policy.Enforcement,
		"timeoutSeconds", policy.TimeoutSeconds, "minTimeoutSeconds", policy.MinTimeoutSeconds,
		"preStopSeconds", policy.PreStopSeconds, "drainSeconds", policy.DrainSeconds, "affinity", policy.AffinityEnabled())
	mgrCtx, stopDrain := drainAfter(ctx, o.ShutdownDelay, log)
	defer stopDrain()
	if err := mgr.Start(mgrCtx); err != nil {
		return fmt.Errorf("running the manager: %w", err)
	}
	log.Info("wsguard stopped")
	return nil
}

// metricsOptions serves /metrics as current kubebuilder projects do when --metrics-secure is on:
// over HTTPS, each scrape's bearer token checked with a TokenReview and its right to get
// /metrics with a SubjectAccessReview (the chart's metrics-auth ClusterRole allows both; a
// scraper needs the metrics-reader ClusterRole). Off, it is plain HTTP, as for `make run`.
func metricsOptions(o Options, tlsOpts []func(*tls.Config)) metricsserver.Options {
	opts := metricsserver.Options{BindAddress: o.MetricsAddr, TLSOpts: tlsOpts}
	if o.MetricsSecure {
		opts.SecureServing = true
		opts.FilterProvider = filters.WithAuthenticationAndAuthorization
	}
	return opts
}

// drainAfter returns the context the manager runs with: it ends delay after ctx ends. In
// between, the "shutdown" readiness check fails (it watches ctx) while the webhook server, the
// caches and the probes keep running, so reviews the API server still routes here are answered.
// stop releases it when the manager returned on its own.
func drainAfter(ctx context.Context, delay time.Duration, log logr.Logger) (mgrCtx context.Context, stop func()) {
	mgrCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	stopAfter := context.AfterFunc(ctx, func() {
		log.Info("shutting down: readiness fails now; admission requests are served until the delay ends", "shutdownDelay", delay.String())
		select {
		case <-time.After(delay):
			log.Info("stopping the webhook server")
		case <-mgrCtx.Done():
		}
		cancel()
	})
	return mgrCtx, func() {
		stopAfter()
		cancel()
	}
}

// watchIfServed starts watching a custom resource that facts read when the cluster serves it: GKE
// BackendConfigs (GKE rules judge backend timeouts; elsewhere they only warn), Contour HTTPProxies
// and Emissary Mappings (their enableWebsockets and allow_upgrade make Services WebSocket), and
// Gateway API HTTPRoutes (Envoy Gateway policies are WebSocket through the routes they target), Gateways and
// GatewayClasses (which implementation serves a route). The CRD is looked up once at
// start: installing it later needs a restart of wsguard.
func watchIfServed(ctx context.Context, mgr ctrl.Manager, log logr.Logger, gvk schema.GroupVersionKind, notServed string) (bool, error) {
	if _, err := mgr.GetRESTMapper().RESTMapping(gvk.GroupKind(), gvk.Version); err != nil {
		if meta.IsNoMatchError(err) {
			log.V(1).Info(notServed)
			return false, nil
		}
		return false, fmt.Errorf("looking up %s: %w", gvk, err)
	}
	obj := &unstructured.Unstructured{}
	obj.SetGroupVersionKind(gvk)
	if _, err := mgr.GetCache().GetInformer(ctx, obj); err != nil {
		return false, fmt.Errorf("watching %s: %w", gvk, err)
	}
	log.Info("watching a custom resource facts read", "kind", gvk.Kind, "group", gvk.Group)
	return true, nil
}
