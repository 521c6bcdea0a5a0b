"""`ai-gateway-console doctor`: the preflight an on-call engineer runs before trusting the console.

Every check is one line: a mark and a word (`✓ PASS`, `! WARN`, `✗ FAIL`, `- SKIP`, so it
reads without colour and greps well), what was found, and for a warning or failure what to
do about it. The checks answer "will the console show true data and may I act?", not "is
the gateway healthy": a firing alert or a crashing pod is the console's business, a wrong
URL, a profile that matches no metric or a missing RBAC verb is the doctor's.

Failures (exit 1) are what makes the console useless or its actions impossible:
Prometheus unreachable, a core metric (requests, duration) with no series, Alertmanager
configured but unreachable, no usable kubeconfig, the Deployment not readable, an RBAC verb
the console needs denied, the SelfSubjectAccessReview itself refused. Warnings (exit 0) are
what only makes it poorer: an optional metric missing, no recording rules, no HPA, no
metrics.k8s.io, a scrape target down.

The three groups (Prometheus, Alertmanager, Kubernetes) run concurrently, each request
with the configured timeout and each group under a deadline, so the doctor answers within
a few seconds even when everything is down. It reuses the console's own sources, so it
sees exactly what the console would see, and their messages, which carry no credentials.

Where each part lives: checks.py (a line of the report), prometheus.py, alertmanager.py,
kubernetes.py and demo.py (the groups), report.py (the text), run.py (`run_doctor`).
No Textual here.
"""
