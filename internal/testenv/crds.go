package testenv

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
)

// Upstream modules whose CRDs the tests install, so that the real schemas and CEL rules judge
// every object wsguard changes. They are read from the module cache, never imported, so they
// stay out of wsguard's dependency graph.
const (
	IstioAPIModule   = "istio.io/api@v1.31.1"
	GatewayAPIModule = "sigs.k8s.io/gateway-api@v1.6.3"
)

// MeshCRDs returns the CRD files for the mesh and Gateway API rules: Istio's (all of
// networking.istio.io and friends), Gateway API's HTTPRoute (standard channel) and the minimal
// Linkerd Server CRD kept in this repository (see the note in that file).
func MeshCRDs() ([]string, error) {
	istio, err := ModuleDir(IstioAPIModule)
	if err != nil {
		return nil, err
	}
	gateway, err := ModuleDir(GatewayAPIModule)
	if err != nil {
		return nil, err
	}
	return []string{
		filepath.Join(istio, "kubernetes", "customresourcedefinitions.gen.yaml"),
		filepath.Join(gateway, "config", "crd", "standard", "gateway.networking.k8s.io_httproutes.yaml"),
		LinkerdServerCRD(),
	}, nil
}

// LinkerdServerCRD is the path of the repository's minimal Linkerd Server CRD.
func LinkerdServerCRD() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "crds", "linkerd-servers.yaml")
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
