"""Benchmark of ingest, query latency, HTTP serving and scale (`python -m bench.run`); a script, not a test."""
