package webhooks_test

import (
	"context"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/client-go/rest"

	"github.com/wsguard/wsguard/server"
)

var _ = Describe("Starting wsguard", func() {
	It("stops at once, naming the permission, when its account may not read what it caches", func() {
		cfg := rest.CopyConfig(env.Config)
		cfg.Impersonate = rest.ImpersonationConfig{UserName: "no-rbac-at-all"}
		log, err := server.NewLogger("error", "console")
		Expect(err).NotTo(HaveOccurred())
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		opts := server.Options{WebhookPort: 1, CertDir: GinkgoT().TempDir(), CertName: "tls.crt", KeyName: "tls.key",
			TLSMinVersion: "1.2", MetricsAddr: "0", HealthProbeAddr: "0", ShutdownTimeout: "1s"}
		err = server.Run(ctx, cfg, opts, log)
		Expect(err).To(MatchError(SatisfyAll(ContainSubstring("may not list Namespace"), ContainSubstring("get, list and watch"))))
		Expect(ctx.Err()).NotTo(HaveOccurred(), "Run must return before its context ends")
	})
})
