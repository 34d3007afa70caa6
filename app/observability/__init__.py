"""Logs and metrics for operators: JSON log lines with a request id, Prometheus metrics."""
