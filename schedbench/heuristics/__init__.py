"""Baseline rules per family: offline "models" for evaluation and seeds for evolution."""
