{{/* The chart name, overridable. */}}
{{- define "sipfleet.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* release-chart, or fullnameOverride; the prefix of every resource name. */}}
{{- define "sipfleet.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* A tier's resource name: (dict "root" $ "tier" "edge"). */}}
{{- define "sipfleet.tierName" -}}
{{- printf "%s-%s" (include "sipfleet.fullname" .root | trunc 52 | trimSuffix "-") .tier -}}
{{- end -}}

{{/* Labels on every resource, but the instance (selectorLabels or sipfleet.labels add it). */}}
{{- define "sipfleet.baseLabels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: sipfleet
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end -}}

{{/* Labels of a resource that belongs to no one tier. */}}
{{- define "sipfleet.labels" -}}
{{ include "sipfleet.baseLabels" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/*
A tier's selector labels: app.kubernetes.io/name is sipfleet-<tier>, the `job` the dashboards
group by (docs/observability.md).
*/}}
{{- define "sipfleet.selectorLabels" -}}
app.kubernetes.io/name: sipfleet-{{ .tier }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .tier }}
{{- end -}}

{{/* A tier's full label set. */}}
{{- define "sipfleet.tierLabels" -}}
{{ include "sipfleet.baseLabels" .root }}
{{ include "sipfleet.selectorLabels" . }}
{{- end -}}

{{- define "sipfleet.image" -}}
{{- printf "%s/%s:%s" .root.Values.image.repositoryPrefix .tier (default .root.Chart.AppVersion .root.Values.image.tag) -}}
{{- end -}}

{{- define "sipfleet.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "sipfleet.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "sipfleet.nonceSecretName" -}}
{{- default (printf "%s-nonce" (include "sipfleet.fullname" .)) .Values.nonceSecret.existingSecret -}}
{{- end -}}

{{- define "sipfleet.configMapName" -}}
{{- default (printf "%s-config" (include "sipfleet.fullname" .)) .Values.sipConfig.existingConfigMap -}}
{{- end -}}

{{/* The location replicas as one gRPC target that DNS resolves to every replica (headless Service). */}}
{{- define "sipfleet.locationTarget" -}}
{{- printf "dns:///%s.%s.svc.%s:%d" (include "sipfleet.tierName" (dict "root" . "tier" "location")) .Release.Namespace .Values.clusterDomain (int .Values.location.grpcPort) -}}
{{- end -}}

{{/* Whether a listener needs the edge's certificate. */}}
{{- define "sipfleet.edgeNeedsTls" -}}
{{- if or .Values.edge.transports.tls.enabled .Values.edge.transports.wss.enabled -}}true{{- end -}}
{{- end -}}

{{/* SIPFLEET_LISTEN: every enabled transport on the wildcard address. */}}
{{- define "sipfleet.edgeListen" -}}
{{- $entries := list -}}
{{- range $t := list "udp" "tcp" "tls" "ws" "wss" -}}
{{- $c := index $.Values.edge.transports $t -}}
{{- if $c.enabled -}}{{- $entries = append $entries (printf "%s:0.0.0.0:%d" $t (int $c.port)) -}}{{- end -}}
{{- end -}}
{{- join "," $entries -}}
{{- end -}}

{{/* Container ports of the edge's enabled transports (name, port, protocol). */}}
{{- define "sipfleet.edgePorts" -}}
{{- range $t := list "udp" "tcp" "tls" "ws" "wss" -}}
{{- $c := index $.Values.edge.transports $t -}}
{{- if $c.enabled }}
- name: sip-{{ $t }}
  port: {{ $c.port }}
  protocol: {{ ternary "UDP" "TCP" (eq $t "udp") }}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* REDIS_URL and REDIS_CLUSTER. */}}
{{- define "sipfleet.redisEnv" -}}
- name: REDIS_URL
{{- if .Values.redis.existingSecret }}
  valueFrom:
    secretKeyRef:
      name: {{ .Values.redis.existingSecret }}
      key: {{ .Values.redis.existingSecretKey }}
{{- else }}
  value: {{ .Values.redis.url | quote }}
{{- end }}
- name: REDIS_CLUSTER
  value: {{ ternary "1" "0" .Values.redis.cluster | quote }}
{{- end -}}

{{/* Environment every tier shares: identity, health server, logging, tracing. */}}
{{- define "sipfleet.commonEnv" -}}
- name: POD_NAME
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
- name: POD_NAMESPACE
  valueFrom:
    fieldRef:
      fieldPath: metadata.namespace
- name: HEALTH_LISTEN
  value: "0.0.0.0:{{ .root.Values.healthPort }}"
{{- /* The process gives up its graceful stop 5 s before the kubelet's SIGKILL, so it exits on its own terms. */}}
- name: SIPFLEET_STOP_TIMEOUT_MS
  value: {{ mul (sub (max (index .root.Values .tier).terminationGracePeriodSeconds 10) 5) 1000 | quote }}
- name: SIPFLEET_LOG_LEVEL
  value: {{ .root.Values.logLevel | quote }}
- name: OTEL_SERVICE_NAME
  value: sipfleet-{{ .tier }}
- name: OTEL_RESOURCE_ATTRIBUTES
  value: {{ printf "k8s.pod.name=$(POD_NAME),k8s.namespace.name=$(POD_NAMESPACE)%s" (ternary "" (printf ",%s" .root.Values.otel.resourceAttributes) (empty .root.Values.otel.resourceAttributes)) | quote }}
{{- if .root.Values.otel.endpoint }}
- name: OTEL_EXPORTER_OTLP_ENDPOINT
  value: {{ .root.Values.otel.endpoint | quote }}
- name: OTEL_TRACES_SAMPLER
  value: parentbased_traceidratio
- name: OTEL_TRACES_SAMPLER_ARG
  value: {{ .root.Values.otel.samplerRatio | quote }}
{{- end }}
{{- end -}}

{{/* Environment of the tiers that read the Sipfleet configuration and the shared secret. */}}
{{- define "sipfleet.sipEnv" -}}
- name: NATS_URL
  value: {{ .Values.nats.url | quote }}
- name: SIPFLEET_CONFIG
  value: /etc/sipfleet/config/{{ .Values.sipConfig.key }}
- name: SIPFLEET_CONFIG_SOURCE
  value: {{ .Values.sipConfig.source | quote }}
- name: SIPFLEET_NONCE_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ include "sipfleet.nonceSecretName" . }}
      key: {{ .Values.nonceSecret.key }}
{{- end -}}

{{/* Whether a tier reads the custom resources (sipConfig.source kubernetes): edge, proxy, registrar. */}}
{{- define "sipfleet.watchesResources" -}}
{{- if and (eq .root.Values.sipConfig.source "kubernetes") (has .tier (list "edge" "proxy" "registrar")) -}}true{{- end -}}
{{- end -}}
