"""Exact reference solvers: CP-SAT models, and a dedicated algorithm for single-machine tardiness."""
