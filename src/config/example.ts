/**
 * The annotated example config `teleport-pagerduty configure` prints. A TS constant, not a file,
 * so the compiled binary carries it. It starts like the Go plugin's template (same keys, same
 * order) and then documents every additional key, commented out at its default.
 *
 * @module
 */

/** Every key, with its meaning and default; loads as-is (a test proves it). */
export const EXAMPLE_CONFIG = `# example teleport-pagerduty configuration TOML file
[teleport]
# Teleport Auth/Proxy Server address.
#
# Should be port 3025 for Auth Server and 3080 or 443 for Proxy.
# For Teleport Cloud, should be in the form "your-account.teleport.sh:443".
addr = "example.com:3025"

# Credentials.
#
# When using --format=file:
identity = "/var/lib/teleport/plugins/pagerduty/auth_id"    # Identity file
# refresh_identity = true                                   # Refresh identity file on a periodic basis.
# refresh_identity_interval = "1m"                          # How often to re-read it, 1s to 24h.
#
# When using --format=tls (a direct Auth Service connection: addr must use port 3025):
# client_key = "/var/lib/teleport/plugins/pagerduty/auth.key" # Teleport TLS secret key
# client_crt = "/var/lib/teleport/plugins/pagerduty/auth.crt" # Teleport TLS certificate
# root_cas = "/var/lib/teleport/plugins/pagerduty/auth.cas"   # Teleport CA certs

# Public address of the Proxy, used in the "approve or deny" link of incidents.
# Default: the address the cluster announces.
# web_proxy_addr = "teleport.example.com:443"

[pagerduty]
api_key = "key"               # PagerDuty API Key (or the absolute path of a file holding it)
user_email = "me@example.com" # PagerDuty bot user email (Could be admin email)

# REST API base URL: https://api.pagerduty.com (US, default) or https://api.eu.pagerduty.com (EU).
# api_endpoint = "https://api.pagerduty.com"
# "token" for REST API keys (default), "bearer" for OAuth access tokens.
# auth_scheme = "token"

# Role annotations that name the service to open incidents in, and the services whose
# on-call responders are approved automatically.
# notify_service_annotation = "pagerduty_notify_service"
# services_annotation = "pagerduty_services"
# Role annotation naming the services whose incidents justify access (see [pagerduty.incident_access]).
# incident_services_annotation = "pagerduty_incident_services"

# Urgency ("high" or "low") of new incidents. Default: none is sent, so the PagerDuty
# service's own urgency rules decide (as with the Go plugin); set it to override them.
# urgency = "high"
# Priority (name or ID) of new incidents. Default: none.
# priority = "P2"

# Timeout of one PagerDuty API call (1s to 5m), and the client-side rate limit (PagerDuty
# allows 960).
# request_timeout = "10s"
# rate_limit_per_minute = 900

[pagerduty.auto_approval]
# Approve requesters who are on call in a service named by the services annotation.
# enabled = true
# Only count on-call at escalation levels 1..N (default: any level).
# max_escalation_level = 1
# Only count on-call from these schedules (IDs like "PABC123"; default: any).
# schedule_ids = []
# Only approve requests whose roles are all in this list (default: any role).
# roles = []
# Teleport user trait holding the PagerDuty email, when usernames are not emails.
# email_trait = "pagerduty_email"
# End the access when the on-call shift that justified it ends (a Teleport lock on the
# request; a back-to-back shift moves the end). Needs "lock: [create, update, read]" in the
# plugin's role. Permanent on-call never ends early.
# end_with_shift = false

[pagerduty.incident_access]
# Approve a request whose reason cites an open incident (its PagerDuty URL or ID) in a service
# named by the incident services annotation, when the requester is assigned to it or an accepted
# responder; lock the request when the incident is resolved. Needs "lock: [create, update, read]"
# and review_requests in the plugin's role. Uses email_trait and roles of [pagerduty.auto_approval].
# enabled = false
# How often open incidents are checked for resolution: one PagerDuty call per interval for all
# watched incidents (5s to 15m). The incident.resolved webhook ends access at once when [http] is set.
# poll_interval = "30s"

# [pagerduty.reviews]
# Approve and deny access requests from inside PagerDuty: off unless a secret is set, and then
# it needs [http] listen_addr. Secrets are values or absolute paths of files holding them.
# V3 webhook subscription secrets (note commands and workflows); several during a rotation.
# webhook_secrets = ["/var/lib/teleport/plugins/pagerduty/webhook_secret"]
# Secret the Custom Incident Actions send in the x-teleport-action-secret header.
# action_secret = "/var/lib/teleport/plugins/pagerduty/action_secret"
# IDs of the incident workflows that approve, and of those that deny.
# approve_workflows = ["PWF1234"]
# deny_workflows = ["PWF5678"]
# Who may decide: whoever is on call now in the escalation policy of the incident's service,
# at these levels (default: any level)...
# approver_escalation_levels = [1]
# ...or, when either list is set, instead: these PagerDuty users and members of these teams.
# approver_emails = ["oncall-lead@example.com"]
# approver_teams = ["PTEAM12"]

# [http]
# Health (/healthz, /readyz), Prometheus metrics (/metrics) and PagerDuty webhook listener;
# off unless set.
# listen_addr = ":8081"
# https:// URL PagerDuty reaches this listener at (setup-pagerduty points PagerDuty at it).
# public_addr = "https://teleport-pagerduty.example.com"
# Serve HTTPS with this certificate and key (both or neither).
# https_cert_file = "/var/lib/teleport/plugins/pagerduty/server.crt"
# https_key_file = "/var/lib/teleport/plugins/pagerduty/server.key"

[log]
output = "stderr" # Logger output. Could be "stdout", "stderr" or "/var/lib/teleport/pagerduty.log"
severity = "INFO" # Logger severity. Could be "INFO", "ERROR", "DEBUG" or "WARN".
# format = "text" # "text" (logfmt) or "json" (one JSON object per line).

# [processing]
# Access requests handled in parallel.
# concurrency = 16
# How often everything is re-checked against Teleport and PagerDuty (1s to 24h).
# reconcile_interval = "5m"
`;
