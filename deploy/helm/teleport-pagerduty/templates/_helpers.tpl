{{/* The chart's name, shortened to fit Kubernetes names. */}}
{{- define "teleport-pagerduty.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The release's objects' name: the release name, with the chart name unless it has it. */}}
{{- define "teleport-pagerduty.fullname" -}}
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

{{- define "teleport-pagerduty.selectorLabels" -}}
app.kubernetes.io/name: {{ include "teleport-pagerduty.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "teleport-pagerduty.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "teleport-pagerduty.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* Where the pod finds its files. */}}
{{- define "teleport-pagerduty.configDir" -}}/etc/teleport-pagerduty{{- end }}
{{- define "teleport-pagerduty.configPath" -}}{{ include "teleport-pagerduty.configDir" . }}/teleport-pagerduty.toml{{- end }}
{{- define "teleport-pagerduty.identityDir" -}}/var/lib/teleport/plugins/pagerduty/teleport-identity{{- end }}
{{- define "teleport-pagerduty.apiKeyDir" -}}/var/lib/teleport/plugins/pagerduty/pagerduty-api-key{{- end }}
{{- define "teleport-pagerduty.apiKeyPath" -}}{{ include "teleport-pagerduty.apiKeyDir" . }}/pagerduty_api_key{{- end }}
{{- define "teleport-pagerduty.reviewsDir" -}}/var/lib/teleport/plugins/pagerduty/reviews{{- end }}
{{- define "teleport-pagerduty.httpsDir" -}}/var/lib/teleport/plugins/pagerduty/https{{- end }}

{{/* The Secret holding the API key, and its key there. */}}
{{- define "teleport-pagerduty.apiKeySecretName" -}}
{{- .Values.pagerduty.apiKeyFromSecret | default (printf "%s-secret" (include "teleport-pagerduty.fullname" .)) }}
{{- end }}
{{- define "teleport-pagerduty.apiKeySecretKey" -}}
{{- if .Values.pagerduty.apiKeyFromSecret }}{{ .Values.pagerduty.apiKeySecretPath }}{{ else }}pagerdutyApiKey{{ end }}
{{- end }}

{{/* The Secret holding the approve/deny secrets. */}}
{{- define "teleport-pagerduty.reviewsSecretName" -}}
{{- .Values.pagerduty.reviews.existingSecret | default (printf "%s-reviews" (include "teleport-pagerduty.fullname" .)) }}
{{- end }}

{{/*
The keys of the approve/deny Secret: as named when it exists, else webhookSecret0..N and
actionSecret in the chart's own.
*/}}
{{- define "teleport-pagerduty.webhookSecretKeys" -}}
{{- $r := .Values.pagerduty.reviews }}
{{- if $r.existingSecret }}
{{- toJson $r.webhookSecretKeys }}
{{- else }}
{{- $keys := list }}
{{- range $i, $_ := $r.webhookSecrets }}{{ $keys = append $keys (printf "webhookSecret%d" $i) }}{{ end }}
{{- toJson $keys }}
{{- end }}
{{- end }}
{{- define "teleport-pagerduty.actionSecretKey" -}}
{{- $r := .Values.pagerduty.reviews }}
{{- if $r.existingSecret }}{{ $r.actionSecretKey }}{{ else if $r.actionSecret }}actionSecret{{ end }}
{{- end }}

{{/* The Teleport address: upstream falls back to tbot's addresses too. */}}
{{- define "teleport-pagerduty.teleportAddress" -}}
{{- coalesce .Values.teleport.address .Values.tbot.teleportProxyAddress .Values.tbot.teleportAuthAddress | default "" }}
{{- end }}

{{/* The listener's public URL: as set, or the Ingress host. */}}
{{- define "teleport-pagerduty.publicAddr" -}}
{{- if .Values.http.publicAddr }}{{ .Values.http.publicAddr }}
{{- else if and .Values.ingress.enabled .Values.ingress.host }}https://{{ .Values.ingress.host }}
{{- end }}
{{- end }}

{{/* Whether log.output names a file, which then needs a writable directory. */}}
{{- define "teleport-pagerduty.logToFile" -}}
{{- if not (has (lower .Values.log.output) (list "" "stdout" "stderr" "out" "error" "1" "2")) }}true{{ end }}
{{- end }}

{{/* Whether the listener's Service is needed. */}}
{{- define "teleport-pagerduty.serviceEnabled" -}}
{{- if or .Values.service.enabled .Values.serviceMonitor.enabled .Values.ingress.enabled }}true{{ end }}
{{- end }}

{{/*
Refuses values that cannot work, each with one sentence naming the fix. Included by every
template, so `helm install` stops before creating anything.
*/}}
{{- define "teleport-pagerduty.validate" -}}
{{- if .Values.tbot.enabled }}
{{- fail "tbot.enabled: this chart does not bundle upstream's tbot subchart; run tbot with a kubernetes_secret output (see the README, section Kubernetes) and set teleport.identitySecretName to that Secret, with teleport.identitySecretPath: identity." }}
{{- end }}
{{- if .Values.crd.create }}
{{- fail "crd.create: this chart does not create Teleport Operator resources; create the plugin's role, bot and join token as the README shows, then set crd.create to false." }}
{{- end }}
{{- if not (include "teleport-pagerduty.teleportAddress" .) }}
{{- fail "teleport.address is required: set it to the Teleport Auth Service (host:3025) or Proxy (host:443) address." }}
{{- end }}
{{- if not .Values.teleport.identitySecretName }}
{{- fail "teleport.identitySecretName is required: create a Secret holding the plugin's identity file (tbot, or tctl auth sign --format=file) and name it here." }}
{{- end }}
{{- if not .Values.pagerduty.userEmail }}
{{- fail "pagerduty.userEmail is required: set it to the email of the PagerDuty user the plugin acts as." }}
{{- end }}
{{- if not (or .Values.pagerduty.apiKey .Values.pagerduty.apiKeyFromSecret) }}
{{- fail "pagerduty.apiKey or pagerduty.apiKeyFromSecret is required: give the PagerDuty REST API key, or the name of a Secret holding it." }}
{{- end }}
{{- $r := .Values.pagerduty.reviews }}
{{- if and $r.enabled (not $r.existingSecret) (not $r.webhookSecrets) }}
{{- fail "pagerduty.reviews.enabled needs the webhook's signing secret: set pagerduty.reviews.webhookSecrets, or pagerduty.reviews.existingSecret naming a Secret that holds it." }}
{{- end }}
{{- if and (not $r.enabled) (or $r.approveWorkflows $r.denyWorkflows $r.approverEscalationLevels $r.approverEmails $r.approverTeams) }}
{{- fail "pagerduty.reviews: the workflow and approver options apply to approving and denying from PagerDuty, which is off: set pagerduty.reviews.enabled with its secrets, or remove them." }}
{{- end }}
{{- range $r.approveWorkflows }}
{{- if has . $r.denyWorkflows }}
{{- fail (printf "pagerduty.reviews: workflow %s is in both approveWorkflows and denyWorkflows: a workflow either approves or denies, so keep it in one list." .) }}
{{- end }}
{{- end }}
{{- if and .Values.pagerduty.autoApproval.endWithShift (not .Values.pagerduty.autoApproval.enabled) }}
{{- fail "pagerduty.autoApproval.endWithShift has no effect with pagerduty.autoApproval.enabled false (nobody is approved for being on call): enable auto-approval, or remove endWithShift." }}
{{- end }}
{{- if and .Values.serviceMonitor.tlsConfig (not .Values.http.tlsSecretName) }}
{{- fail "serviceMonitor.tlsConfig applies only when the listener serves HTTPS: set http.tlsSecretName, or remove serviceMonitor.tlsConfig." }}
{{- end }}
{{- if and .Values.ingress.enabled (not $r.enabled) }}
{{- fail "ingress.enabled exposes only PagerDuty's approve/deny webhook: set pagerduty.reviews.enabled too, or disable the Ingress." }}
{{- end }}
{{- if and .Values.ingress.enabled (not .Values.ingress.host) }}
{{- fail "ingress.host is required with ingress.enabled: set the host name PagerDuty reaches the webhook at." }}
{{- end }}
{{- end }}
