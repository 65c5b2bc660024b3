"""The README's Python session runs as written, inside a running event loop (as in Jupyter)."""

from __future__ import annotations

import ast
import asyncio
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def readme_session() -> str:
    """The first ```python block of the README's "Python API" section."""
    section = README.read_text(encoding="utf-8").split("## Python API", 1)[1].split("\n## ", 1)[0]
    match = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert match, "the README's Python API section has no python block"
    return match.group(1)


def test_readme_session_runs_in_a_running_event_loop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code = compile(readme_session(), str(README), "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    namespace: dict[str, object] = {}

    async def notebook() -> None:
        pending = eval(code, namespace)  # top-level await: a coroutine, awaited in this loop as Jupyter does
        if pending is not None:
            await pending

    asyncio.run(notebook())
    assert (tmp_path / "results.db").is_file()
    result = namespace["result"]
    assert result.metrics["n"] == len(result.items) == len(namespace["suite"])
    assert 0 <= result.metrics["feasible_rate"] <= 1


def test_evaluate_async_leaves_the_callers_loop_running(tmp_path: Path) -> None:
    import schedbench as sb

    suite = sb.generate("smtt", levels="5", per_level=1, stage="unweighted", tf="0.4", rdd="0.4")
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.001)

    async def main() -> sb.EvalResult:
        task = asyncio.create_task(ticker())
        result = await sb.evaluate_async("baseline/edd", suite, results=tmp_path / "r.db")
        task.cancel()
        return result

    result = asyncio.run(main())
    assert result.metrics["n"] == 1 and ticks > 0
