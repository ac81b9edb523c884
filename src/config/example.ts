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
# When using --format=tls:
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

# Urgency ("high" or "low") and priority (name or ID; default: none) of new incidents.
# urgency = "high"
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

# [http]
# Health (/healthz, /readyz) and Prometheus metrics (/metrics) listener; off unless set.
# listen_addr = ":8081"
# URL PagerDuty reaches this listener at.
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
