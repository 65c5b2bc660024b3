"""The local server's script for bench/repair_overhead.py: every conversation answers wrong twice (each start
at 0, which breaks the instance's precedences and capacities), then with the reference schedule.

Replies are looked up by the digest of the conversation's question in the JSON file named by
`SCHEDBENCH_REPAIR_ANSWERS` ({digest: [wrong reply, right reply]})."""

from __future__ import annotations

import json
import os
from functools import cache

from schedbench.llm.stub_server import StubReply, StubRequest, prompt_digest

WRONG_TURNS = 2


@cache
def _answers() -> dict[str, list[str]]:
    with open(os.environ["SCHEDBENCH_REPAIR_ANSWERS"], encoding="utf-8") as fh:
        return json.load(fh)


def answer(request: StubRequest) -> StubReply:
    """Wrong for the first WRONG_TURNS answers of a conversation, right afterwards."""
    wrong, right = _answers().get(prompt_digest(request.question), ["```json\n{}\n```"] * 2)
    return StubReply(text=wrong if request.turn <= WRONG_TURNS else right)
