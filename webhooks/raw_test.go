package webhooks_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	admissionv1 "k8s.io/api/admission/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"

	"github.com/wsguard/wsguard/webhooks"
)

// These specs talk to the webhook server directly, as the API server would, to send what the
// API server never sends: malformed bodies, wrong kinds, huge objects.
var _ = Describe("The webhook server", func() {
	var ns string
	deploymentKind := metav1.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"}
	mutatePath := webhooks.ServedKinds()[0].MutatePath()

	BeforeEach(func() {
		ns = uniqueName("raw")
		Expect(env.CreateNamespace(context.Background(), ns, true, nil)).To(Succeed())
	})

	review := func(op admissionv1.Operation, kind metav1.GroupVersionKind, raw []byte) []byte {
		r := admissionv1.AdmissionReview{
			TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"},
			Request: &admissionv1.AdmissionRequest{
				UID: types.UID("test-uid"), Kind: kind, Operation: op, Namespace: ns, Name: "x",
				Object: runtime.RawExtension{Raw: raw},
			},
		}
		b, err := json.Marshal(r)
		Expect(err).NotTo(HaveOccurred())
		return b
	}
	post := func(path string, body []byte) (int, *admissionv1.AdmissionResponse) {
		resp, err := webhookHTTPClient().Post(webhookURL+path, "application/json", bytes.NewReader(body))
		Expect(err).NotTo(HaveOccurred())
		defer resp.Body.Close()
		data, err := io.ReadAll(resp.Body)
		Expect(err).NotTo(HaveOccurred())
		var out admissionv1.AdmissionReview
		if json.Unmarshal(data, &out) != nil || out.Response == nil {
			return resp.StatusCode, nil
		}
		return resp.StatusCode, out.Response
	}
	deploymentJSON := func(d *appsv1.Deployment) []byte {
		d.TypeMeta = metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"}
		b, err := json.Marshal(d)
		Expect(err).NotTo(HaveOccurred())
		return b
	}

	It("answers a malformed body with a clear bad-request response", func() {
		_, resp := post(mutatePath, []byte(`{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {`))
		Expect(resp).NotTo(BeNil())
		Expect(resp.Allowed).To(BeFalse())
		Expect(resp.Result.Code).To(BeEquivalentTo(http.StatusBadRequest))
	})

	It("answers an object that is not JSON with a bad-request response", func() {
		_, resp := post(mutatePath, review(admissionv1.Create, deploymentKind, []byte(`"just a string"`)))
		Expect(resp.Allowed).To(BeFalse())
		Expect(resp.Result.Code).To(BeEquivalentTo(http.StatusBadRequest))
		Expect(resp.Result.Message).To(ContainSubstring("not valid JSON"))
	})

	It("refuses a kind the path does not serve", func() {
		svc := []byte(`{"apiVersion":"v1","kind":"Service","metadata":{"name":"x"}}`)
		_, resp := post(mutatePath, review(admissionv1.Create, metav1.GroupVersionKind{Version: "v1", Kind: "Service"}, svc))
		Expect(resp.Allowed).To(BeFalse())
		Expect(resp.Result.Code).To(BeEquivalentTo(http.StatusBadRequest))
		Expect(resp.Result.Message).To(ContainSubstring("serves Deployment.apps, not Service"))
	})

	It("refuses a request without an object", func() {
		_, resp := post(mutatePath, review(admissionv1.Create, deploymentKind, nil))
		Expect(resp.Allowed).To(BeFalse())
		Expect(resp.Result.Code).To(BeEquivalentTo(http.StatusBadRequest))
		Expect(resp.Result.Message).To(ContainSubstring("no object"))
	})

	It("lets DELETE through untouched", func() {
		_, resp := post(mutatePath, review(admissionv1.Delete, deploymentKind, nil))
		Expect(resp.Allowed).To(BeTrue())
		Expect(resp.Patch).To(BeEmpty())
	})

	It("patches a 3 MiB object like any other", func() {
		d := deployment(ns, "huge", "websocket")
		// Environment variables are the usual way an object gets big.
		big := strings.Repeat("x", 1024)
		for i := range 3 * 1024 {
			d.Spec.Template.Spec.Containers[0].Env = append(d.Spec.Template.Spec.Containers[0].Env, corev1.EnvVar{Name: fmt.Sprintf("V%d", i), Value: big})
		}
		raw := deploymentJSON(d)
		Expect(len(raw)).To(BeNumerically(">", 3<<20))
		_, resp := post(mutatePath, review(admissionv1.Create, deploymentKind, raw))
		Expect(resp.Allowed).To(BeTrue())
		Expect(string(resp.Patch)).To(ContainSubstring(`"/spec/template/spec/containers/0/lifecycle"`))
	})

	It("reports readiness, liveness and per-rule metrics", func() {
		for _, path := range []string{"/readyz", "/healthz"} {
			resp, err := http.Get(probeURL + path)
			Expect(err).NotTo(HaveOccurred())
			resp.Body.Close()
			Expect(resp.StatusCode).To(Equal(http.StatusOK), path)
		}
		_, _ = post(mutatePath, review(admissionv1.Create, deploymentKind, deploymentJSON(deployment(ns, "m", "websocket"))))
		resp, err := http.Get(metricsURL + "/metrics")
		Expect(err).NotTo(HaveOccurred())
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		Expect(string(body)).To(SatisfyAll(
			ContainSubstring(`wsguard_rule_results_total{outcome="defaulted",rule="deployment-prestop-sleep"}`),
			ContainSubstring(`wsguard_admission_duration_seconds_bucket{kind="Deployment",result="patched",webhook="mutate"`),
		))
	})

	It("does not speak HTTP/2 unless asked to", func() {
		resp, err := webhookHTTPClient().Get(webhookURL + "/readyz-does-not-exist")
		Expect(err).NotTo(HaveOccurred())
		resp.Body.Close()
		Expect(resp.Proto).To(Equal("HTTP/1.1"))
	})
})
