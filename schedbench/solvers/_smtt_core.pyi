"""Signatures of the compiled SMTT core (`_smtt_core.c`); job data are sequences of ints, orders job indices."""

from collections.abc import Sequence

def solve(
    p: Sequence[int], d: Sequence[int], work_limit: int, upper: int = -1, /
) -> tuple[bool, int, list[int] | None, int, int]: ...
def improve(
    p: Sequence[int],
    d: Sequence[int],
    w: Sequence[int],
    sequence: Sequence[int],
    window: int = 50,
    work_limit: int = 100_000_000,
    /,
) -> tuple[list[int], int, int]: ...
def mdd(p: Sequence[int], d: Sequence[int], /) -> list[int]: ...
def solve_weighted(
    p: Sequence[int],
    d: Sequence[int],
    w: Sequence[int],
    pred_masks: Sequence[int],
    start_sequence: Sequence[int],
    work_limit: int,
    max_states: int = 20_000_000,
    /,
) -> tuple[bool, int, list[int], int, int]: ...
