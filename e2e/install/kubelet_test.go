package install

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// There is no kubelet in the suite: these read the Deployment the way the kubelet would and
// check each reference it holds (volumes, ports, probes, environment, service account), so that
// the process the suite starts runs exactly what a pod would.

// kubeletView is what the kubelet would take from the Deployment and hand to the container.
type kubeletView struct {
	deployment *appsv1.Deployment
	container  corev1.Container
	// volumes by mount path
	mounts map[string]corev1.Volume
}

func readDeployment(ctx context.Context, namespace, name string) (*kubeletView, error) {
	d := &appsv1.Deployment{}
	if err := k8s.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, d); err != nil {
		return nil, err
	}
	pod := d.Spec.Template.Spec
	if len(pod.Containers) != 1 {
		return nil, fmt.Errorf("the Deployment has %d containers, want 1", len(pod.Containers))
	}
	v := &kubeletView{deployment: d, container: pod.Containers[0], mounts: map[string]corev1.Volume{}}
	for _, m := range v.container.VolumeMounts {
		i := slices.IndexFunc(pod.Volumes, func(vol corev1.Volume) bool { return vol.Name == m.Name })
		if i < 0 {
			return nil, fmt.Errorf("volumeMount %s names no volume", m.Name)
		}
		v.mounts[m.MountPath] = pod.Volumes[i]
	}
	return v, nil
}

// containerPort returns the number of the container port with the given name.
func (v *kubeletView) containerPort(name string) (int, error) {
	for _, p := range v.container.Ports {
		if p.Name == name {
			return int(p.ContainerPort), nil
		}
	}
	return 0, fmt.Errorf("the container has no port named %q", name)
}

// expectPort checks that a port number in an argument is the container port of that name,
// which the Services and probes refer to by name.
func (v *kubeletView) expectPort(value, name string) error {
	want, err := v.containerPort(name)
	if err != nil {
		return err
	}
	if value != strconv.Itoa(want) {
		return fmt.Errorf("wsguard would listen on %s, but container port %q is %d", value, name, want)
	}
	return nil
}

// probeURLs checks that both probes call the probe port, and returns their URLs on addr.
func (v *kubeletView) probeURLs(addr string) (ready, live string, err error) {
	for _, probe := range []*corev1.Probe{v.container.ReadinessProbe, v.container.LivenessProbe} {
		if probe == nil || probe.HTTPGet == nil || probe.HTTPGet.Port.String() != "probes" {
			return "", "", fmt.Errorf("want HTTP readiness and liveness probes on port \"probes\", got %+v", probe)
		}
	}
	return "http://" + addr + v.container.ReadinessProbe.HTTPGet.Path, "http://" + addr + v.container.LivenessProbe.HTTPGet.Path, nil
}

// configFile checks that path is a key of the ConfigMap mounted at its folder and writes that
// key's content into dir, as the kubelet would.
func (v *kubeletView) configFile(ctx context.Context, namespace, path, dir string) (string, error) {
	vol, ok := v.mounts[filepath.Dir(path)]
	if !ok || vol.ConfigMap == nil {
		return "", fmt.Errorf("--config %s is not in a mounted ConfigMap", path)
	}
	cm := &corev1.ConfigMap{}
	if err := k8s.Get(ctx, client.ObjectKey{Namespace: namespace, Name: vol.ConfigMap.Name}, cm); err != nil {
		return "", fmt.Errorf("--config: %w", err)
	}
	data, ok := cm.Data[filepath.Base(path)]
	if !ok {
		return "", fmt.Errorf("--config %s: ConfigMap %s has no key %s", path, cm.Name, filepath.Base(path))
	}
	file := filepath.Join(dir, filepath.Base(path))
	return file, os.WriteFile(file, []byte(data), 0o600)
}

// environment resolves the container's environment as the kubelet would; only the downward
// API fields the chart uses are known.
func (v *kubeletView) environment(namespace string) ([]string, error) {
	var out []string
	for _, e := range v.container.Env {
		switch {
		case e.ValueFrom == nil:
			out = append(out, e.Name+"="+e.Value)
		case e.ValueFrom.FieldRef != nil && e.ValueFrom.FieldRef.FieldPath == "metadata.namespace":
			out = append(out, e.Name+"="+namespace)
		default:
			return nil, fmt.Errorf("env %s: the test does not know how to resolve %+v", e.Name, e.ValueFrom)
		}
	}
	return out, nil
}

// serviceAccountKubeconfig writes a kubeconfig that authenticates with a fresh token of the
// service account, as the kubelet mounts one into the pod.
func serviceAccountKubeconfig(ctx context.Context, namespace, name, path string) error {
	token, err := serviceAccountToken(ctx, namespace, name)
	if err != nil {
		return err
	}
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["envtest"] = &clientcmdapi.Cluster{Server: env.Config.Host, CertificateAuthorityData: env.Config.CAData}
	cfg.AuthInfos[name] = &clientcmdapi.AuthInfo{Token: token}
	cfg.Contexts["wsguard"] = &clientcmdapi.Context{Cluster: "envtest", AuthInfo: name, Namespace: namespace}
	cfg.CurrentContext = "wsguard"
	return clientcmd.WriteToFile(*cfg, path)
}

// serviceAccountToken returns an hour-long token of the service account, as the kubelet
// projects one.
func serviceAccountToken(ctx context.Context, namespace, name string) (string, error) {
	cs, err := kubernetes.NewForConfig(env.Config)
	if err != nil {
		return "", err
	}
	token, err := cs.CoreV1().ServiceAccounts(namespace).CreateToken(ctx, name,
		&authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](3600)}}, metav1.CreateOptions{})
	if err != nil {
		return "", fmt.Errorf("a token for service account %s/%s: %w", namespace, name, err)
	}
	return token.Status.Token, nil
}
