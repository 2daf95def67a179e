{{/* Name of the release's objects: the release name, plus the chart name unless the release already contains it. */}}
{{- define "tp.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "tp.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: trading-platform
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "tp.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "tp.secretName" -}}
{{- .Values.secrets.existingSecret | default (printf "%s-secrets" (include "tp.fullname" .)) -}}
{{- end -}}

{{- define "tp.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) -}}
{{- end -}}

{{/* libpq connection string without the password (that comes from the Secret). */}}
{{- define "tp.dbConnection" -}}
{{- with .Values.postgres -}}
host={{ .host }} port={{ .port }} user={{ .user }} dbname={{ .database }} sslmode={{ .sslmode }}
{{- end -}}
{{- end -}}


{{/* A service's JSON config: services.<name>.config, or files/config/<name>.json. Args: (list $ name svc). */}}
{{- define "tp.serviceConfig" -}}
{{- $root := index . 0 -}}{{- $name := index . 1 -}}{{- $svc := index . 2 -}}
{{- if $svc.config -}}
{{- toPrettyJson $svc.config -}}
{{- else -}}
{{- $root.Files.Get (printf "files/config/%s.json" $name) | required (printf "files/config/%s.json is missing from the chart" $name) | trim -}}
{{- end -}}
{{- end -}}
