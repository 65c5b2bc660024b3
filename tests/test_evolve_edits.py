"""SEARCH/REPLACE diffs inside the EVOLVE block, whitespace tolerance, rewrites, and program identity."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from schedbench.evolve.edits import EditError, apply_edits, child_from_reply, parse_diffs
from schedbench.evolve.program import (
    ProgramError,
    code_hash,
    evolve_block,
    near_hash,
    similarity,
    split_block,
    with_block,
)

PROGRAM = '''import math

FIXED = 1


# EVOLVE-BLOCK-START
def priority(j, t, p, d, remaining):
    """MDD."""
    return max(t + p[j], d[j])


def schedule(instance):
    return sorted(range(instance["n"]), key=lambda j: priority(j, 0, instance["p"], instance["d"], None))
# EVOLVE-BLOCK-END


def helper():
    return FIXED
'''


def diff(search: str, replace: str) -> str:
    return f"Idea.\n<<<<<<< SEARCH\n{search}\n=======\n{replace}\n>>>>>>> REPLACE\n"


def test_an_exact_diff_changes_only_the_block():
    child, kind = child_from_reply(
        diff("    return max(t + p[j], d[j])", "    return max(t + 1.1 * p[j], d[j])"), PROGRAM
    )
    assert kind == "diff"
    assert "1.1 * p[j]" in evolve_block(child)
    head, _, tail = split_block(child)
    assert (head, tail) == split_block(PROGRAM)[::2]


def test_trailing_whitespace_and_indentation_drift_are_tolerated():
    reply = diff("return max(t + p[j], d[j])   ", "return max(t + 2 * p[j], d[j])\nfoo = 1")
    child, _ = child_from_reply(reply, PROGRAM)
    assert "    return max(t + 2 * p[j], d[j])\n    foo = 1\n" in child
    compile(child, "child", "exec")


def test_several_blocks_apply_in_order():
    reply = diff("    return max(t + p[j], d[j])", "    return max(t + 3 * p[j], d[j])") + diff(
        '    """MDD."""', '    """MDD, inflated."""'
    )
    assert len(parse_diffs(reply)) == 2
    child, _ = child_from_reply(reply, PROGRAM)
    assert "3 * p[j]" in child and "inflated" in child


def test_a_search_outside_the_block_is_refused_with_its_reason():
    with pytest.raises(EditError, match="outside the EVOLVE block"):
        child_from_reply(diff("FIXED = 1", "FIXED = 2"), PROGRAM)


def test_a_search_that_matches_nothing_is_refused_with_its_reason():
    with pytest.raises(EditError, match="not found"):
        child_from_reply(diff("return min(x)", "return max(x)"), PROGRAM)


def test_a_reply_without_edits_or_code_is_refused():
    with pytest.raises(EditError, match="neither"):
        child_from_reply("I think the rule is fine.", PROGRAM)


def test_an_edit_that_changes_nothing_is_refused():
    with pytest.raises(EditError, match="unchanged"):
        child_from_reply(diff("    return max(t + p[j], d[j])", "    return max(t + p[j], d[j])"), PROGRAM)


def test_a_full_rewrite_keeps_the_fixed_frame():
    reply = (
        "Rewrite:\n```python\nFIXED = 99\n# EVOLVE-BLOCK-START\ndef schedule(instance):\n"
        "    return list(range(instance['n']))\n# EVOLVE-BLOCK-END\n```\n"
    )
    child, kind = child_from_reply(reply, PROGRAM, mode="rewrite")
    assert kind == "rewrite"
    assert "FIXED = 1" in child and "FIXED = 99" not in child
    assert evolve_block(child) == "def schedule(instance):\n    return list(range(instance['n']))\n"


def test_diff_mode_falls_back_to_a_rewrite_without_markers():
    child, kind = child_from_reply("```python\ndef schedule(instance):\n    return []\n```", PROGRAM)
    assert kind == "rewrite" and "return []" in evolve_block(child)


def test_programs_without_one_block_are_errors():
    with pytest.raises(ProgramError):
        split_block("def schedule(x):\n    return []\n")
    with pytest.raises(EditError, match="parent program"):
        apply_edits("x = 1\n", parse_diffs(diff("x = 1", "x = 2")))


def test_identity_ignores_formatting_and_comments_but_not_code():
    reformatted = PROGRAM.replace("return max(t + p[j], d[j])", "return max( t+p[j] , d[j] )  # MDD")
    assert code_hash(reformatted) == code_hash(PROGRAM)
    changed = PROGRAM.replace("t + p[j]", "t + 2 * p[j]")
    assert code_hash(changed) != code_hash(PROGRAM)


def test_near_identity_rounds_constants():
    a = PROGRAM.replace("t + p[j]", "t + 1.101 * p[j]")
    b = PROGRAM.replace("t + p[j]", "t + 1.104 * p[j]")
    c = PROGRAM.replace("t + p[j]", "t + 1.3 * p[j]")
    assert near_hash(a) == near_hash(b) != near_hash(c)
    assert similarity(evolve_block(a), evolve_block(b)) > 0.8
    assert similarity(evolve_block(a), "def schedule(instance):\n    return list(range(instance['n']))\n") < 0.2


@given(st.text(max_size=300))
def test_any_reply_either_makes_a_program_or_fails_with_a_reason(reply: str):
    try:
        child, _ = child_from_reply(reply, PROGRAM)
    except EditError as exc:
        assert str(exc)
    else:
        assert split_block(child)[0] == split_block(PROGRAM)[0]


def test_with_block_round_trips():
    assert with_block(PROGRAM, evolve_block(PROGRAM)) == PROGRAM
