"""schedbench: a benchmark harness for LLM reasoning on scheduling."""

__version__ = "0.1.0"
