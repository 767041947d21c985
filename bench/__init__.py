"""Benchmarks: `python -m bench` (or `make bench`) measures quality and speed against baselines."""
