// Package testenv starts a real control plane (kube-apiserver and etcd from envtest), runs the
// wsguard binary against it (StartWsguard) and wires wsguard's webhook configurations to a
// wsguard server running on this machine. `make run`, the envtest suite, the end-to-end suite
// and the benchmark programs all use it, so they exercise the same wiring.
package testenv

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"

	admissionv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/wsguard/wsguard/defaults"
	"github.com/wsguard/wsguard/webhooks"
)

// AssetsEnv is the variable that points at the folder with kube-apiserver, etcd and kubectl.
const AssetsEnv = "KUBEBUILDER_ASSETS"

// Env is a running control plane.
type Env struct {
	env    *envtest.Environment
	Config *rest.Config
	Client client.Client
	// Assets is the folder with kube-apiserver, etcd and kubectl.
	Assets string
}

// Start starts kube-apiserver and etcd from $KUBEBUILDER_ASSETS and installs the CRDs found in
// crdPaths. A missing binary is an error that says how to provide it: tests never skip.
func Start(crdPaths ...string) (*Env, error) {
	assets := os.Getenv(AssetsEnv)
	if assets == "" {
		return nil, fmt.Errorf("%s is not set: run `make envtest` (or hack/setup-envtest.sh) and export %s=<the folder it prints>", AssetsEnv, AssetsEnv)
	}
	for _, bin := range []string{"kube-apiserver", "etcd", "kubectl"} {
		if _, err := os.Stat(filepath.Join(assets, bin)); err != nil {
			return nil, fmt.Errorf("%s has no %s: run `make envtest` to provide it", assets, bin)
		}
	}
	env := &envtest.Environment{
		BinaryAssetsDirectory: assets,
		CRDDirectoryPaths:     crdPaths,
		ErrorIfCRDPathMissing: true,
	}
	// StatefulSet rollingUpdate.maxUnavailable is behind a feature gate; without it the API
	// server drops the field, and statefulset-update-strategy could not be seen at work.
	env.ControlPlane.GetAPIServer().Configure().Append("feature-gates", "MaxUnavailableStatefulSet=true")
	cfg, err := env.Start()
	if err != nil {
		return nil, fmt.Errorf("starting the control plane from %s: %w", assets, err)
	}
	c, err := client.New(cfg, client.Options{})
	if err != nil {
		_ = env.Stop()
		return nil, err
	}
	return &Env{env: env, Config: cfg, Client: c, Assets: assets}, nil
}

// Stop stops the control plane and removes its data.
func (e *Env) Stop() error {
	return e.env.Stop()
}

// Kubectl is the path of the kubectl that matches the control plane.
func (e *Env) Kubectl() string {
	return filepath.Join(e.Assets, "kubectl")
}

// WriteKubeconfig writes a kubeconfig for a cluster administrator to path.
func (e *Env) WriteKubeconfig(path string) error {
	user, err := e.env.AddUser(envtest.User{Name: "wsguard-dev", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return fmt.Errorf("creating a kubeconfig user: %w", err)
	}
	data, err := user.KubeConfig()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o600)
}

// InstallWebhooks creates (or updates) wsguard's webhook configurations, built by the same code
// as the shipped manifests, pointing at a wsguard server at url (https://host:port).
func (e *Env) InstallWebhooks(ctx context.Context, url string, caPEM []byte, tune func(*webhooks.ConfigurationOptions)) error {
	opts := webhooks.DefaultConfigurationOptions()
	opts.URL = url
	opts.CABundle = caPEM
	if tune != nil {
		tune(&opts)
	}
	mutating, validating := webhooks.Configurations(opts)
	for _, obj := range []client.Object{mutating, validating} {
		if err := createOrReplace(ctx, e.Client, obj); err != nil {
			return fmt.Errorf("installing %s: %w", obj.GetName(), err)
		}
	}
	return nil
}

// UninstallWebhooks deletes wsguard's webhook configurations.
func (e *Env) UninstallWebhooks(ctx context.Context) error {
	name := webhooks.DefaultConfigurationOptions().Name
	var errs []error
	for _, obj := range []client.Object{&admissionv1.MutatingWebhookConfiguration{}, &admissionv1.ValidatingWebhookConfiguration{}} {
		obj.SetName(name)
		if err := e.Client.Delete(ctx, obj); err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// CreateNamespace creates a namespace, opted in to wsguard when optIn is true.
func (e *Env) CreateNamespace(ctx context.Context, name string, optIn bool, annotations map[string]string) error {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Annotations: annotations}}
	if optIn {
		ns.Labels = map[string]string{defaults.LabelInject: defaults.InjectEnabled}
	}
	return createOrReplace(ctx, e.Client, ns)
}

func createOrReplace(ctx context.Context, c client.Client, obj client.Object) error {
	err := c.Create(ctx, obj)
	if !apierrors.IsAlreadyExists(err) {
		return err
	}
	existing := obj.DeepCopyObject().(client.Object)
	if err := c.Get(ctx, client.ObjectKeyFromObject(obj), existing); err != nil {
		return err
	}
	obj.SetResourceVersion(existing.GetResourceVersion())
	return c.Update(ctx, obj)
}

// FreePort returns a TCP port on 127.0.0.1 that nothing listens on right now.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
