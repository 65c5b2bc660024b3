"""InputError crosses process boundaries intact (worker pools pickle exceptions)."""

from __future__ import annotations

import pickle
from concurrent.futures import ProcessPoolExecutor

import pytest

from schedbench.errors import InputError


def _fail(source: str) -> None:
    raise InputError(source, "data.tasks.0.duration", "must be non-negative")


def test_input_error_survives_a_worker_process() -> None:
    with ProcessPoolExecutor(max_workers=1) as pool, pytest.raises(InputError) as caught:
        pool.submit(_fail, "suite/instances.jsonl:3").result()
    assert str(caught.value) == "suite/instances.jsonl:3: data.tasks.0.duration: must be non-negative"
    copy = pickle.loads(pickle.dumps(caught.value))
    assert (copy.source, copy.field, copy.message) == (caught.value.source, caught.value.field, caught.value.message)
