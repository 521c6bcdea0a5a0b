"""Actions with their guards: the request, the runner (read-only, RBAC, audit), the UI flow."""
