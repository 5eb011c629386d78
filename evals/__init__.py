"""Evaluation harness: gold set, metrics, baselines and reports."""
