package testenv

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// Upstream modules whose CRDs the tests install, so that the real schemas and CEL rules judge
// every object wsguard changes. They are read from the module cache, never imported, so they
// stay out of wsguard's dependency graph.
const (
	IstioAPIModule   = "istio.io/api@v1.31.1"
	GatewayAPIModule = "sigs.k8s.io/gateway-api@v1.6.3"
	ContourModule    = "github.com/projectcontour/contour@v1.33.8"
	// Envoy Gateway's go.mod asks for a newer Go than wsguard's; its CRDs are plain YAML files
	// in the module, so only the download is needed.
	EnvoyGatewayModule = "github.com/envoyproxy/gateway@v1.9.1"
	// Traefik's Go types are not importable (its module replaces half its dependencies); its
	// CRDs are one YAML file of the docs in the module. Traefik v2's has the traefik.containo.us
	// group that v3 removed.
	TraefikModule   = "github.com/traefik/traefik/v3@v3.7.13"
	TraefikV2Module = "github.com/traefik/traefik/v2@v2.11.30"
	// ReportsAPIModule is the OpenReports module whose Go types the background audit writes
	// (it is in wsguard's go.mod); its Report CRD comes from the same version
	// (TestReportsAPIModuleMatchesGoMod).
	ReportsAPIModule = "github.com/openreports/reports-api@v0.2.1"
)

// ReportsCRD returns the file of the OpenReports Report CRD (openreports.io/v1alpha1) as the
// module publishes it in config/crd/. Its ClusterReport CRD is left out: wsguard writes none.
func ReportsCRD() (string, error) {
	dir, err := ModuleDir(ReportsAPIModule)
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "config", "crd", "openreports.io_reports.yaml"), nil
}

// traefikCRDFile is where both Traefik modules keep their CRDs.
const traefikCRDFile = "docs/content/reference/dynamic-configuration/kubernetes-crd-definition-v1.yml"

// MeshCRDs returns the CRD files for the mesh, Gateway API, Contour, Envoy Gateway and Traefik
// rules: Istio's (all of networking.istio.io and friends), Gateway API's HTTPRoute, Gateway and
// GatewayClass (standard channel), Contour's HTTPProxy, Envoy Gateway's BackendTrafficPolicy and
// ClientTrafficPolicy, Traefik's IngressRoute and TraefikService (and Traefik v2's
// traefik.containo.us IngressRoute), and the minimal Linkerd Server and Emissary Mapping CRDs
// kept in this repository (see the note in each file).
func MeshCRDs() ([]string, error) {
	istio, err := ModuleDir(IstioAPIModule)
	if err != nil {
		return nil, err
	}
	gateway, err := ModuleDir(GatewayAPIModule)
	if err != nil {
		return nil, err
	}
	httpProxy, err := ContourHTTPProxyCRD()
	if err != nil {
		return nil, err
	}
	var traefik []string
	for _, c := range []struct{ module, name string }{
		{TraefikModule, "ingressroutes.traefik.io"},
		{TraefikModule, "traefikservices.traefik.io"},
		{TraefikV2Module, "ingressroutes.traefik.containo.us"},
	} {
		f, err := ExtractCRD(c.module, traefikCRDFile, c.name)
		if err != nil {
			return nil, err
		}
		traefik = append(traefik, f)
	}
	envoyGateway, err := ModuleDir(EnvoyGatewayModule)
	if err != nil {
		return nil, err
	}
	envoyCRDs := filepath.Join(envoyGateway, "charts", "gateway-helm", "charts", "crds", "crds", "generated")
	standard := filepath.Join(gateway, "config", "crd", "standard")
	return append([]string{
		filepath.Join(istio, "kubernetes", "customresourcedefinitions.gen.yaml"),
		filepath.Join(standard, "gateway.networking.k8s.io_httproutes.yaml"),
		// NGINX Gateway Fabric's rule tells a route's implementation by its Gateway's class.
		filepath.Join(standard, "gateway.networking.k8s.io_gateways.yaml"),
		filepath.Join(standard, "gateway.networking.k8s.io_gatewayclasses.yaml"),
		httpProxy,
		filepath.Join(envoyCRDs, "gateway.envoyproxy.io_backendtrafficpolicies.yaml"),
		filepath.Join(envoyCRDs, "gateway.envoyproxy.io_clienttrafficpolicies.yaml"),
		LinkerdServerCRD(),
		EmissaryMappingCRD(),
	}, traefik...), nil
}

// ContourHTTPProxyCRD returns a file holding Contour's HTTPProxy CRD exactly as Contour publishes
// it in examples/contour/01-crds.yaml. That file also holds four CRDs no rule reads (one of them,
// ContourDeployment, embeds whole pod specs), so only the HTTPProxy document is copied out, to
// keep the API server's start short.
func ContourHTTPProxyCRD() (string, error) {
	return ExtractCRD(ContourModule, "examples/contour/01-crds.yaml", "httpproxies.projectcontour.io")
}

// ExtractCRD returns a file holding the CRD named name, exactly as published in file of the
// module (a YAML stream of several CRDs), for CRD files that hold many the rules never read.
func ExtractCRD(moduleAtVersion, file, name string) (string, error) {
	dir, err := ModuleDir(moduleAtVersion)
	if err != nil {
		return "", err
	}
	src := filepath.Join(dir, filepath.FromSlash(file))
	all, err := os.ReadFile(src)
	if err != nil {
		return "", err
	}
	var doc []byte
	for d := range bytes.SplitSeq(all, []byte("\n---\n")) {
		if bytes.Contains(d, []byte("\n  name: "+name+"\n")) {
			doc = d
			break
		}
	}
	if doc == nil {
		return "", fmt.Errorf("%s holds no CRD %s", src, name)
	}
	out := filepath.Join(os.TempDir(), "wsguard-crds", strings.ReplaceAll(moduleAtVersion, "/", "_")+"-"+name+".yaml")
	if existing, err := os.ReadFile(out); err == nil && bytes.Equal(existing, doc) {
		return out, nil
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return "", err
	}
	// Test packages run in parallel: write aside and rename, so no one reads half a file.
	tmp, err := os.CreateTemp(filepath.Dir(out), name+"-*.yaml")
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(doc); err != nil {
		tmp.Close()
		return "", err
	}
	if err := tmp.Close(); err != nil {
		return "", err
	}
	return out, os.Rename(tmp.Name(), out)
}

// LinkerdServerCRD is the path of the repository's minimal Linkerd Server CRD.
func LinkerdServerCRD() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "crds", "linkerd-servers.yaml")
}

// EmissaryMappingCRD is the path of the repository's minimal Emissary Mapping CRD.
func EmissaryMappingCRD() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "crds", "emissary-mappings.yaml")
}

// ModuleDir downloads module@version through the Go module proxy (once; later calls hit the
// module cache) and returns the folder it was unpacked in.
func ModuleDir(moduleAtVersion string) (string, error) {
	cmd := exec.Command("go", "mod", "download", "-json", moduleAtVersion)
	// Outside any module, so that the download never touches wsguard's go.mod or go.sum.
	cmd.Dir = os.TempDir()
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("downloading %s through the Go module proxy: %v: %s%s", moduleAtVersion, err, stderr.String(), stdout.String())
	}
	var info struct{ Dir, Error string }
	if err := json.Unmarshal(stdout.Bytes(), &info); err != nil {
		return "", fmt.Errorf("reading `go mod download` output for %s: %w", moduleAtVersion, err)
	}
	if info.Error != "" || info.Dir == "" {
		return "", fmt.Errorf("downloading %s: %s", moduleAtVersion, info.Error)
	}
	return info.Dir, nil
}
