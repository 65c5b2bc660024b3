"""Build hook for the compiled core of the exact SMTT solver (all metadata lives in pyproject.toml)."""

from setuptools import Extension, setup

setup(ext_modules=[Extension("schedbench.solvers._smtt_core", ["schedbench/solvers/_smtt_core.c"],
                             extra_compile_args=["-O2"])])
