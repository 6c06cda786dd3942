package webhooks

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	jsonv2 "github.com/go-json-experiment/json"
	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
)

// reviewServer serves one handler over HTTP. It does what controller-runtime's admission.Webhook
// does (the size limit, the content type, a recovered panic answered as 500 Internal Server
// Error, the response's UID, status code and JSON patch, the AdmissionReview version echoed),
// but decodes the AdmissionReview once, with wireOptions: admission.Webhook reads the body
// through a generic codec that scans it twice to find its kind and twice more to decode it, and
// that was most of the cost of a review of an object that is not WebSocket.
type reviewServer struct {
	handler admission.Handler
}

// maxReviewSize is controller-runtime's limit, 7 MiB: the API server's own request limit is
// 3 MiB, and the review carries the object and its old version.
const maxReviewSize = 7 << 20

// reviewVersions are the AdmissionReview versions the API server may send (the webhook
// configurations ask for v1); the answer is in the request's version.
var reviewVersions = map[string]bool{
	admissionv1.SchemeGroupVersion.String(): true,
	"admission.k8s.io/v1beta1":              true,
}

// wireReview is an AdmissionReview of either version: they have the same fields.
type wireReview struct {
	metav1.TypeMeta `json:",inline"`
	Request         *admissionv1.AdmissionRequest  `json:"request,omitempty"`
	Response        *admissionv1.AdmissionResponse `json:"response,omitempty"`
}

func (s reviewServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	apiVersion := admissionv1.SchemeGroupVersion.String()
	req, err := readReview(r, &apiVersion)
	if err != nil {
		code := http.StatusBadRequest
		if errors.Is(err, errReviewTooLarge) {
			code = http.StatusRequestEntityTooLarge
		}
		writeReview(w, apiVersion, admission.Errored(int32(code), err))
		return
	}
	writeReview(w, apiVersion, s.handle(r.Context(), req))
}

var errReviewTooLarge = fmt.Errorf("request entity is too large; limit is %d bytes", maxReviewSize)

// readReview reads and decodes the request's AdmissionReview, and sets apiVersion to its version.
func readReview(r *http.Request, apiVersion *string) (admission.Request, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return admission.Request{}, errors.New("request body is empty")
	}
	defer r.Body.Close()
	body, err := readBody(r)
	if err != nil {
		return admission.Request{}, err
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		return admission.Request{}, fmt.Errorf("contentType=%s, expected application/json", ct)
	}
	var review wireReview
	if err := jsonv2.Unmarshal(body, &review, wireOptions); err != nil {
		return admission.Request{}, fmt.Errorf("the AdmissionReview is not valid JSON: %w", err)
	}
	if review.APIVersion != "" && !reviewVersions[review.APIVersion] || review.Kind != "" && review.Kind != "AdmissionReview" {
		return admission.Request{}, fmt.Errorf("expected an AdmissionReview of admission.k8s.io/v1 or v1beta1, got %s %s", review.APIVersion, review.Kind)
	}
	if review.APIVersion != "" {
		*apiVersion = review.APIVersion
	}
	if review.Request == nil {
		return admission.Request{}, errors.New("the AdmissionReview has no request")
	}
	return admission.Request{AdmissionRequest: *review.Request}, nil
}

// readBody reads the request body, up to maxReviewSize. The API server sends a Content-Length:
// reading into a buffer of that size spares the copies of a growing one, which were a third of
// the bytes a review that is not WebSocket allocated.
func readBody(r *http.Request) ([]byte, error) {
	size := int64(bytes.MinRead)
	if r.ContentLength > 0 && r.ContentLength <= maxReviewSize {
		size = r.ContentLength + 1 // room to read the end of the body without growing
	}
	body := io.LimitReader(r.Body, maxReviewSize+1)
	buf := make([]byte, 0, size)
	for {
		n, err := body.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("reading the request body: %w", err)
		}
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
	}
	if len(buf) > maxReviewSize {
		return nil, errReviewTooLarge
	}
	return buf, nil
}

// handle runs the handler and completes its answer; a panic is answered as an internal error,
// as admission.Webhook does with WithRecoverPanic(true).
func (s reviewServer) handle(ctx context.Context, req admission.Request) (resp admission.Response) {
	defer func() {
		if r := recover(); r != nil {
			for _, fn := range utilruntime.PanicHandlers {
				fn(ctx, r)
			}
			resp = admission.Errored(http.StatusInternalServerError, fmt.Errorf("panic: %v [recovered]", r))
			resp.UID = req.UID
		}
	}()
	resp = s.handler.Handle(ctx, req)
	if err := resp.Complete(req); err != nil {
		resp = admission.Errored(http.StatusInternalServerError, fmt.Errorf("wsguard: encoding the answer: %w", err))
		resp.UID = req.UID
	}
	return resp
}

// writeReview writes resp as an AdmissionReview of apiVersion.
func writeReview(w http.ResponseWriter, apiVersion string, resp admission.Response) {
	review := wireReview{
		TypeMeta: metav1.TypeMeta{APIVersion: apiVersion, Kind: "AdmissionReview"},
		Response: &resp.AdmissionResponse,
	}
	w.Header().Set("Content-Type", "application/json")
	// A write error is the connection's: the API server has gone, and nobody is left to answer.
	_ = json.NewEncoder(w).Encode(review)
}
