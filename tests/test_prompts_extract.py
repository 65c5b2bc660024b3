"""Answer extraction: last fitting JSON object, fenced or bare; duplicates stay visible; never raises."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schedbench.problems import get_family
from schedbench.prompts import AnswerShape, answer_shape, extract_answer

RCPSP = answer_shape("rcpsp", "plan")
TIME = answer_shape("asyncplan", "time")


def test_fenced_answer_after_prose_and_a_draft() -> None:
    reply = (
        'First I try {"starts": {"T1": 9}} but T1 is too late.\nFinal:\n```json\n'
        '{"starts": {"T1": 0, "T2": 4}}\n```\nDone {not json}.'
    )
    assert extract_answer(reply, RCPSP).answer == {"starts": {"T1": 0, "T2": 4}}


def test_bare_answer_and_an_answer_wrapped_in_another_object() -> None:
    assert extract_answer('answer: {"infeasible": true}', RCPSP).answer == {"infeasible": True}
    assert extract_answer('{"result": {"makespan": 17}, "note": "ok"}', TIME).answer == {"makespan": 17}


def test_reasons_for_parse_errors() -> None:
    assert extract_answer("", RCPSP).error == "empty reply"
    assert extract_answer(None, RCPSP).error == "empty reply"
    assert extract_answer("I think T1 goes first.", RCPSP).error == "no JSON object in the reply"
    error = extract_answer('{"schedule": {"T1": 0}}', RCPSP).error
    assert error is not None and "infeasible or starts" in error
    assert "makespan" in extract_answer('{"time": 3}', TIME).error


def test_values_are_not_coerced_so_the_verifier_judges_them() -> None:
    found = extract_answer('```json\n{"starts": {"T1": -2, "T2": "soon", "T3": 1.5}}\n```', RCPSP).answer
    assert found == {"starts": {"T1": -2, "T2": "soon", "T3": 1.5}}


def test_repeated_keys_reach_the_verifier_as_duplicates() -> None:
    from schedbench.problems.rcpsp import RcpspData

    data = RcpspData.model_validate(
        {
            "horizon": 20,
            "resources": [{"id": "R1", "capacity": 1}],
            "tasks": [{"id": "T1", "duration": 2}, {"id": "T2", "duration": 3}],
        }
    )
    found = extract_answer('{"starts": {"T1": 0, "T2": 2, "T1": 5}}', RCPSP).answer
    assert found is not None and found["starts"] == [["T1", 0], ["T2", 2], ["T1", 5]]
    result = get_family("rcpsp").verify(data, found, None)
    assert "duplicate" in result.violation_types() and not result.feasible


def test_pathological_text_does_not_raise() -> None:
    deep = '{"starts": ' + "[" * 100_000 + "]" * 100_000 + "}"
    assert not extract_answer(deep, RCPSP).ok
    assert extract_answer("{" * 200_000, RCPSP).error == "no JSON object in the reply"


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_arbitrary_text_never_raises(text: str) -> None:
    result = extract_answer(text, RCPSP)
    assert (result.answer is None) != (result.error is None)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=10,
)


@settings(max_examples=200, deadline=None)
@given(
    st.text(max_size=40).filter(lambda s: "{" not in s),
    json_values,
    st.text(max_size=40).filter(lambda s: "{" not in s),
)
def test_an_embedded_answer_is_found_whatever_surrounds_it(before: str, starts, after: str) -> None:
    answer = {"starts": starts}
    result = extract_answer(f"{before}```json\n{json.dumps(answer)}\n```{after}", RCPSP)
    assert result.answer == answer


def test_shape_with_required_fields() -> None:
    shape = AnswerShape(frozenset({"starts", "agents"}), frozenset({"starts"}))
    assert shape.fits({"starts": {}}) and not shape.fits({"agents": {}}) and not shape.fits([1])


def test_an_id_named_like_a_field_does_not_shadow_the_answer() -> None:
    reply = '```json\n{"starts": {"starts": 3, "T2": 0}}\n```'
    assert extract_answer(reply, RCPSP).answer == {"starts": {"starts": 3, "T2": 0}}
    two = 'draft {"starts": {"T1": 1}} then final [{"starts": {"T1": 2}}] end'
    assert extract_answer(two, RCPSP).answer == {"starts": {"T1": 2}}


def test_a_reply_over_the_cap_is_its_own_parse_error() -> None:
    from schedbench.prompts._extract import MAX_REPLY_CHARS

    reply = "x" * MAX_REPLY_CHARS + '{"starts": {"T1": 0}}'
    error = extract_answer(reply, RCPSP).error
    assert error is not None and error.startswith("reply too long")


class CountingDecoder(json.JSONDecoder):
    """Counts the characters handed to the decoder (from the start position to the end of the text)."""

    def __init__(self) -> None:
        from schedbench.prompts._extract import _object_pairs

        super().__init__(object_pairs_hook=_object_pairs)
        self.read = 0

    def raw_decode(self, s, idx=0):
        self.read += len(s) - idx
        return super().raw_decode(s, idx)


CRAFTED = {
    "braces": "{" * 300_000,
    "keys_without_colons": '{"a{"' * 60_000,
    "broken_nests": ('{"a": {"b": ' * 50 + "x ") * 1_000,
    "unterminated_strings": ('{"a": "' + "x" * 1000) * 300,
    "drafts": 'Try {"starts": {"T1": 0, "T2": 5}} no. ' * 8_000,
}


@pytest.mark.parametrize("name", sorted(CRAFTED))
def test_extraction_reads_each_character_a_bounded_number_of_times(name, monkeypatch) -> None:
    from schedbench.prompts import _extract

    decoder = CountingDecoder()
    monkeypatch.setattr(_extract, "_DECODER", decoder)
    reply = CRAFTED[name] + ' {"starts": {"T1": 7}}'
    assert extract_answer(reply, RCPSP).answer == {"starts": {"T1": 7}}
    assert decoder.read <= 8 * len(reply), decoder.read / len(reply)
