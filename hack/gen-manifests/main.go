// Command gen-manifests writes every generated install file: the webhook configurations and
// ClusterRole of the kustomize config (config/) and the data the Helm chart (charts/wsguard/)
// builds its own from, all from package webhooks, and the chart's and config/'s copies of the
// OpenReports Report CRD, taken from its Go module, so that config/, the chart and the code never
// disagree. `make manifests` runs it from the repository root; its test fails when a checked-in
// file is out of date.
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/wsguard/wsguard/internal/testenv"
	"github.com/wsguard/wsguard/webhooks"
)

// The Grafana dashboard is written by hand in the chart; kustomize cannot read files outside
// config/, so config/grafana/ gets a copy.
const (
	dashboardSource = "charts/wsguard/files/dashboard.json"
	dashboardCopy   = "config/grafana/dashboard.json"
)

// The OpenReports Report CRD the chart (reports.installCRD) and config/reports-crd install is
// copied from the module whose Go types the audit writes (testenv.ReportsAPIModule), unchanged.
var reportsCRDCopies = []string{
	"charts/wsguard/files/crds/openreports.io_reports.yaml",
	"config/reports-crd/openreports.io_reports.yaml",
}

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
	crdPath, err := testenv.ReportsCRD()
	if err != nil {
		return nil, err
	}
	crd, err := os.ReadFile(crdPath)
	if err != nil {
		return nil, err
	}
	for _, p := range reportsCRDCopies {
		files = append(files, webhooks.GeneratedFile{Path: p, Data: crd})
	}
	for i := range files {
		files[i].Path = filepath.Join(root, files[i].Path)
	}
	return files, nil
}
