"""The floor for the overhead benchmark: an asyncio loop over the official OpenAI SDK that only sends the
requests (same prompts, same server, same concurrency) — no prompts rendered, nothing parsed, verified or stored.
With TURNS > 1 each prompt becomes a conversation of TURNS requests, one after the other, each appending the
reply and a fixed "try again" turn: the floor for a multi-turn strategy (bench/repair_overhead.py).

    .venv/bin/python bench/naive_sdk_loop.py BASE_URL PROMPTS_JSON CONCURRENCY [TURNS]
"""

from __future__ import annotations

import asyncio
import json
import sys

RETRY = "That is not correct. Please try again."


async def ask_all(base_url: str, prompts: list[str], concurrency: int, turns: int = 1) -> int:
    import openai

    client = openai.AsyncOpenAI(base_url=base_url, api_key="unused", http_client=openai.DefaultAioHttpClient())
    gate = asyncio.Semaphore(concurrency)

    async def ask(prompt: str) -> str:
        messages = [{"role": "user", "content": prompt}]
        text = ""
        async with gate:
            for turn in range(turns):
                if turn:
                    messages += [{"role": "assistant", "content": text}, {"role": "user", "content": RETRY}]
                reply = await client.chat.completions.create(model="bench", messages=messages)
                text = reply.choices[0].message.content or ""
        return text

    try:
        replies = await asyncio.gather(*(ask(p) for p in prompts))
    finally:
        await client.close()
    return sum(bool(r) for r in replies)


def main() -> None:
    base_url, prompts_file, concurrency = sys.argv[1], sys.argv[2], int(sys.argv[3])
    turns = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    with open(prompts_file, encoding="utf-8") as fh:
        prompts = json.load(fh)
    answered = asyncio.run(ask_all(base_url, prompts, concurrency, turns))
    if answered != len(prompts):
        raise SystemExit(f"{len(prompts) - answered} empty replies")


if __name__ == "__main__":
    main()
