"""Benchmarks (`make bench`): each writes bench/results/<name>.json (format: ARCHITECTURE.md)."""
