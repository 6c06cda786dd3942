package defaults

import (
	_ "embed"
	"fmt"
	"strings"

	"sigs.k8s.io/yaml"
)

// KnownApp is a widely deployed application whose web UI or API uses WebSockets: a workload
// running one of its images is WebSocket on its ports. The built-in catalog is apps.yaml, each
// entry citing the application's code or docs; the policy file adds a team's own (knownApps).
type KnownApp struct {
	// Name is the application's name, for messages.
	Name string `json:"name"`
	// Images are image repositories, without tag or digest ("grafana/grafana",
	// "ghcr.io/home-assistant/home-assistant"). A registry host is ignored when matching, and a
	// mirror that prefixes the path ("mirror.example.com/dockerhub/grafana/grafana") matches too.
	Images []string `json:"images"`
	// Ports are the container ports that carry WebSocket traffic.
	Ports []int32 `json:"ports"`
	// Paths are the application's WebSocket paths, where known (documentation only).
	Paths []string `json:"paths,omitempty"`
	// Source cites where the application says it serves WebSockets.
	Source *AppSource `json:"source,omitempty"`
	// Why says in one sentence how the application uses WebSockets.
	Why string `json:"why,omitempty"`
}

// AppSource cites a repository file.
type AppSource struct {
	Repo   string `json:"repo"`
	Path   string `json:"path"`
	Commit string `json:"commit,omitempty"`
}

//go:embed apps.yaml
var appsYAML []byte

// builtinApps is the shipped catalog, indexed by image path; it never changes after start.
var builtinApps = mustIndexApps(appsYAML)

// KnownApps returns the built-in catalog, sorted by name.
func KnownApps() []KnownApp {
	return builtinApps.apps
}

type appIndex struct {
	apps    []KnownApp
	byImage map[string]*KnownApp
}

func mustIndexApps(data []byte) appIndex {
	var file struct {
		Apps []KnownApp `json:"apps"`
	}
	if err := yaml.UnmarshalStrict(data, &file); err != nil {
		panic(fmt.Sprintf("defaults/apps.yaml: %v", err))
	}
	x := appIndex{apps: file.Apps, byImage: map[string]*KnownApp{}}
	for i := range x.apps {
		if err := validateApp(x.apps[i]); err != nil {
			panic(fmt.Sprintf("defaults/apps.yaml: %v", err))
		}
		for _, img := range x.apps[i].Images {
			x.byImage[imagePath(img)] = &x.apps[i]
		}
	}
	return x
}

func validateApp(a KnownApp) error {
	if a.Name == "" || len(a.Images) == 0 || len(a.Ports) == 0 {
		return fmt.Errorf("app %q needs a name, images and ports", a.Name)
	}
	for _, p := range a.Ports {
		if p < 1 || p > 65535 {
			return fmt.Errorf("app %q: port %d is out of range", a.Name, p)
		}
	}
	for _, img := range a.Images {
		if imagePath(img) == "" {
			return fmt.Errorf("app %q: image %q names no repository", a.Name, img)
		}
	}
	return nil
}

// knownApp returns the application a container image runs: first the policy's apps, then the
// built-in catalog.
func (p Policy) knownApp(image string) (*KnownApp, bool) {
	path := imagePath(image)
	if path == "" {
		return nil, false
	}
	for i := range p.KnownApps {
		for _, img := range p.KnownApps[i].Images {
			if matchesImagePath(path, imagePath(img)) {
				return &p.KnownApps[i], true
			}
		}
	}
	// The path and each of its suffixes at a '/', so that mirrors that prefix the path match.
	for s := path; ; {
		if a, ok := builtinApps.byImage[s]; ok {
			return a, true
		}
		i := strings.IndexByte(s, '/')
		if i < 0 {
			return nil, false
		}
		s = s[i+1:]
	}
}

// matchesImagePath reports whether an image path is want, or want under a mirror's prefix.
func matchesImagePath(path, want string) bool {
	return path == want || strings.HasSuffix(path, "/"+want)
}

// imagePath reduces an image reference to its repository path: lower case, without tag or
// digest, without a registry host (a first component with a '.' or ':', or "localhost") and
// without Docker Hub's "library/". "docker.io/library/nginx:1.27@sha256:..." becomes "nginx".
func imagePath(image string) string {
	s := strings.ToLower(strings.TrimSpace(image))
	if i := strings.IndexByte(s, '@'); i >= 0 {
		s = s[:i]
	}
	if i := strings.LastIndexByte(s, ':'); i >= 0 && !strings.Contains(s[i:], "/") {
		s = s[:i]
	}
	if i := strings.IndexByte(s, '/'); i >= 0 {
		if first := s[:i]; strings.ContainsAny(first, ".:") || first == "localhost" {
			s = s[i+1:]
		}
	}
	return strings.TrimPrefix(s, "library/")
}

func (a *KnownApp) portsText() string {
	ports := make([]string, len(a.Ports))
	for i, p := range a.Ports {
		ports[i] = fmt.Sprint(p)
	}
	return strings.Join(ports, ", ")
}

func (a *KnownApp) serves(port int32) bool {
	for _, p := range a.Ports {
		if p == port {
			return true
		}
	}
	return false
}
