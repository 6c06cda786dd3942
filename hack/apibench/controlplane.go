package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"k8s.io/client-go/discovery"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/wsguard/wsguard/internal/testenv"
)

// admissionGroup is the API group of admission policies and webhook configurations.
const admissionGroup = "admissionregistration.k8s.io"

// controlPlane is an envtest kube-apiserver and etcd, started here rather than through
// internal/testenv because MutatingAdmissionPolicy may need extra API server flags.
type controlPlane struct {
	env    *envtest.Environment
	cfg    *rest.Config
	client client.Client
	// mapVersion and vapVersion are the versions of admissionregistration.k8s.io that serve
	// MutatingAdmissionPolicy and ValidatingAdmissionPolicy.
	mapVersion, vapVersion string
	// flags are the extra API server flags that were needed, for the report.
	flags []string
}

// startControlPlane starts kube-apiserver and etcd from $KUBEBUILDER_ASSETS and finds which
// version serves the admission policies. When no version serves MutatingAdmissionPolicy (it
// is GA and on by default from Kubernetes 1.36, beta and off before), it restarts the API
// server with the beta API and the feature gate turned on.
func startControlPlane() (*controlPlane, error) {
	assets := os.Getenv(testenv.AssetsEnv)
	if assets == "" {
		return nil, fmt.Errorf("%s is not set: run `make envtest` and export %s=<the folder it prints>", testenv.AssetsEnv, testenv.AssetsEnv)
	}
	cp, err := startWith(assets, nil)
	if err != nil {
		return nil, err
	}
	if cp.mapVersion != "" {
		return cp, nil
	}
	if err := cp.env.Stop(); err != nil {
		return nil, err
	}
	flags := []string{"runtime-config=" + admissionGroup + "/v1beta1=true", "feature-gates=MutatingAdmissionPolicy=true"}
	if cp, err = startWith(assets, flags); err != nil {
		return nil, err
	}
	if cp.mapVersion == "" {
		_ = cp.env.Stop()
		return nil, fmt.Errorf("kube-apiserver serves no MutatingAdmissionPolicy API, even with --%s and --%s", flags[0], flags[1])
	}
	return cp, nil
}

func startWith(assets string, flags []string) (*controlPlane, error) {
	env := &envtest.Environment{BinaryAssetsDirectory: assets}
	args := env.ControlPlane.GetAPIServer().Configure()
	for _, f := range flags {
		k, v, _ := strings.Cut(f, "=")
		args.Set(k, v)
	}
	cfg, err := env.Start()
	if err != nil {
		return nil, fmt.Errorf("starting the control plane from %s: %w", assets, err)
	}
	cp := &controlPlane{env: env, cfg: cfg, flags: flags}
	if cp.client, err = client.New(cfg, client.Options{}); err != nil {
		_ = env.Stop()
		return nil, err
	}
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		_ = env.Stop()
		return nil, err
	}
	// The stable version first: the newest version that serves a kind is the one to use.
	for _, version := range []string{"v1", "v1beta1", "v1alpha1"} {
		list, err := dc.ServerResourcesForGroupVersion(admissionGroup + "/" + version)
		if err != nil {
			continue // the version is not served
		}
		names := make([]string, 0, len(list.APIResources))
		for _, r := range list.APIResources {
			names = append(names, r.Name)
		}
		if cp.mapVersion == "" && slices.Contains(names, "mutatingadmissionpolicies") {
			cp.mapVersion = version
		}
		if cp.vapVersion == "" && slices.Contains(names, "validatingadmissionpolicies") {
			cp.vapVersion = version
		}
	}
	if cp.vapVersion == "" {
		_ = env.Stop()
		return nil, fmt.Errorf("kube-apiserver serves no ValidatingAdmissionPolicy API")
	}
	return cp, nil
}

// writeKubeconfig writes a kubeconfig for a cluster administrator, for wsguard.
func (cp *controlPlane) writeKubeconfig(path string) error {
	user, err := cp.env.AddUser(envtest.User{Name: "wsguard-bench", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return err
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
