"""The gateway's ConfigMap in the demo: the deployment guide's `config.yaml`.

The drill-down's triage hints quote live settings from it (`server.timeout`,
`rate_limit.requests_per_minute`, the models list), so the demo serves the
guide's values. The demo also routes to a second provider, and its logs say
so, so that provider has its own block here; a model missing from a list
would be the cause of a 400, not something to invent.
"""

from __future__ import annotations

from collections.abc import Mapping

CONFIG_MAP = "ai-gateway-config"
CONFIG_KEY = "config.yaml"

GATEWAY_CONFIG_YAML = """\
server:
  port: 8080
  timeout: 120s

providers:
  holysheep:
    base_url: "https://api.holysheep.ai/v1"
    api_key: "${HOLYSHEEP_API_KEY}"
    models:
      - gpt-4.1
      - claude-sonnet-4.5
      - gemini-2.5-flash
      - deepseek-v3.2
    timeout: 60s
    retry:
      max_attempts: 3
      backoff_ms: 500
  openrouter:
    base_url: "https://openrouter.ai/api/v1"
    api_key: "${OPENROUTER_API_KEY}"
    models:
      - anthropic/claude-3.5-haiku
      - qwen/qwen3-32b
      - mistralai/mistral-nemo
    timeout: 60s
    retry:
      max_attempts: 3
      backoff_ms: 500

rate_limit:
  enabled: true
  requests_per_minute: 60
  burst: 10

cache:
  enabled: true
  ttl: 3600
  max_size: 1000
"""


def config_map_data(name: str) -> Mapping[str, str] | None:
    """The data of the named ConfigMap, or None when the demo namespace has no such one."""
    if name != CONFIG_MAP:
        return None
    return {CONFIG_KEY: GATEWAY_CONFIG_YAML}
