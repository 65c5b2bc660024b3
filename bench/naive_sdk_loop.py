"""The floor for the overhead benchmark: an asyncio loop over the official OpenAI SDK that only sends the
requests (same prompts, same server, same concurrency) — no prompts rendered, nothing parsed, verified or stored.

    .venv/bin/python bench/naive_sdk_loop.py BASE_URL PROMPTS_JSON CONCURRENCY
"""

from __future__ import annotations

import asyncio
import json
import sys


async def ask_all(base_url: str, prompts: list[str], concurrency: int) -> int:
    import openai

    client = openai.AsyncOpenAI(base_url=base_url, api_key="unused", http_client=openai.DefaultAioHttpClient())
    gate = asyncio.Semaphore(concurrency)

    async def ask(prompt: str) -> str:
        async with gate:
            reply = await client.chat.completions.create(model="bench", messages=[{"role": "user", "content": prompt}])
            return reply.choices[0].message.content or ""

    try:
        replies = await asyncio.gather(*(ask(p) for p in prompts))
    finally:
        await client.close()
    return sum(bool(r) for r in replies)


def main() -> None:
    base_url, prompts_file, concurrency = sys.argv[1], sys.argv[2], int(sys.argv[3])
    with open(prompts_file, encoding="utf-8") as fh:
        prompts = json.load(fh)
    answered = asyncio.run(ask_all(base_url, prompts, concurrency))
    if answered != len(prompts):
        raise SystemExit(f"{len(prompts) - answered} empty replies")


if __name__ == "__main__":
    main()
