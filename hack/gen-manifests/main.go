// Command gen-manifests writes config/webhook/manifests.yaml from the webhook configurations
// built in package webhooks, so that the kustomize config and the code never disagree.
package main

import (
	"fmt"
	"os"

	"github.com/wsguard/wsguard/webhooks"
)

const out = "config/webhook/manifests.yaml"

func main() {
	data, err := webhooks.RenderManifests(webhooks.DefaultConfigurationOptions())
	if err == nil {
		err = os.WriteFile(out, data, 0o644)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "gen-manifests: %v\n", err)
		os.Exit(1)
	}
	fmt.Println("wrote", out)
}
