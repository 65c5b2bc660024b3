"""Single-machine total tardiness: the modified due date rule (MDD, Baker & Bertrand 1982).

`schedule(instance)` gets read-only `p` (processing times), `d` (due dates, may be negative) and `w`
(weights), one entry per job, and returns a permutation of the job indices 0..n-1. The machine starts at
time 0 and never idles; the objective is the total tardiness sum of max(0, C_j - d_j).
"""


# EVOLVE-BLOCK-START
def priority(j, t, p, d, remaining):
    """Smaller is earlier: the modified due date max(t + p_j, d_j) of job j at time t."""
    return max(t + p[j], d[j])


def schedule(instance):
    """Repeatedly append the remaining job with the smallest priority."""
    p, d = instance["p"], instance["d"]
    remaining = list(range(len(p)))
    sequence, t = [], 0
    while remaining:
        best = min(remaining, key=lambda j: (priority(j, t, p, d, remaining), d[j], j))
        remaining.remove(best)
        sequence.append(best)
        t += p[best]
    return sequence


# EVOLVE-BLOCK-END
