"""Run every benchmark script in bench/ (`python -m bench [NAME_PART ...] [--list]`).

A script is a `bench/*.py` file with a `__main__` block (helper modules and `_private.py` files are skipped).
Each runs in its own interpreter with its default arguments; its output is streamed as it comes. The exit
code is the number of scripts that failed (capped at 125).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent


def discover(patterns: list[str]) -> list[Path]:
    """Benchmark scripts in name order, kept when their name contains any of `patterns` (all if none)."""
    scripts = []
    for path in sorted(BENCH_DIR.glob("*.py")):
        if path.name.startswith("_") or 'if __name__ == "__main__"' not in path.read_text(encoding="utf-8"):
            continue
        if not patterns or any(p in path.stem for p in patterns):
            scripts.append(path)
    return scripts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("patterns", nargs="*", help="run only scripts whose name contains one of these")
    parser.add_argument("--list", action="store_true", help="list the scripts and exit")
    args = parser.parse_args()
    scripts = discover(args.patterns)
    if args.list:
        print("\n".join(p.stem for p in scripts))
        return 0
    failed = []
    for path in scripts:
        print(f"\n=== {path.stem}", flush=True)
        began = time.perf_counter()
        code = subprocess.call([sys.executable, str(path)], cwd=BENCH_DIR.parent)
        print(f"=== {path.stem}: exit {code} after {time.perf_counter() - began:.1f} s", flush=True)
        if code != 0:
            failed.append(path.stem)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return min(len(failed), 125)


if __name__ == "__main__":
    sys.exit(main())
