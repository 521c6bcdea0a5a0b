"""The gateway's ConfigMap in the demo: the deployment guide's `config.yaml`.

The drill-down's triage hints quote live settings from it (`server.timeout`,
`rate_limit.requests_per_minute`, the models list), so the demo serves the
guide's values. The demo also routes to a second provider, and its logs say
so, so that provider has its own block here; a model missing from a list
would be the cause of a 400, not something to invent.

Each provider has a fallback route, `route_to`: set holysheep's to `openrouter` and
restart the gateway, and holysheep's models are served by openrouter — the fix of the
`provider-outage` scenario (`routes()` reads it; the restart applies it).
"""

from __future__ import annotations

from collections.abc import Mapping

import yaml

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
    # Fallback route: set to openrouter to serve these models there during an outage.
    route_to: holysheep
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
    route_to: openrouter
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


def routes(config_yaml: str) -> dict[str, str]:
    """Provider -> the provider its `route_to` names; an unreadable config routes nothing
    (a gateway that cannot parse its config keeps the routes it had: no change)."""
    try:
        config = yaml.safe_load(config_yaml)
    except yaml.YAMLError:
        return {}
    providers = config.get("providers") if isinstance(config, dict) else None
    if not isinstance(providers, dict):
        return {}
    return {str(name): str(block["route_to"]) for name, block in providers.items()
            if isinstance(block, dict) and isinstance(block.get("route_to"), str)}
