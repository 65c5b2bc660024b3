"""SMTT baselines: dispatching rules for 1‖ΣTj and 1‖ΣwjTj.

Every rule is a plain function `(p, d, w) → order` on int64 numpy arrays, returning job indices in processing
order (weights are ignored by the unweighted rules). `BASELINES` wraps each as instance data → answer
(`{"sequence": [...]}`), the same JSON an LLM must produce; they are the `baseline/<rule>` offline models and
the seeds of heuristic evolution. Ties are broken by EDD order (due date, then processing time, then index).

Rules and sources:
- `edd`, `spt`: earliest due date; shortest processing time.
- `mdd`: modified due date (Baker & Bertrand 1982): append the job minimising max(t + p_j, d_j).
- `eddc`: the LLM-found EDD challenger as in the authors' code: start from SPT order (ties by due date) and
  bubble each job towards the front past earlier-placed jobs with a later due date while that job is early.
  `eddc_edd` is the paper's pseudocode read literally (start from EDD order), offered as the variant; from EDD
  order no pair is out of due-date order, so it returns the EDD sequence.
- `mddc`: the LLM-found MDD challenger (Çetinkaya et al. 2025).
- `aug_mdd`, `aug_mddc`: after each append, the best improving move of one earlier job to the end (Bean &
  Hall 1985 style augmentation), as in the authors' code.
- `psk`: Panwalkar, Smith & Koulamas (1993): SPT list with an "active job" that yields to an earlier-due job.
- `wspt`, `atc` (weighted): weighted shortest processing time; apparent tardiness cost (Vepsalainen &
  Morton 1987) with look-ahead k = 2.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from schedbench.problems.smtt import SmttData

Rule = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]


def edd_order(p: np.ndarray, d: np.ndarray, w: np.ndarray | None = None) -> np.ndarray:
    """Earliest due date first (ties: shorter first, then index)."""
    return np.lexsort((np.arange(len(p)), p, d))


def spt_order(p: np.ndarray, d: np.ndarray, w: np.ndarray | None = None) -> np.ndarray:
    """Shortest processing time first (ties: earlier due date, then index)."""
    return np.lexsort((np.arange(len(p)), d, p))


def wspt_order(p: np.ndarray, d: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Smallest p/w first (Smith's rule; zero weights last); ties by EDD."""
    ratio = np.where(w > 0, p / np.maximum(w, 1), np.inf)
    return np.lexsort((np.arange(len(p)), p, d, ratio))


def _dispatch(
    p: np.ndarray, d: np.ndarray, w: np.ndarray, score: Callable[[int, np.ndarray], np.ndarray], augment: bool = False
) -> np.ndarray:
    """Build a sequence by appending, at time t, the unscheduled job with the smallest score(t, jobs).

    Candidates are kept in EDD order, so argmin ties go to the earliest due date. With `augment`, after each
    append the best improving move of one earlier job to the end of the partial sequence is applied.
    """
    pending = edd_order(p, d)
    sequence: list[int] = []
    t = 0
    while len(pending):
        pick = int(np.argmin(score(t, pending)))
        job = int(pending[pick])
        sequence.append(job)
        pending = np.delete(pending, pick)
        t += int(p[job])
        if augment and len(sequence) > 1:
            sequence = _best_move_to_end(p, d, w, sequence)
    return np.asarray(sequence, dtype=np.int64)


def _best_move_to_end(p: np.ndarray, d: np.ndarray, w: np.ndarray, sequence: list[int]) -> list[int]:
    """The partial sequence after its best improving 'move one job to the end' (vectorised, O(k²))."""
    seq = np.asarray(sequence)
    ps, ds, ws = p[seq], d[seq], w[seq]
    completion = np.cumsum(ps)
    tardy = ws * np.maximum(completion - ds, 0)
    current = int(tardy.sum())
    k = len(seq)
    before = np.concatenate(([0], np.cumsum(tardy)[:-1]))[: k - 1]
    shifted = ws[None, :] * np.maximum(completion[None, :] - ps[: k - 1, None] - ds[None, :], 0)
    after_mask = np.arange(k)[None, :] > np.arange(k - 1)[:, None]
    after = (shifted * after_mask).sum(axis=1)
    moved = ws[: k - 1] * np.maximum(completion[-1] - ds[: k - 1], 0)
    costs = before + after + moved
    best = int(np.argmin(costs))
    if costs[best] >= current:
        return sequence
    return [*sequence[:best], *sequence[best + 1 :], sequence[best]]


def _mdd_score(p: np.ndarray, d: np.ndarray) -> Callable[[int, np.ndarray], np.ndarray]:
    return lambda t, jobs: np.maximum(t + p[jobs], d[jobs])


def _mddc_score(p: np.ndarray, d: np.ndarray) -> Callable[[int, np.ndarray], np.ndarray]:
    def score(t: int, jobs: np.ndarray) -> np.ndarray:
        pj = p[jobs].astype(float)
        mu = np.maximum(1.1 * pj + t, d[jobs])
        rho = np.minimum(pj / max(t + pj.max(), 1e-12), 1.0)
        mu = mu * (1 + rho**2 / (1 + rho**2))
        return mu + pj / max(t + pj.mean(), 1e-12)

    return score


def mdd_order(p: np.ndarray, d: np.ndarray, w: np.ndarray | None = None) -> np.ndarray:
    """Modified due date: append argmin max(t + p_j, d_j)."""
    return _dispatch(p, d, _ones(p, w), _mdd_score(p, d))


def mddc_order(p: np.ndarray, d: np.ndarray, w: np.ndarray | None = None) -> np.ndarray:
    """MDD challenger: μ = max(1.1p + t, d)·(1 + θ) + p/(t + mean p), θ = ρ²/(1 + ρ²), ρ = min(p/(t + max p), 1)."""
    return _dispatch(p, d, _ones(p, w), _mddc_score(p, d))


def aug_mdd_order(p: np.ndarray, d: np.ndarray, w: np.ndarray | None = None) -> np.ndarray:
    """MDD with the move-to-end improvement after every append."""
    return _dispatch(p, d, _ones(p, w), _mdd_score(p, d), augment=True)


def aug_mddc_order(p: np.ndarray, d: np.ndarray, w: np.ndarray | None = None) -> np.ndarray:
    """MDDC with the move-to-end improvement after every append."""
    return _dispatch(p, d, _ones(p, w), _mddc_score(p, d), augment=True)


def eddc_order(p: np.ndarray, d: np.ndarray, w: np.ndarray | None = None, start: str = "spt") -> np.ndarray:
    """EDD challenger: from SPT order (or EDD with start="edd"), for each position i walk j = i..1 while
    d[S[j]] < d[S[j−1]], swapping S[j−1] and S[j] when S[j−1] is early (d[S[j−1]] > its completion time)."""
    seq = [int(x) for x in (spt_order(p, d) if start == "spt" else edd_order(p, d))]
    pl, dl = p.tolist(), d.tolist()
    prefix = [0, *np.cumsum(p[seq]).tolist()]  # prefix[j] = completion time of seq[j − 1]
    for i in range(1, len(seq)):
        j = i
        while j > 0 and dl[seq[j]] < dl[seq[j - 1]]:
            if dl[seq[j - 1]] > prefix[j]:
                seq[j], seq[j - 1] = seq[j - 1], seq[j]
                prefix[j] = prefix[j - 1] + pl[seq[j - 1]]
            j -= 1
    return np.asarray(seq, dtype=np.int64)


def eddc_edd_order(p: np.ndarray, d: np.ndarray, w: np.ndarray | None = None) -> np.ndarray:
    """The EDDC pseudocode read literally, starting from EDD order (equals EDD)."""
    return eddc_order(p, d, w, start="edd")


def psk_order(p: np.ndarray, d: np.ndarray, w: np.ndarray | None = None) -> np.ndarray:
    """Panwalkar–Smith–Koulamas: scan the SPT list from the first unscheduled job (the active job i).

    If i is late when started now, schedule it. Otherwise compare with each later job j in SPT order: if
    d_i ≤ t + p_j, schedule i; if d_j < d_i, j becomes the active job; when the list ends, schedule the active job.
    """
    pending = spt_order(p, d)
    sequence: list[int] = []
    t = 0
    while len(pending):
        active = 0
        if t + p[pending[0]] < d[pending[0]]:
            start = 1
            while start < len(pending):  # jump to the next job that stops the scan or takes over
                due = d[pending[active]]
                rest = pending[start:]
                stop = due <= t + p[rest]
                hits = np.flatnonzero(stop | (d[rest] < due))
                if not len(hits) or stop[hits[0]]:
                    break
                active = start + int(hits[0])
                start = active + 1
        job = int(pending[active])
        sequence.append(job)
        pending = np.delete(pending, active)
        t += int(p[job])
    return np.asarray(sequence, dtype=np.int64)


def atc_order(p: np.ndarray, d: np.ndarray, w: np.ndarray, k: float = 2.0) -> np.ndarray:
    """Apparent tardiness cost: append argmax (w/p)·exp(−max(d − p − t, 0)/(k·mean p))."""
    scale = k * max(float(p.mean()), 1e-9)

    def score(t: int, jobs: np.ndarray) -> np.ndarray:
        slack = np.maximum(d[jobs] - p[jobs] - t, 0) / scale
        return -(w[jobs] / np.maximum(p[jobs], 1e-9)) * np.exp(-slack)

    return _dispatch(p, d, w, score)


def _ones(p: np.ndarray, w: np.ndarray | None) -> np.ndarray:
    return np.ones_like(p) if w is None else w


RULES: dict[str, Rule] = {
    "edd": edd_order,
    "spt": spt_order,
    "mdd": mdd_order,
    "eddc": eddc_order,
    "eddc_edd": eddc_edd_order,
    "mddc": mddc_order,
    "aug_mdd": aug_mdd_order,
    "aug_mddc": aug_mddc_order,
    "psk": psk_order,
    "wspt": wspt_order,
    "atc": atc_order,
}
"""Every rule by name; `wspt` and `atc` are meant for weighted instances but run on any."""


def sequence_for(data: SmttData, rule: str) -> list[str]:
    """Job ids in the order the named rule processes them."""
    p, d, w = data.arrays()
    return [data.jobs[i].id for i in RULES[rule](p, d, w)]


def _baseline(rule: str) -> Callable[[SmttData], dict[str, object]]:
    def baseline(data: SmttData) -> dict[str, object]:
        return {"sequence": sequence_for(data, rule)}

    baseline.__doc__ = RULES[rule].__doc__
    baseline.__name__ = f"baseline_{rule}"
    return baseline


BASELINES = {name: _baseline(name) for name in RULES}
