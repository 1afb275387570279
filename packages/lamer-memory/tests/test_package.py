"""Package-level contracts: light imports, picklable memory (for env worker processes)."""

from __future__ import annotations

import pickle
import subprocess
import sys

from lamer_memory import PromptConfig, TrialMemory, play_messages


def test_import_pulls_in_neither_envs_nor_torch():
    code = (
        "import sys, lamer_memory; "
        "bad = [m for m in ('lamer_envs', 'torch', 'transformers', 'gymnasium') if m in sys.modules]; "
        "print(bad)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_memory_survives_pickling_with_the_same_prompt():
    memory = TrialMemory("start")
    memory.record_turn("up", "s1", -0.1)
    memory.end_attempt()
    memory.record_reflection("go left")
    memory.record_turn(None, "s2", -0.1)
    config = PromptConfig(mode="history_and_reflection")
    before = play_messages(memory, rules="r", action_format="f", config=config)
    copy = pickle.loads(pickle.dumps(memory))
    assert (copy.attempt, copy.turn) == (1, 1)
    assert play_messages(copy, rules="r", action_format="f", config=config) == before
