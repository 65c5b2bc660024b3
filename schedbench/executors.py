"""Where CPU work runs: a local process pool (default) or a Ray cluster. Results come back in input order."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any, Literal

ExecutorName = Literal["local", "ray"]


def map_ordered(fn: Callable[[Any], Any], items: Sequence[Any], workers: int = 1,
                executor: ExecutorName = "local", ray_address: str | None = None) -> Iterator[Any]:
    """Apply a picklable top-level `fn` to each item, yielding results in input order as they complete."""
    if executor == "ray":
        yield from _map_ray(fn, items, ray_address)
        return
    if workers <= 1 or len(items) <= 1:
        for item in items:
            yield fn(item)
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        yield from pool.map(fn, items, chunksize=1)


def _map_ray(fn: Callable[[Any], Any], items: Sequence[Any], address: str | None) -> Iterator[Any]:
    try:
        import ray
    except ImportError as exc:  # pragma: no cover - depends on the optional extra
        raise RuntimeError("--executor ray needs Ray: pip install 'schedbench[ray]'") from exc
    if not ray.is_initialized():
        ray.init(address=address, include_dashboard=False, log_to_driver=False, ignore_reinit_error=True)
    remote = ray.remote(fn)
    refs = [remote.remote(item) for item in items]
    for ref in refs:
        yield ray.get(ref)
