"""Benchmarks: one script per topic (`python bench/<name>.py`), all of them with `python -m bench`.

Figures measured on the project machine are recorded in BENCHMARKS.md.
"""
