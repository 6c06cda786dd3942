{{/*
Names. The fullname is the release name when it already contains the chart name (so
`helm install wsguard` gives "wsguard"), otherwise "<release>-wsguard". Cluster-scoped objects
(the webhook configurations, the ClusterRole) carry it, so two releases never collide.
*/}}
{{- define "wsguard.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "wsguard.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "wsguard.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The Service the API server calls; its DNS names are on the serving certificate. */}}
{{- define "wsguard.webhookServiceName" -}}
{{- include "wsguard.fullname" . | trunc 55 | trimSuffix "-" }}-webhook
{{- end }}

{{- define "wsguard.metricsServiceName" -}}
{{- include "wsguard.fullname" . | trunc 55 | trimSuffix "-" }}-metrics
{{- end }}

{{- define "wsguard.serviceAccountName" -}}
{{- default (include "wsguard.fullname" .) .Values.serviceAccount.name }}
{{- end }}

{{/* The cert-manager Certificate whose Secret holds the serving certificate and its CA. */}}
{{- define "wsguard.servingCertificateName" -}}
{{- include "wsguard.fullname" . | trunc 50 | trimSuffix "-" }}-serving-cert
{{- end }}

{{- define "wsguard.servingSecretName" -}}
{{- if .Values.certManager.enabled }}
{{- include "wsguard.servingCertificateName" . }}
{{- else }}
{{- required "tls.existingSecret is required when certManager.enabled is false: name a kubernetes.io/tls Secret holding tls.crt and tls.key" .Values.tls.existingSecret }}
{{- end }}
{{- end }}

{{- define "wsguard.selectorLabels" -}}
app.kubernetes.io/name: {{ include "wsguard.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "wsguard.labels" -}}
helm.sh/chart: {{ include "wsguard.chart" . }}
{{ include "wsguard.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/*
The caBundle for the webhook configurations when cert-manager does not inject it: tls.caBundle
as PEM or as base64 of the PEM (what `kubectl get secret -o jsonpath='{.data.ca\.crt}'` prints).
*/}}
{{- define "wsguard.caBundle" -}}
{{- $ca := required "tls.caBundle is required when certManager.enabled is false: the PEM CA certificate that signed tls.existingSecret" .Values.tls.caBundle }}
{{- if contains "-----BEGIN" $ca }}
{{- $ca | b64enc }}
{{- else }}
{{- $ca | nospace }}
{{- end }}
{{- end }}

{{/*
How the API server reaches wsguard for one handler path: the webhook Service, or webhook.url
for a wsguard running outside the cluster. Called with (dict "root" $ "path" "/mutate/...").
*/}}
{{- define "wsguard.clientConfig" -}}
{{- $values := .root.Values }}
{{- if $values.webhook.url }}
url: {{ printf "%s%s" (trimSuffix "/" $values.webhook.url) .path | quote }}
{{- else }}
service:
  name: {{ include "wsguard.webhookServiceName" .root }}
  namespace: {{ .root.Release.Namespace }}
  path: {{ .path | quote }}
  port: 443
{{- end }}
{{- if not $values.certManager.enabled }}
caBundle: {{ include "wsguard.caBundle" .root }}
{{- end }}
{{- end }}
