"""Benchmarks: each prints figures measured in one run and their ratios
(these machines are noisy; compare within a run, never across runs)."""
