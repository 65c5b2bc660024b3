"""Reference solving of a 1,000-instance RCPSP suite: the local process pool vs. Ray on the same cores.

Both executors solve the same drafts with the same solver settings (one CP-SAT thread per instance, `--workers`
at a time); Ray runs a local instance started here with one CPU per core. Runs alternate local, Ray, local, …
so that load from other processes drifts over both alike. Figures: wall time of each, Ray's
start-up apart, the overhead ratio Ray / local, and a check that status, objective and bound agree (an
instance that hits the wall-clock time limit in one run only can differ whichever executor ran it).

    .venv/bin/python bench/ray_generate.py [--instances 1000] [--workers 2] [--repeat 2]

With `--cluster`, the same drafts are solved on one Ray node (a local instance, one CPU per core) and on a
two-node cluster on loopback addresses: a head without CPUs and a worker node with 2 CPUs running from a virtual
environment with only Ray (so schedbench and its libraries are shipped to it), with the cost of the
first job's shipping (runtime environment set-up) and the dispatch cost per task of each.

    .venv/bin/python bench/ray_generate.py --cluster [--instances 1000] [--repeat 2]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path
from typing import Any

from schedbench.executors import ExecutorName, ensure_ray, map_ordered, shutdown_ray
from schedbench.generators.rcpsp import RcpspGeneratorConfig, generate
from schedbench.references import solve_references


def drafts(count: int) -> list[Any]:
    """`count` RCPSP drafts: every stage, levels 1..40, as many per level as needed."""
    per_level = max(1, -(-count // (5 * 40)))
    return generate(RcpspGeneratorConfig(levels="1-40", stage="all", per_level=per_level, seed=2026))[:count]


def solve_with(executor: ExecutorName, batch: list[Any], workers: int) -> tuple[float, list[tuple[Any, ...]]]:
    """Wall time of solving every draft's reference, and (status, objective, bound) per instance."""
    start = time.perf_counter()
    references = solve_references(
        [d.instance for d in batch],
        [d.hint for d in batch],
        time_limit=10.0,
        workers=workers,
        executor=executor,
        show_progress=False,
    )
    elapsed = time.perf_counter() - start
    return elapsed, [(r.status, r.objective, r.bound) for r in references]


def dispatch_ms(executor: ExecutorName, count: int, workers: int) -> float:
    """Milliseconds per task of mapping a trivial function: what an executor adds to each task."""
    start = time.perf_counter()
    results = list(map_ordered(abs, range(-count, 0), workers=workers, executor=executor))
    assert results == list(range(count, 0, -1))
    return 1000 * (time.perf_counter() - start) / count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--instances", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--cluster", action="store_true", help="one Ray node vs a two-node loopback cluster")
    args = parser.parse_args()
    batch = drafts(args.instances)
    print(
        f"{len(batch)} RCPSP instances (15 tasks, levels 1-40, 5 stages), {args.workers} workers, "
        f"{os.cpu_count()} cores, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    if args.cluster:
        compare_nodes(batch, args.repeat)
        return

    start = time.perf_counter()
    ray = ensure_ray()
    ray_start = time.perf_counter() - start
    cpus = int(ray.cluster_resources().get("CPU", 0))
    local_times, ray_times = [], []
    local_results: list[tuple[Any, ...]] = []
    ray_results: list[tuple[Any, ...]] = []
    for _ in range(args.repeat):  # alternate, so that drifting load from other processes hits both alike
        elapsed, local_results = solve_with("local", batch, args.workers)
        local_times.append(elapsed)
        elapsed, ray_results = solve_with("ray", batch, args.workers)
        ray_times.append(elapsed)
    dispatch = {name: dispatch_ms(name, len(batch), args.workers) for name in ("local", "ray")}
    shutdown_ray()

    local, remote = min(local_times), min(ray_times)
    print(
        f"local pool : best {local:7.2f} s  ({len(batch) / local:6.1f} instances/s)  runs "
        f"{', '.join(f'{t:.2f}' for t in local_times)}"
    )
    print(
        f"ray ({cpus} CPU): best {remote:7.2f} s  ({len(batch) / remote:6.1f} instances/s)  runs "
        f"{', '.join(f'{t:.2f}' for t in ray_times)}  + start-up {ray_start:.2f} s"
    )
    median_ratio = statistics.median(ray_times) / statistics.median(local_times)
    print(
        f"overhead ratio ray/local: {remote / local:.2f} (medians {median_ratio:.2f}); "
        f"with start-up {(remote + ray_start) / local:.2f}"
    )
    print(f"per-instance overhead of ray: {1000 * (remote - local) / len(batch):+.2f} ms")
    differing = [k for k, (a, b) in enumerate(zip(local_results, ray_results, strict=True)) if a != b]
    unproven = [k for k in differing if "feasible" in (local_results[k][0], ray_results[k][0])]
    print(
        f"identical status/objective/bound: {len(batch) - len(differing)}/{len(batch)}; of the others, "
        f"{len(unproven)} hit the time limit in one run (wall-clock limits under load), "
        f"{len(differing) - len(unproven)} disagree otherwise"
    )
    print(
        f"dispatch cost of a trivial task (abs), {len(batch)} tasks: local pool {dispatch['local']:.2f} ms, "
        f"ray {dispatch['ray']:.2f} ms per task"
    )
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def ray_figures(batch: list[Any], repeat: int, address: str | None) -> dict[str, Any]:
    """Connect (to `address`, else a new local instance), time the first trivial task (the job's set-up on the
    nodes), then `repeat` solves of the whole batch and the dispatch cost; disconnect."""
    start = time.perf_counter()
    ray = ensure_ray(address)
    connect = time.perf_counter() - start
    cpus = int(ray.cluster_resources().get("CPU", 0))
    start = time.perf_counter()
    list(map_ordered(abs, [-1], executor="ray", ray_address=address))
    first_task = time.perf_counter() - start
    runs = []
    results: list[tuple[Any, ...]] = []
    for _ in range(repeat):
        start = time.perf_counter()
        references = solve_references(
            [d.instance for d in batch],
            [d.hint for d in batch],
            time_limit=10.0,
            workers=cpus,
            executor="ray",
            ray_address=address,
            show_progress=False,
        )
        runs.append(time.perf_counter() - start)
        results = [(r.status, r.objective, r.bound) for r in references]
    start = time.perf_counter()
    trivial = list(map_ordered(abs, range(-len(batch), 0), executor="ray", ray_address=address))
    assert trivial == list(range(len(batch), 0, -1))
    dispatch = 1000 * (time.perf_counter() - start) / len(batch)
    shutdown_ray()
    if address is not None:
        ray.shutdown()
    figures = {"cpus": cpus, "connect": connect, "first": first_task, "runs": runs, "dispatch": dispatch}
    return figures | {"results": results}


def in_fresh_process(batch: list[Any], repeat: int, address: str | None) -> dict[str, Any]:
    """`ray_figures` in a new interpreter (spawned), which connects to Ray for the first time."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(ray_figures, batch, repeat, address).result()


def compare_nodes(batch: list[Any], repeat: int) -> None:
    """One Ray node (2 CPUs) vs a two-node loopback cluster (1 + 1 CPUs, the worker without schedbench)."""
    import ray

    from schedbench._loopback_ray import WorkerNode, loopback_cluster, node_virtualenv

    one = in_fresh_process(batch, repeat, None)  # Ray keeps one token per process: each setting gets its own
    ray_bin = node_virtualenv(Path(__file__).resolve().parents[1] / ".venv-raynode", ray.__version__)
    nodes = [WorkerNode(ray_bin, cpus=2)]  # the head (no CPUs) only coordinates
    with loopback_cluster(head_cpus=0, workers=nodes) as cluster:
        os.environ["RAY_AUTH_TOKEN_PATH"] = str(cluster.token_file)
        two = in_fresh_process(batch, repeat, cluster.address)
    for name, figures in (("1 node (local instance)", one), ("head + worker node (loopback cluster)", two)):
        best = min(figures["runs"])
        print(
            f"{name}, {figures['cpus']} CPUs: best {best:.2f} s ({len(batch) / best:.1f} instances/s), runs "
            f"{', '.join(f'{t:.2f}' for t in figures['runs'])}; connect {figures['connect']:.2f} s, "
            f"first task {figures['first']:.2f} s; dispatch {figures['dispatch']:.2f} ms/task"
        )
    same = sum(a == b for a, b in zip(one["results"], two["results"], strict=True))
    print(f"ratio 2 nodes / 1 node: {min(two['runs']) / min(one['runs']):.2f}; identical results {same}/{len(batch)}")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
