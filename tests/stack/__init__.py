"""The real test stack: a stand-in gateway exporter, real Prometheus and Alertmanager, faults.

Everything here binds to 127.0.0.1 only and is reusable outside pytest (benchmarks).
"""
