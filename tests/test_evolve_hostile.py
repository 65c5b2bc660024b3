"""Hostile candidates served by a local OpenAI-compatible server through the real adapter: each is contained,
scored as failed with its reason recorded, the run continues, and the harness is unharmed."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import threading
from pathlib import Path

import pytest

from schedbench.evolve import Evolution, load_config
from schedbench.llm.stub_server import StubReply, StubRequest, StubServer
from schedbench.sandbox import ForkServer, SandboxConfig, open_sandbox

SECRET = "sk-hostile-test-key-0123456789"
FAMILY = os.environ.get("SCHEDBENCH_TEST_EVOLVE_FAMILY", "smtt")


def hostile_blocks(escape: Path, port: int) -> list[tuple[str, str, str]]:
    """(name, EVOLVE block, expected reason fragment) per hostile behaviour."""
    return [
        ("infinite loop", "def schedule(instance):\n    while True:\n        pass\n", "timeout"),
        (
            "20 GB allocation",
            "def schedule(instance):\n    hoard = bytearray(20 * 2**30)\n    return hoard\n",
            "MemoryError",
        ),
        ("fork bomb", "import os\n\n\ndef schedule(instance):\n    while True:\n        os.fork()\n", "os.fork"),
        (
            "write outside cwd",
            f"def schedule(instance):\n    open({str(escape)!r}, 'w').write('pwned')\n"
            "    return list(range(instance['n']))\n",
            "outside the working directory",
        ),
        (
            "read the API key",
            "import os\n\n\ndef schedule(instance):\n    return [os.environ['OPENAI_API_KEY']] * instance['n']\n",
            "OPENAI_API_KEY",
        ),
        (
            "open a socket",
            f"import socket\n\n\ndef schedule(instance):\n"
            f"    socket.create_connection(('127.0.0.1', {port}), 1)\n    return list(range(instance['n']))\n",
            "socket",
        ),
        (
            "mutate the input",
            "def schedule(instance):\n    instance['p'][0] = 0\n    return list(range(instance['n']))\n",
            "item assignment",
        ),
        ("non-permutation", "def schedule(instance):\n    return [0] * instance['n']\n", "infeasible answer"),
    ]


def rewrite(block: str) -> str:
    return f"Here is a new heuristic.\n```python\n# EVOLVE-BLOCK-START\n{block}# EVOLVE-BLOCK-END\n```\n"


def is_sandbox(pid: int) -> bool:
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return b"_runner.py" in command or b"bwrap" in command


def descendants(root: int) -> list[int]:
    """Every live process below `root` (from /proc parent links)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = [], [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent]
        found += children
        frontier += children
    return found


def test_hostile_candidates_are_contained_and_the_run_continues(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    escape = tmp_path / "escaped.txt"
    lock = threading.Lock()
    counter = itertools.count()
    replies: list[str] = []

    def script(request: StubRequest) -> StubReply:
        with lock:
            k = next(counter)
        return StubReply(text=replies[k] if k < len(replies) else "No idea.")

    boxes = tmp_path / "sandboxes"
    boxes.mkdir()
    with StubServer(script) as server:
        cases = hostile_blocks(escape, server.port)
        good = "def schedule(instance):\n    return sorted(range(instance['n']), key=lambda j: instance['d'][j])\n"
        replies.extend([rewrite(block) for _, block, _ in cases] + [rewrite(good)])
        prices = tmp_path / "prices.toml"
        prices.write_text('"openai-compatible/stub-model" = { input = 1.0, output = 2.0 }\n')
        config = load_config(
            None,
            {
                "family": FAMILY,
                "iterations": len(replies),
                "workers": 1,
                "prices": str(prices),
                "max_cost": 5.0,
                "models": [{"spec": "openai-compatible/stub-model", "base_url": server.openai_url}],
                "evaluator": {"train": {"levels": "8", "per_level": 1}, "gate_timeout_s": 2.0, "timeout_s": 3.0},
                "sandbox": {"cpu_s": 10, "tmp_root": str(boxes)},
            },
        )
        evolution = Evolution(tmp_path / "run", config, show_progress=False)
        try:
            summary = asyncio.run(evolution.run())
        finally:
            evolution.close()
        assert server.stats.requests == len(replies)

    history = [json.loads(line) for line in (tmp_path / "run" / "history.jsonl").read_text().splitlines()]
    assert [row["iteration"] for row in history] == list(range(len(replies) + 1))
    assert history[0]["status"] == "ok"  # the seed
    for (name, _, reason), row in zip(cases, history[1:], strict=False):
        assert row["status"] == "failed", name
        assert reason in row["error"], (name, row["error"])
        assert row["score"] == config.evaluator.failure_score, name
    assert history[-1]["status"] == "ok", history[-1]  # the run went on after every hostile candidate
    assert summary.iterations == len(replies)
    assert summary.cost_usd > 0 and abs(sum(row["cost_usd"] for row in history) - summary.cost_usd) < 1e-9
    run = json.loads((tmp_path / "run" / "run.json").read_text())
    assert run["prices_usd_per_million_tokens"]["openai-compatible/stub-model"] == {"input": 1.0, "output": 2.0}

    assert not escape.exists()
    for path in (tmp_path / "run").rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path
    assert [pid for pid in descendants(os.getpid()) if is_sandbox(pid)] == []  # none outlived its evaluation
    assert list(boxes.iterdir()) == []  # every working directory was deleted


def test_a_dead_fork_server_is_replaced_and_the_evaluation_goes_on():
    server = ForkServer(SandboxConfig())
    code = "def schedule(x):\n    return list(range(x['n']))\n"

    async def once():
        async with open_sandbox(code, SandboxConfig(cpu_s=5), server=server) as box:
            return (await box.run([{"n": 3}], 5)).outputs

    try:
        assert asyncio.run(once()) == [[0, 1, 2]]
        os.killpg(server._process.pid, 9)
        server._process.wait()  # dead (the sandbox inside dies with it)
        assert asyncio.run(once()) == [[0, 1, 2]]
    finally:
        server.close()
