"""ai-gateway-console: the on-call console for an AI API gateway on Kubernetes."""

__version__ = "0.1.0"
