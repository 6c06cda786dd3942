// Command gen-manifests writes every generated install file: the webhook configurations and
// ClusterRole of the kustomize config (config/) and the data the Helm chart (charts/wsguard/)
// builds its own from, all from package webhooks, so that config/, the chart and the code never
// disagree. `make manifests` runs it from the repository root; its test fails when a checked-in
// file is out of date.
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/wsguard/wsguard/webhooks"
)

// The Grafana dashboard is written by hand in the chart; kustomize cannot read files outside
// config/, so config/grafana/ gets a copy.
const (
	dashboardSource = "charts/wsguard/files/dashboard.json"
	dashboardCopy   = "config/grafana/dashboard.json"
)

func main() {
	files, err := generatedFiles(".")
	if err == nil {
		for _, f := range files {
			if err = os.WriteFile(f.Path, f.Data, 0o644); err != nil {
				break
			}
			fmt.Println("wrote", f.Path)
		}
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "gen-manifests: %v\n", err)
		os.Exit(1)
	}
}

// generatedFiles returns every file the generator writes, with paths relative to root.
func generatedFiles(root string) ([]webhooks.GeneratedFile, error) {
	files, err := webhooks.GeneratedFiles()
	if err != nil {
		return nil, err
	}
	dashboard, err := os.ReadFile(filepath.Join(root, dashboardSource))
	if err != nil {
		return nil, err
	}
	files = append(files, webhooks.GeneratedFile{Path: dashboardCopy, Data: dashboard})
	for i := range files {
		files[i].Path = filepath.Join(root, files[i].Path)
	}
	return files, nil
}
