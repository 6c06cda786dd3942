package install

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	cmcontroller "github.com/cert-manager/cert-manager/pkg/controller"
	"github.com/cert-manager/cert-manager/pkg/controller/cainjector"
	"github.com/cert-manager/cert-manager/pkg/controller/certificaterequests/approver"
	crca "github.com/cert-manager/cert-manager/pkg/controller/certificaterequests/ca"
	crselfsigned "github.com/cert-manager/cert-manager/pkg/controller/certificaterequests/selfsigned"
	"github.com/cert-manager/cert-manager/pkg/controller/certificates/issuing"
	"github.com/cert-manager/cert-manager/pkg/controller/certificates/keymanager"
	"github.com/cert-manager/cert-manager/pkg/controller/certificates/readiness"
	"github.com/cert-manager/cert-manager/pkg/controller/certificates/requestmanager"
	"github.com/cert-manager/cert-manager/pkg/controller/certificates/revisionmanager"
	"github.com/cert-manager/cert-manager/pkg/controller/certificates/trigger"
	"github.com/cert-manager/cert-manager/pkg/controller/issuers"
	cmutil "github.com/cert-manager/cert-manager/pkg/util"
	// The Issuer types the chart uses register themselves with the issuers controller.
	_ "github.com/cert-manager/cert-manager/pkg/issuer/ca"
	_ "github.com/cert-manager/cert-manager/pkg/issuer/selfsigned"
)

// issuingControllers are the cert-manager controllers that take a Certificate from creation to
// a signed Secret with the chart's self-signed and CA Issuers, and renew it on request. They are
// the controllers cert-manager's own binary runs, registered by their packages; only the
// wiring of the binary (which lives in a module the Go proxy does not serve) is redone here.
var issuingControllers = []string{
	issuers.ControllerName,
	trigger.ControllerName,
	keymanager.ControllerName,
	requestmanager.ControllerName,
	issuing.ControllerName,
	readiness.ControllerName,
	revisionmanager.ControllerName,
	approver.ControllerName,
	crselfsigned.CRControllerName,
	crca.CRControllerName,
}

// certManager runs cert-manager in the test process: its issuing controllers and its CA
// injector, against the suite's API server.
type certManager struct {
	// done is closed once every controller has stopped.
	done chan struct{}
}

// startCertManager starts cert-manager's issuing controllers (from a kubeconfig, as the
// cert-manager binary does) and its CA injector (a controller-runtime manager). They stop when
// ctx is cancelled.
func startCertManager(ctx context.Context, kubeconfig string, cfg *rest.Config, scheme *runtime.Scheme) (*certManager, error) {
	ctx = logr.NewContext(ctx, ctrl.Log.WithName("cert-manager"))
	factory, err := cmcontroller.NewContextFactory(ctx, cmcontroller.ContextOptions{
		Kubeconfig:         kubeconfig,
		KubernetesAPIQPS:   50,
		KubernetesAPIBurst: 100,
		IssuerOptions:      cmcontroller.IssuerOptions{ClusterResourceNamespace: "kube-system"},
		CertificateOptions: cmcontroller.CertificateOptions{
			// A failed issuance is retried within the suite's bounds, not after an hour.
			CertificateRequestMinimumBackoffDuration: time.Second,
			CertificateRequestMaximumBackoffDuration: 10 * time.Second,
		},
	})
	if err != nil {
		return nil, fmt.Errorf("cert-manager: %w", err)
	}
	var controllers []cmcontroller.Interface
	for _, name := range issuingControllers {
		constructor, ok := cmcontroller.Known()[name]
		if !ok {
			return nil, fmt.Errorf("cert-manager: no controller %q is registered", name)
		}
		c, err := constructor(factory)
		if err != nil {
			return nil, fmt.Errorf("cert-manager: building %s: %w", name, err)
		}
		controllers = append(controllers, c)
	}
	// Every Context built by the factory shares its informer factories; the controllers have
	// registered their informers, which start now.
	shared, err := factory.Build("wsguard-e2e")
	if err != nil {
		return nil, err
	}
	shared.KubeSharedInformerFactory.Start(ctx.Done())
	shared.SharedInformerFactory.Start(ctx.Done())

	injector, err := newCAInjector(ctx, cfg, scheme)
	if err != nil {
		return nil, err
	}

	cm := &certManager{done: make(chan struct{})}
	var wg sync.WaitGroup
	for i, c := range controllers {
		wg.Go(func() {
			if err := c.Run(1, ctx); err != nil && !errors.Is(err, context.Canceled) {
				ctrl.Log.Error(err, "cert-manager controller stopped", "controller", issuingControllers[i])
			}
		})
	}
	wg.Go(func() {
		if err := injector.Start(ctx); err != nil {
			ctrl.Log.Error(err, "cert-manager CA injector stopped")
		}
	})
	go func() {
		wg.Wait()
		close(cm.done)
	}()
	return cm, nil
}

// newCAInjector builds cert-manager's CA injector for webhook configurations: a manager with
// RegisterAllInjectors, reading Secrets live as cert-manager's cainjector does.
func newCAInjector(ctx context.Context, cfg *rest.Config, scheme *runtime.Scheme) (ctrl.Manager, error) {
	// The field manager of the injector's apply patches comes from the user agent.
	mgr, err := ctrl.NewManager(cmutil.RestConfigWithUserAgent(cfg, "cainjector"), ctrl.Options{
		Scheme:                 scheme,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		Client:                 client.Options{Cache: &client.CacheOptions{DisableFor: []client.Object{&corev1.Secret{}}}},
	})
	if err != nil {
		return nil, fmt.Errorf("cert-manager CA injector: %w", err)
	}
	err = cainjector.RegisterAllInjectors(ctx, mgr, cainjector.SetupOptions{
		EnableCertificatesDataSource: true,
		EnabledReconcilersFor: map[string]bool{
			cainjector.MutatingWebhookConfigurationName:   true,
			cainjector.ValidatingWebhookConfigurationName: true,
		},
	})
	if err != nil {
		return nil, fmt.Errorf("cert-manager CA injector: %w", err)
	}
	return mgr, nil
}
