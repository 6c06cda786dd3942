package server

import (
	"context"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
)

// checkReadAccess lists one object of every type wsguard caches, straight from the API server.
// Without it, missing RBAC shows only as informers that never sync: no log line, and a pod that
// stays unready for no visible reason. With it, wsguard stops at start and says what is missing.
func checkReadAccess(ctx context.Context, reader client.Reader, scheme *runtime.Scheme, objs []client.Object) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for _, obj := range objs {
		gvk, err := apiutil.GVKForObject(obj, scheme)
		if err != nil {
			return err
		}
		list := &metav1.PartialObjectMetadataList{}
		list.SetGroupVersionKind(gvk.GroupVersion().WithKind(gvk.Kind + "List"))
		err = reader.List(ctx, list, client.Limit(1))
		switch {
		case err == nil:
		case apierrors.IsForbidden(err):
			return fmt.Errorf("wsguard may not list %s (%s): give its service account get, list and watch on them (the chart's and config/rbac's ClusterRole do): %w", gvk.Kind, gvk.GroupVersion(), err)
		default:
			return fmt.Errorf("listing %s (%s) from the API server: %w", gvk.Kind, gvk.GroupVersion(), err)
		}
	}
	return nil
}
