package defaults

import apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"

// VirtualServiceCRDName is the CRD whose schema decides Facts.WebsocketUpgradeInSchema.
const VirtualServiceCRDName = "virtualservices.networking.istio.io"

// WebsocketUpgradeInSchema reports whether a VirtualService CRD keeps http[].websocketUpgrade in
// the given version: the field is in its schema, or unknown fields are preserved there. The
// webhook reads the CRD from the API server, the CLI from its input; both fill
// Facts.WebsocketUpgradeInSchema with this.
func WebsocketUpgradeInSchema(crd *apiextensionsv1.CustomResourceDefinition, version string) bool {
	for _, v := range crd.Spec.Versions {
		if v.Name != version || v.Schema == nil || v.Schema.OpenAPIV3Schema == nil {
			continue
		}
		spec, ok := v.Schema.OpenAPIV3Schema.Properties["spec"]
		if !ok {
			return false
		}
		if preservesUnknownFields(&spec) {
			return true
		}
		http, ok := spec.Properties["http"]
		if !ok || http.Items == nil || http.Items.Schema == nil {
			return false
		}
		route := http.Items.Schema
		_, has := route.Properties["websocketUpgrade"]
		return has || preservesUnknownFields(route)
	}
	return false
}

func preservesUnknownFields(s *apiextensionsv1.JSONSchemaProps) bool {
	return s.XPreserveUnknownFields != nil && *s.XPreserveUnknownFields
}
