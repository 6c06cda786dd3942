package install

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	cmapi "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	cmmeta "github.com/cert-manager/cert-manager/pkg/apis/meta/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// projectSecret writes a Secret's data into dir the way the kubelet updates a Secret volume:
// the files go into a fresh folder, and one rename of the ..data symlink switches every file at
// once, so that a reader never pairs a new certificate with an old key.
func projectSecret(dir string, data map[string][]byte) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	version := ".." + strconv.FormatInt(time.Now().UnixNano(), 10)
	if err := os.Mkdir(filepath.Join(dir, version), 0o700); err != nil {
		return err
	}
	for key, value := range data {
		if err := os.WriteFile(filepath.Join(dir, version, key), value, 0o400); err != nil {
			return err
		}
	}
	previous, _ := os.Readlink(filepath.Join(dir, "..data"))
	if err := os.Symlink(version, filepath.Join(dir, "..data_tmp")); err != nil {
		return err
	}
	if err := os.Rename(filepath.Join(dir, "..data_tmp"), filepath.Join(dir, "..data")); err != nil {
		return err
	}
	for key := range data {
		link := filepath.Join(dir, key)
		if _, err := os.Lstat(link); os.IsNotExist(err) {
			if err := os.Symlink(filepath.Join("..data", key), link); err != nil {
				return err
			}
		}
	}
	if previous != "" {
		return os.RemoveAll(filepath.Join(dir, previous))
	}
	return nil
}

// secretData reads a Secret's data.
func secretData(ctx context.Context, namespace, name string) (map[string][]byte, error) {
	s := &corev1.Secret{}
	if err := k8s.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, s); err != nil {
		return nil, err
	}
	return s.Data, nil
}

// certificateReady reports whether cert-manager has issued the Certificate for its current spec.
func certificateReady(ctx context.Context, namespace, name string) (bool, error) {
	c := &cmapi.Certificate{}
	if err := k8s.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, c); err != nil {
		return false, err
	}
	for _, cond := range c.Status.Conditions {
		if cond.Type == cmapi.CertificateConditionReady {
			return cond.Status == cmmeta.ConditionTrue && cond.ObservedGeneration == c.Generation, nil
		}
	}
	return false, nil
}

// renewCertificate asks cert-manager to issue the Certificate again now, the way
// `cmctl renew` does: by setting its Issuing condition.
func renewCertificate(ctx context.Context, namespace, name string) error {
	c := &cmapi.Certificate{}
	if err := k8s.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, c); err != nil {
		return err
	}
	c.Status.Conditions = append(c.Status.Conditions, cmapi.CertificateCondition{
		Type: cmapi.CertificateConditionIssuing, Status: cmmeta.ConditionTrue, Reason: "ManuallyTriggered",
		Message: "renewed by the wsguard install suite", LastTransitionTime: &metav1.Time{Time: time.Now()},
		ObservedGeneration: c.Generation,
	})
	return k8s.Status().Update(ctx, c)
}

// parseCertificate decodes the first PEM certificate in data.
func parseCertificate(data []byte) (*x509.Certificate, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("no PEM certificate in %q", data)
	}
	return x509.ParseCertificate(block.Bytes)
}

// verifyServing checks that a serving certificate is valid for host and signed by the CA.
func verifyServing(certPEM, caPEM []byte, host string) error {
	leaf, err := parseCertificate(certPEM)
	if err != nil {
		return err
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(caPEM) {
		return fmt.Errorf("no CA certificate in %q", caPEM)
	}
	_, err = leaf.Verify(x509.VerifyOptions{DNSName: host, Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
	return err
}

// servedCertificate returns the certificate the server at 127.0.0.1:port presents, verified
// against caPEM the way the API server verifies it.
func servedCertificate(port int, caPEM []byte) ([]byte, error) {
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(caPEM)
	dialer := &net.Dialer{Timeout: 5 * time.Second}
	conn, err := tls.DialWithDialer(dialer, "tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
		&tls.Config{RootCAs: roots, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12})
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: conn.ConnectionState().PeerCertificates[0].Raw}), nil
}

// samePEM compares two PEM certificates by content.
func samePEM(a, b []byte) bool {
	ca, errA := parseCertificate(a)
	cb, errB := parseCertificate(b)
	return errA == nil && errB == nil && bytes.Equal(ca.Raw, cb.Raw)
}
