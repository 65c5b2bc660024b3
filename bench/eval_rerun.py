"""Reruns with the response cache: 2,000 items evaluated once against the local server, then

1. the same command again (resume: nothing left to ask),
2. the same model on the same suite under a new run name (every answer from the cache, re-verified, stored),
3. `schedbench report --json` on the 2,000-item run.

Each is timed as a whole process (start-up included). Target: the cached rerun under 5 s.

    .venv/bin/python bench/eval_rerun.py [--instances 2000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import urllib.request
from pathlib import Path

from eval_common import PYTHON, answers_file, benchmark_suite, load_average, local_server, timed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--instances", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    suite = benchmark_suite(args.instances)
    answers = answers_file(suite)
    with local_server(answers, 0.0) as url, tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "results.db"
        base = [
            PYTHON,
            "-m",
            "schedbench",
            "evaluate",
            "--model",
            "openai-compatible/bench",
            "--suite",
            str(suite),
            "--base-url",
            url,
            "--concurrency",
            "64",
            "--results",
            str(db),
            "--quiet",
        ]
        first, _ = timed([*base, "--run", "first"])
        served = _requests(url)
        resume = [timed([*base, "--run", "first"]) for _ in range(args.repeat)]
        cached = [timed([*base, "--run", f"cached-{k}"]) for k in range(args.repeat)]
        report = [
            timed([PYTHON, "-m", "schedbench", "report", "first", "--results", str(db), "--json"])
            for _ in range(args.repeat)
        ]
        assert _requests(url) == served, "a rerun sent requests: the cache missed"
    print(f"load average: {load_average()}")
    print(f"first run ({args.instances} requests, no latency): {first:.2f} s")
    for label, runs in (
        ("same command again (resume, nothing to do)", resume),
        ("new run name, every answer from the cache", cached),
        ("report --json of the run", report),
    ):
        walls = [w for w, _ in runs]
        print(
            f"{label}: median {statistics.median(walls):.2f} s wall, "
            f"{statistics.median(c for _, c in runs):.2f} s CPU (runs: {', '.join(f'{w:.2f}' for w in walls)})"
        )


def _requests(openai_url: str) -> int:
    with urllib.request.urlopen(openai_url.removesuffix("/v1") + "/_stats") as response:
        return json.load(response)["requests"]


if __name__ == "__main__":
    main()
