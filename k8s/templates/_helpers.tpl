{{/*
MeshConsole chart helpers.

Every per-component template ranges over "meshconsole.componentNames" and reads the component's
settings through "meshconsole.component": `default:` deep-merged with `components.<name>:`.
*/}}

{{/* The gateway and the seven services, in a fixed order. */}}
{{- define "meshconsole.componentNames" -}}
gateway identity apps chat retrieval files voice meetings
{{- end -}}

{{- define "meshconsole.serviceNames" -}}
identity apps chat retrieval files voice meetings
{{- end -}}

{{- define "meshconsole.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* <release>-meshconsole, or the release name alone when it already contains the chart name. */}}
{{- define "meshconsole.fullname" -}}
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

{{/* Name of a component's objects (Deployment, Service, ConfigMap, HPA, PDB). Args: (list root name) */}}
{{- define "meshconsole.componentFullname" -}}
{{- $root := index . 0 -}}
{{- printf "%s-%s" (include "meshconsole.fullname" $root | trunc 52 | trimSuffix "-") (index . 1) -}}
{{- end -}}

{{- define "meshconsole.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "meshconsole.labels" -}}
helm.sh/chart: {{ include "meshconsole.chart" . }}
app.kubernetes.io/name: {{ include "meshconsole.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/part-of: meshconsole
{{- if .Chart.AppVersion }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* Args: (list root name) */}}
{{- define "meshconsole.selectorLabels" -}}
{{- $root := index . 0 -}}
app.kubernetes.io/name: {{ include "meshconsole.name" $root }}
app.kubernetes.io/instance: {{ $root.Release.Name }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end -}}

{{/* Args: (list root name) */}}
{{- define "meshconsole.componentLabels" -}}
{{ include "meshconsole.labels" (index . 0) }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end -}}

{{/*
A component's effective settings as YAML: `default:` deep-merged with `components.<name>:`
(the component wins; lists are replaced, not appended). Args: (list root name)
*/}}
{{- define "meshconsole.component" -}}
{{- $root := index . 0 -}}
{{- $name := index . 1 -}}
{{- $own := index $root.Values.components $name | default dict -}}
{{- toYaml (mergeOverwrite (deepCopy $root.Values.default) (deepCopy $own)) -}}
{{- end -}}

{{- define "meshconsole.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "meshconsole.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The Secret every component reads its secrets from: the existing one, or the chart's own. */}}
{{- define "meshconsole.secretName" -}}
{{- if .Values.secrets.existingSecret -}}
{{- .Values.secrets.existingSecret -}}
{{- else -}}
{{- printf "%s-secrets" (include "meshconsole.fullname" .) -}}
{{- end -}}
{{- end -}}

{{/* image reference for a component. Args: (list root componentSettings) */}}
{{- define "meshconsole.image" -}}
{{- $root := index . 0 -}}
{{- $image := mergeOverwrite (deepCopy $root.Values.image) ((index . 1).image | default dict) -}}
{{- if $image.digest -}}
{{- printf "%s@%s" $image.repository $image.digest -}}
{{- else -}}
{{- printf "%s:%s" $image.repository (default $root.Chart.AppVersion $image.tag | toString) -}}
{{- end -}}
{{- end -}}

{{/* The port a component listens on: 8080 (HTTP) for the gateway, 50051 (gRPC) for a service. */}}
{{- define "meshconsole.containerPort" -}}
{{- if eq (index . 1) "gateway" -}}{{ (index . 0).Values.gateway.port }}{{- else -}}{{ (index . 0).Values.grpcPort }}{{- end -}}
{{- end -}}

{{/*
Non-secret environment of one component, as YAML map. It is the whole `data:` of the component's
ConfigMap. Nothing here may come from `secrets:`. Args: (list root name componentSettings)
*/}}
{{- define "meshconsole.configData" -}}
{{- $root := index . 0 -}}
{{- $name := index . 1 -}}
{{- $c := index . 2 -}}
{{- $v := $root.Values -}}
{{- $data := dict -}}
{{- $_ := set $data "MESH_ENV" $v.config.env -}}
{{- $_ := set $data "MESH_LOG_LEVEL" $v.config.logLevel -}}
{{- $_ := set $data "MESH_TIMEZONE" $v.config.timezone -}}
{{- $_ := set $data "MESH_DATA_DIR" $v.config.dataDir -}}
{{- $_ := set $data "MESH_NATS_URL" $v.nats.url -}}
{{- $_ := set $data "MESH_GRPC_PORT" ($v.grpcPort | toString) -}}
{{- $grace := sub (int $c.terminationGracePeriodSeconds) (add (int $c.preStopSleepSeconds) 5) -}}
{{- $_ := set $data "MESH_SHUTDOWN_GRACE_S" ((max $grace 1) | toString) -}}
{{- range $svc := splitList " " (include "meshconsole.serviceNames" $root) -}}
{{- $_ := set $data (printf "MESH_%s_ADDR" (upper $svc)) (printf "%s:%v" (include "meshconsole.componentFullname" (list $root $svc)) $v.grpcPort) -}}
{{- end -}}
{{- if ne $name "gateway" -}}
{{- /* Services listen on the pod's address; the code's default is loopback only. */ -}}
{{- $_ := set $data "MESH_GRPC_BIND_HOST" "0.0.0.0" -}}
{{- $_ := set $data "MESH_GATEWAY_TOKEN_PUBLIC_KEY" (include "meshconsole.principalKey" (list $root "gatewayPublic")) -}}
{{- $_ := set $data "MESH_METRICS_PORT" ($v.metrics.port | toString) -}}
{{- if $v.mtls.enabled -}}
{{- $_ := set $data "MESH_GRPC_HEALTH_PORT" ($v.mtls.healthPort | toString) -}}
{{- end -}}
{{- end -}}
{{- if $v.tracing.otlpEndpoint -}}
{{- $_ := set $data "OTEL_EXPORTER_OTLP_ENDPOINT" $v.tracing.otlpEndpoint -}}
{{- $_ := set $data "OTEL_TRACES_SAMPLER" "parentbased_traceidratio" -}}
{{- $_ := set $data "OTEL_TRACES_SAMPLER_ARG" ($v.tracing.sampleRatio | toString) -}}
{{- end -}}
{{- if $v.mtls.enabled -}}
{{- $_ := set $data "MESH_GRPC_TLS_CERT_FILE" (printf "%s/tls.crt" $v.mtls.mountPath) -}}
{{- $_ := set $data "MESH_GRPC_TLS_KEY_FILE" (printf "%s/tls.key" $v.mtls.mountPath) -}}
{{- $_ := set $data "MESH_GRPC_TLS_CA_FILE" (printf "%s/ca.crt" $v.mtls.mountPath) -}}
{{- end -}}
{{- if eq $name "gateway" -}}
{{- $_ := set $data "MESH_HOST" "0.0.0.0" -}}
{{- $_ := set $data "MESH_PORT" ($v.gateway.port | toString) -}}
{{- $_ := set $data "MESH_GATEWAY_MAX_BODY_MB" ($v.files.maxUploadMB | toString) -}}
{{- else if eq $name "identity" -}}
{{- $_ := set $data "MESH_ADMIN_ACCOUNT" $v.identity.adminAccount -}}
{{- else if eq $name "chat" -}}
{{- $_ := set $data "OPENAI_BASE_URL" $v.llm.baseUrl -}}
{{- $_ := set $data "MESH_DEFAULT_MODEL" $v.llm.defaultModel -}}
{{- else if eq $name "retrieval" -}}
{{- $_ := set $data "MESH_RETRIEVAL_BACKEND" "elasticsearch" -}}
{{- $_ := set $data "MESH_RETRIEVAL_ES_URL" $v.elasticsearch.url -}}
{{- $_ := set $data "MESH_RETRIEVAL_ES_USERNAME" $v.elasticsearch.username -}}
{{- $_ := set $data "MESH_RETRIEVAL_ES_REPLICAS" (($v.elasticsearch.replicas | default 0) | toString) -}}
{{- else if eq $name "files" -}}
{{- $_ := set $data "MESH_FILES_BACKEND" "s3" -}}
{{- $_ := set $data "MESH_FILES_S3_ENDPOINT" $v.minio.endpoint -}}
{{- $_ := set $data "MESH_FILES_S3_BUCKET" $v.minio.bucket -}}
{{- $_ := set $data "MESH_FILES_S3_REGION" $v.minio.region -}}
{{- $_ := set $data "MESH_FILES_S3_SECURE" ($v.minio.secure | toString) -}}
{{- if $v.minio.publicEndpoint }}
{{- $_ := set $data "MESH_FILES_S3_PUBLIC_ENDPOINT" $v.minio.publicEndpoint -}}
{{- $_ := set $data "MESH_FILES_S3_PUBLIC_SECURE" ($v.minio.publicSecure | toString) -}}
{{- end }}
{{- $_ := set $data "MESH_FILES_MAX_UPLOAD_MB" ($v.files.maxUploadMB | toString) -}}
{{- else if eq $name "voice" -}}
{{- $_ := set $data "MESH_VOICE_ENGINE" "openai" -}}
{{- $_ := set $data "MESH_VOICE_OPENAI_BASE_URL" (default $v.llm.baseUrl $v.voice.openaiBaseUrl) -}}
{{- end -}}
{{- range $key, $value := $v.config.extraEnv -}}
{{- $_ := set $data $key ($value | toString) -}}
{{- end -}}
{{- range $key, $value := $c.env -}}
{{- $_ := set $data $key ($value | toString) -}}
{{- end -}}
{{- toYaml $data -}}
{{- end -}}

{{/*
A secretKeyRef env entry. Args: (list root envName keyValueName optional)
keyValueName names an entry of `secrets.keys`.
*/}}
{{- define "meshconsole.secretEnv" -}}
{{- $root := index . 0 }}
- name: {{ index . 1 }}
  valueFrom:
    secretKeyRef:
      name: {{ include "meshconsole.secretName" $root }}
      key: {{ index $root.Values.secrets.keys (index . 2) }}
      {{- if index . 3 }}
      optional: true
      {{- end }}
{{- end -}}

{{/*
The secret environment of one component: only the secrets that component needs, always by
reference to the Secret, never as a literal. Connection URLs that carry a password are put
together by Kubernetes from $(VAR) references, so the password never appears in a manifest.
Args: (list root name)
*/}}
{{- define "meshconsole.secretEnvs" -}}
{{- $root := index . 0 -}}
{{- $name := index . 1 -}}
{{- $v := $root.Values -}}
{{- if $v.redis.auth }}
{{- include "meshconsole.secretEnv" (list $root "MESHCONSOLE_REDIS_PASSWORD" "redisPassword" false) }}
{{- end }}
{{- $redisScheme := ternary "rediss" "redis" $v.redis.tls }}
{{- $redisAuth := "" }}
{{- if $v.redis.auth }}{{ $redisAuth = printf "%s:$(MESHCONSOLE_REDIS_PASSWORD)@" $v.redis.username }}{{ end }}
- name: MESH_REDIS_URL
  value: {{ printf "%s://%s%s:%v/%v" $redisScheme $redisAuth $v.redis.host $v.redis.port $v.redis.database | quote }}
{{- include "meshconsole.secretEnv" (list $root "MESH_SECRET_KEY" "secretKey" false) }}
{{- if ne $name "gateway" }}
{{- include "meshconsole.secretEnv" (list $root "MESHCONSOLE_POSTGRES_PASSWORD" "postgresPassword" false) }}
{{- $pg := $v.postgresql }}
{{- $db := replace "{service}" $name $pg.database }}
{{- $query := ternary "" (printf "?%s" $pg.parameters) (empty $pg.parameters) }}
- name: MESH_DATABASE_URL
  value: {{ printf "postgresql+asyncpg://%s:$(MESHCONSOLE_POSTGRES_PASSWORD)@%s:%v/%s%s" $pg.username $pg.host $pg.port $db $query | quote }}
{{- end }}
{{- if eq $name "identity" }}
{{- include "meshconsole.secretEnv" (list $root "MESH_ADMIN_PASSWORD" "adminPassword" false) }}
{{- else if eq $name "chat" }}
{{- include "meshconsole.secretEnv" (list $root "OPENAI_API_KEY" "openaiApiKey" true) }}
{{- else if eq $name "retrieval" }}
{{- include "meshconsole.secretEnv" (list $root "MESH_RETRIEVAL_ES_PASSWORD" "elasticsearchPassword" true) }}
{{- else if eq $name "files" }}
{{- include "meshconsole.secretEnv" (list $root "MESH_FILES_S3_ACCESS_KEY" "s3AccessKey" true) }}
{{- include "meshconsole.secretEnv" (list $root "MESH_FILES_S3_SECRET_KEY" "s3SecretKey" true) }}
{{- else if eq $name "voice" }}
{{- include "meshconsole.secretEnv" (list $root "MESH_VOICE_OPENAI_API_KEY" "voiceOpenaiApiKey" true) }}
{{- end }}
{{- /* The principal keys: the gateway's only to the gateway, the services' only to services. */}}
- name: {{ ternary "MESH_GATEWAY_TOKEN_KEY" "MESH_SERVICE_TOKEN_KEY" (eq $name "gateway") }}
  valueFrom:
    secretKeyRef:
      name: {{ ternary (include "meshconsole.gatewayTokenSecretName" $root) (include "meshconsole.serviceTokenSecretName" $root) (eq $name "gateway") }}
      key: {{ $v.security.principalKeys.secretKey }}
{{- end -}}

{{/* ------------------------------------------------------------ trust boundary inside the mesh */}}

{{- define "meshconsole.gatewayTokenSecretName" -}}
{{- $pk := .Values.security.principalKeys -}}
{{- if $pk.generate -}}{{ printf "%s-gateway-token-key" (include "meshconsole.fullname" .) }}{{- else -}}{{ $pk.gatewayExistingSecret }}{{- end -}}
{{- end -}}

{{- define "meshconsole.serviceTokenSecretName" -}}
{{- $pk := .Values.security.principalKeys -}}
{{- if $pk.generate -}}{{ printf "%s-service-token-key" (include "meshconsole.fullname" .) }}{{- else -}}{{ $pk.serviceExistingSecret }}{{- end -}}
{{- end -}}

{{/*
The public key (SPKI PEM) of an Ed25519 private key (PKCS#8 PEM). Sprig has no function for it,
but a certificate carries its key's public half: self-sign one with the key and cut the 32 key
bytes out of its DER, after the fixed Ed25519 SubjectPublicKeyInfo prefix (RFC 8410).
*/}}
{{- define "meshconsole.ed25519PublicKey" -}}
{{- $cert := genSelfSignedCertWithKey "meshconsole-gateway" nil nil 1 . -}}
{{- $der := $cert.Cert | replace "-----BEGIN CERTIFICATE-----" "" | replace "-----END CERTIFICATE-----" "" | nospace | b64dec -}}
{{- $prefix := "\x30\x2a\x30\x05\x06\x03\x2b\x65\x70\x03\x21\x00" -}}
{{- $parts := splitList $prefix $der -}}
{{- if or (ne (len $parts) 2) (lt (len (index $parts 1)) 32) -}}
{{- fail "security.principalKeys: the gateway's private key is not an Ed25519 key" -}}
{{- end -}}
{{- printf "-----BEGIN PUBLIC KEY-----\n%s\n-----END PUBLIC KEY-----\n" (printf "%s%s" $prefix (substr 0 32 (index $parts 1)) | b64enc) -}}
{{- end -}}

{{/*
One principal key as a PEM string. Args: (list root which), which is "gateway" or "service" (the
private keys, with generate: true only) or "gatewayPublic". Generated keys are reused from the
cluster's Secrets when they exist. All three are worked out once per render and cached on the
root context, so the Secrets and the ConfigMaps of one render agree.
*/}}
{{- define "meshconsole.principalKey" -}}
{{- $root := index . 0 -}}
{{- if not (hasKey $root "meshconsolePrincipalKeys") -}}
{{- $pk := $root.Values.security.principalKeys -}}
{{- $keys := dict -}}
{{- if $pk.generate -}}
{{- $secrets := dict "gateway" (include "meshconsole.gatewayTokenSecretName" $root) "service" (include "meshconsole.serviceTokenSecretName" $root) -}}
{{- range $who, $secret := $secrets -}}
{{- $pem := "" -}}
{{- with (lookup "v1" "Secret" $root.Release.Namespace $secret) -}}
{{- $pem = get (.data | default dict) $pk.secretKey | b64dec -}}
{{- end -}}
{{- $_ := set $keys $who (default (genPrivateKey "ed25519") $pem) -}}
{{- end -}}
{{- $_ := set $keys "gatewayPublic" (include "meshconsole.ed25519PublicKey" $keys.gateway) -}}
{{- else -}}
{{- if eq $pk.gatewayExistingSecret $pk.serviceExistingSecret -}}
{{- fail "security.principalKeys: gatewayExistingSecret and serviceExistingSecret must be two Secrets, or the services would hold the gateway's key" -}}
{{- end -}}
{{- $_ := set $keys "gatewayPublic" $pk.gatewayPublicKey -}}
{{- end -}}
{{- $_ := set $root "meshconsolePrincipalKeys" $keys -}}
{{- end -}}
{{- index $root.meshconsolePrincipalKeys (index . 1) -}}
{{- end -}}

{{/* The Secret with a component's TLS certificate (tls.crt, tls.key, ca.crt). Args: (list root name) */}}
{{- define "meshconsole.mtlsSecretName" -}}
{{- $root := index . 0 -}}
{{- $name := index . 1 -}}
{{- if $root.Values.mtls.certManager.enabled -}}
{{- printf "%s-tls" (include "meshconsole.componentFullname" (list $root $name)) -}}
{{- else -}}
{{- index $root.Values.mtls.existingSecrets $name -}}
{{- end -}}
{{- end -}}

{{/*
The TCP ports of a list of addresses, space separated and without repeats. Args: (list addresses)
where each address is a URL (the scheme gives the port when none is written) or host:port.
*/}}
{{- define "meshconsole.addressPorts" -}}
{{- $ports := list -}}
{{- range $address := index . 0 -}}
{{- $scheme := "" -}}
{{- $host := $address -}}
{{- if contains "://" $address -}}
{{- $u := urlParse $address -}}
{{- $scheme = $u.scheme -}}
{{- $host = $u.host -}}
{{- end -}}
{{- $port := regexFind "[0-9]+$" (regexFind ":[0-9]+$" $host) -}}
{{- if not $port -}}
{{- $port = get (dict "https" "443" "http" "80" "nats" "4222" "tls" "4222") $scheme | default "80" -}}
{{- end -}}
{{- $ports = append $ports $port -}}
{{- end -}}
{{- $ports | uniq | join " " -}}
{{- end -}}
