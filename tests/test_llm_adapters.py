"""Model adapters against a real HTTP server on 127.0.0.1, through the official SDKs."""

from __future__ import annotations

import asyncio

import pytest

from schedbench.llm import ModelSpecError, get_model, parse_model_args, register_provider, resolve
from schedbench.llm._prices import PriceTable
from schedbench.llm._secrets import redact, safe_url
from schedbench.llm.stub_server import StubReply, StubServer

KEY = "sk-test-DO-NOT-LEAK-0123456789"


@pytest.fixture(autouse=True)
def _keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.delenv("ANTHROPIC_BASE_URL", raising=False)


def _faulty(request):
    """First attempt of each prompt fails as the prompt says; the second answers."""
    if request.attempt == 1:
        if "rate" in request.prompt:
            return StubReply(status=429, retry_after=0.05)
        if "crash" in request.prompt:
            return StubReply(status=500)
        if "cut" in request.prompt:
            return StubReply(text="x" * 200, truncate=True)
    if "never" in request.prompt:
        return StubReply(status=500)
    if "hang" in request.prompt:
        return StubReply(hang=True)
    return StubReply(text=f"echo: {request.prompt}", input_tokens=11, output_tokens=7)


def _ask(model, prompt: str, **params):
    async def ask():
        try:
            return await model.complete(
                [{"role": "system", "content": "be brief"}, {"role": "user", "content": prompt}], **params
            )
        finally:
            await model.aclose()

    return asyncio.run(ask())


@pytest.mark.parametrize("provider", ["openai-compatible", "anthropic"])
def test_adapter_answers_retries_and_reports_rate_limits(provider: str) -> None:
    seen_429: list[float | None] = []
    with StubServer(_faulty) as server:
        url = server.openai_url if provider == "openai-compatible" else server.anthropic_url
        model = get_model(
            f"{provider}/stub",
            base_url=url,
            max_retries=2,
            timeout_s=5,
            on_rate_limit=seen_429.append,
            prices=PriceTable.load(),
        )
        for prompt in ("plain", "rate limited", "crash once", "cut body"):
            done = _ask(model, prompt, temperature=0.0)
            assert done.text == f"echo: {prompt}"
            assert (done.input_tokens, done.output_tokens) == (11, 7)
        assert seen_429 == [0.05]
        assert server.stats.by_status[429] == 1 and server.stats.by_status[500] == 1


@pytest.mark.parametrize("provider", ["openai-compatible", "anthropic"])
def test_bounded_retries_then_error_without_the_key(provider: str) -> None:
    with StubServer(_faulty) as server:
        url = server.openai_url if provider == "openai-compatible" else server.anthropic_url
        model = get_model(f"{provider}/stub", base_url=url, max_retries=1, timeout_s=0.3)
        with pytest.raises(Exception) as failure:
            _ask(model, "never works")
        assert server.stats.by_prompt and max(server.stats.by_prompt.values()) == 2  # one try + one retry
        with pytest.raises(Exception) as timeout:
            _ask(model, "hang forever")
    for exc in (failure.value, timeout.value):
        assert KEY not in str(exc) and KEY not in repr(exc)
    assert KEY not in repr(model)


def test_model_args_pass_through_to_the_wire() -> None:
    bodies: list[dict] = []

    def record(request):
        bodies.append(request.body)
        return "ok"

    with StubServer(record) as server:
        args = parse_model_args(["max_completion_tokens=900", "reasoning_effort=high", "top_k=5"])
        _ask(get_model("openai-compatible/m", base_url=server.openai_url, model_args=args), "q")
        thinking = parse_model_args(["thinking.type=enabled", "thinking.budget_tokens=2000"])
        _ask(get_model("anthropic/c", base_url=server.anthropic_url, model_args=thinking), "q")
    assert bodies[0]["max_completion_tokens"] == 900 and bodies[0]["reasoning_effort"] == "high"
    assert bodies[0]["top_k"] == 5  # unknown to the SDK: sent through extra_body
    assert bodies[1]["thinking"] == {"type": "enabled", "budget_tokens": 2000}
    assert bodies[1]["system"] == "be brief" and bodies[1]["max_tokens"] > 0


def test_longest_prefix_wins_so_exact_specs_do_not_collide() -> None:
    register_provider("baseline/test-mutator", lambda spec, name, opts: ("mutator", spec), offline=True)
    assert get_model("baseline/test-mutator") == ("mutator", "baseline/test-mutator")
    provider, name = resolve("baseline/lft")
    assert provider.prefix == "baseline" and name == "lft"
    assert resolve("replay/some/dir/file.jsonl")[1] == "some/dir/file.jsonl"
    with pytest.raises(ModelSpecError):
        resolve("nosuch/model")
    with pytest.raises(ModelSpecError):
        get_model("openai-compatible/x")  # needs a base URL


def test_missing_key_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY")
    with pytest.raises(ModelSpecError, match="OPENAI_API_KEY"):
        get_model("openai/gpt-4o")


def test_model_args_parse_json_values_and_nest() -> None:
    assert parse_model_args(["a=1", "b=true", "c=text", "d.e=0.5", 'f={"x": [1]}']) == {
        "a": 1,
        "b": True,
        "c": "text",
        "d": {"e": 0.5},
        "f": {"x": [1]},
    }
    with pytest.raises(ValueError):
        parse_model_args(["novalue"])


def test_prices_exact_pattern_and_override(tmp_path) -> None:
    table = PriceTable.load()
    assert table.lookup("openai/gpt-4o").input > 0
    assert table.cost("baseline/lft", 10**6, 10**6) == 0.0
    assert table.lookup("unknown/model") is None
    override = tmp_path / "p.toml"
    override.write_text('["openai-compatible/*"]\ninput = 1.0\noutput = 2.0\n')
    assert PriceTable.load(override).cost("openai-compatible/m", 10**6, 500_000) == pytest.approx(2.0)


def test_redaction() -> None:
    assert KEY not in redact(f"bad key {KEY} here")
    assert "***" in redact("token sk-abcdefghijklmnop leaked")
    assert safe_url("https://user:pw@host:8443/v1?key=abc") == "https://host:8443/v1"


def test_answers_file_and_stats_endpoint(tmp_path) -> None:
    import json
    import urllib.request

    from schedbench.llm.stub_server import answers_script, prompt_digest

    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps({prompt_digest("known question"): "known answer"}))
    with StubServer(answers_script(answers)) as server:
        model = get_model("openai-compatible/stub", base_url=server.openai_url)
        assert _ask(model, "known question").text == "known answer"
        assert _ask(model, "other question").text == "```json\n{}\n```"
        with urllib.request.urlopen(server.url + "/_stats") as response:
            stats = json.load(response)
    assert stats["requests"] == 2 and stats["by_status"] == {"200": 2} and len(stats["by_prompt"]) == 2
