"""Helpers for tests of prompt building: readable prompt snapshots of a scripted trial.

A snapshot shows, for one memory mode, the play prompt at attempt 1 and attempt 3, each
at turn 1 (nothing played yet) and at a later turn, and the reflect prompts written after
attempt 1 and attempt 3. Env tests feed it turns recorded from a real env; the package's
own tests feed it plain strings.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from lamer_memory.config import MemoryMode, PromptConfig
from lamer_memory.prompts import build_play_prompt, build_reflect_prompt, render_messages
from lamer_memory.trial_memory import TrialMemory, TurnRecord

UPDATE_SNAPSHOTS_ENV = "LAMER_UPDATE_SNAPSHOTS"
"""Set this environment variable to ``1`` to (re)write snapshot files instead of comparing."""

SNAPSHOT_ATTEMPTS = (0, 2)
"""0-based attempts shown in play snapshots (attempt 1 and attempt 3)."""


def _section(title: str, body: str) -> str:
    return f"{'#' * 8} {title} {'#' * 8}\n{body}"


def play_snapshot(
    initial_observation: str,
    attempts: Sequence[Sequence[TurnRecord]],
    reflections: Sequence[str],
    *,
    rules: str,
    action_format: str,
    mode: MemoryMode,
    later_turn: int,
    config: PromptConfig | None = None,
    available_actions: Sequence[Sequence[Sequence[str]]] | None = None,
) -> str:
    """Play prompts of one mode at attempts 1 and 3, turn 1 and turn ``later_turn + 1``.

    ``attempts[i]`` are the turns of attempt ``i`` (three attempts needed) and
    ``reflections[i]`` the reflection written after it. The later turn uses the first
    ``later_turn`` turns of the attempt (fewer when the attempt ended earlier).
    ``available_actions[i][t]``, when given, lists the actions available before turn
    ``t`` of attempt ``i``.
    """
    config = replace(config or PromptConfig(), mode=mode)
    sections = []
    for attempt in SNAPSHOT_ATTEMPTS:
        for played in (0, min(later_turn, len(attempts[attempt]))):
            memory = TrialMemory(initial_observation)
            for previous in range(attempt):
                for turn in attempts[previous]:
                    memory.record_turn(turn.action, turn.observation, turn.reward)
                memory.end_attempt()
                memory.record_reflection(reflections[previous])
            for turn in attempts[attempt][:played]:
                memory.record_turn(turn.action, turn.observation, turn.reward)
            available = None if available_actions is None else available_actions[attempt][played]
            prompt = build_play_prompt(
                memory,
                rules=rules,
                action_format=action_format,
                config=config,
                available_actions=available,
            )
            title = (
                f"play | mode {mode} | attempt {attempt + 1} | turn {played + 1} | "
                f"{prompt.num_tokens} tokens (approx), {prompt.num_dropped} dropped"
            )
            sections.append(_section(title, render_messages(prompt.messages)))
    return "\n".join(sections)


def reflect_snapshot(
    initial_observation: str,
    attempts: Sequence[Sequence[TurnRecord]],
    reflections: Sequence[str],
    *,
    rules: str,
    action_format: str,
    config: PromptConfig | None = None,
) -> str:
    """Reflect prompts written after attempt 1 and after attempt 3."""
    config = config or PromptConfig()
    memory = TrialMemory(initial_observation)
    sections = []
    for attempt, turns in enumerate(attempts):
        for turn in turns:
            memory.record_turn(turn.action, turn.observation, turn.reward)
        memory.end_attempt()
        if attempt in SNAPSHOT_ATTEMPTS:
            prompt = build_reflect_prompt(
                memory, rules=rules, action_format=action_format, config=config
            )
            title = (
                f"reflect | after attempt {attempt + 1} | "
                f"{prompt.num_tokens} tokens (approx), {prompt.num_dropped} dropped"
            )
            sections.append(_section(title, render_messages(prompt.messages)))
        memory.record_reflection(reflections[attempt])
    return "\n".join(sections)


def check_snapshot(path: Path, text: str) -> None:
    """Assert ``text`` equals the stored snapshot at ``path``.

    With ``LAMER_UPDATE_SNAPSHOTS=1`` the file is (re)written instead. A missing file is
    an error that says how to create it.
    """
    if os.environ.get(UPDATE_SNAPSHOTS_ENV) == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return
    if not path.exists():
        raise AssertionError(
            f"snapshot {path.name} is missing; run the test with {UPDATE_SNAPSHOTS_ENV}=1 "
            "to write it, then review and commit it"
        )
    stored = path.read_text(encoding="utf-8")
    if stored != text:
        diff = difflib.unified_diff(
            stored.splitlines(), text.splitlines(), "stored", "now", lineterm="", n=1
        )
        raise AssertionError(
            f"prompt differs from snapshot {path.name}. If the change is intended, rerun "
            f"with {UPDATE_SNAPSHOTS_ENV}=1 and review the diff.\n" + "\n".join(list(diff)[:80])
        )
