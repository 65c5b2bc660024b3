"""Seed programs (text, run only inside the sandbox): one file per family and rule, with an EVOLVE block."""
