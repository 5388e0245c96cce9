{{- define "stoa.labels" -}}
app.kubernetes.io/name: stoa
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end }}

{{- define "stoa.selector" -}}
app.kubernetes.io/name: stoa
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "stoa.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag }}
{{- end }}

{{/* The pod's security context: non-root, RuntimeDefault seccomp. */}}
{{- define "stoa.podSecurity" -}}
runAsNonRoot: true
runAsUser: 65532
runAsGroup: 65532
fsGroup: 65532
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/* The container's: read-only root filesystem, no capabilities, no escalation. */}}
{{- define "stoa.containerSecurity" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop: ["ALL"]
{{- end }}

{{/* The secrets of an external install, from the existing Secret. */}}
{{- define "stoa.secretEnv" -}}
{{- $s := .Values.external.existingSecret }}
{{- range $var, $key := dict "STOA_DATABASE_URL" "database-url" "STOA_STORAGE__MASTER_KEY" "master-key" "STOA_AUDIT__ANCHOR_KEY" "audit-anchor-key" "STOA_OPERATOR__TOKEN" "operator-token" "STOA_STORAGE__S3__ACCESS_KEY" "s3-access-key" "STOA_STORAGE__S3__SECRET_KEY" "s3-secret-key" "STOA_SEARCH__MEILI_API_KEY" "meili-api-key" }}
- name: {{ $var }}
  valueFrom:
    secretKeyRef:
      name: {{ $s }}
      key: {{ $key }}
{{- end }}
{{- end }}
