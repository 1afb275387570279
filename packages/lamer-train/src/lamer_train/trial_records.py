"""Every evaluation trial as one JSON line, for analyses that need all of them.

The HTML/text samples (:mod:`lamer_train.samples`) show a few trials for people to read;
these files keep every trial of an evaluation, without prompts or token ids (small
enough to keep for each evaluation): per turn the attempt, phase, action, response,
reward, validity and, for reflect turns, the reflection as the next attempt read it.
``lamer-train experiment`` computes diversity and picks reflections from them.

Layout: ``<run>/eval_trials/<name>.jsonl`` (``name`` as the samples', e.g.
``eval_iter_000006_held_out``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lamer_core.records import Trial
from lamer_train.checkpoint_files import write_text_atomic
from lamer_train.samples import ReflectionReader

EVAL_TRIALS = "eval_trials"


def trial_record(trial: Trial, read_reflection: ReflectionReader | None = None) -> dict[str, Any]:
    """One trial as a JSON-ready mapping (see the module docstring)."""
    turns = []
    for turn in trial.turns:
        entry: dict[str, Any] = {
            "attempt": turn.attempt,
            "phase": turn.phase,
            "turn": turn.turn,
            "action": turn.action,
            "response": turn.response,
            "reward": turn.reward,
            "won": turn.won,
            "valid": turn.action_is_valid,
        }
        if turn.phase == "reflect":
            text, valid = (
                read_reflection(turn.response) if read_reflection else (turn.response, True)
            )
            entry["reflection"] = text if valid else ""
        turns.append(entry)
    return {
        "group_id": trial.group_id,
        "trial_id": trial.trial_id,
        "seed": trial.seed,
        "won_at": trial.won_at,
        "turns": turns,
    }


def write_trial_records(
    run_dir: Path,
    name: str,
    trials: Sequence[Trial],
    read_reflection: ReflectionReader | None = None,
) -> Path:
    """``<run_dir>/eval_trials/<name>.jsonl``, replaced atomically; returns its path."""
    folder = Path(run_dir) / EVAL_TRIALS
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.jsonl"
    lines = [json.dumps(trial_record(t, read_reflection)) + "\n" for t in trials]
    write_text_atomic(path, "".join(lines))
    return path


def eval_trial_files(run_dir: Path, set_name: str) -> dict[int, Path]:
    """``{iteration: path}`` of every evaluation of one eval set written in ``run_dir``
    (iteration 0 = before training)."""
    pattern = re.compile(rf"eval_iter_(\d+)_{re.escape(set_name)}\.jsonl")
    files = {}
    for path in (Path(run_dir) / EVAL_TRIALS).glob("eval_iter_*.jsonl"):
        match = pattern.fullmatch(path.name)
        if match:
            files[int(match.group(1))] = path
    return files


@dataclass(frozen=True, slots=True)
class TrialRecord:
    """A trial read back: its task, outcome and, per attempt, the play actions and the
    reflection the attempt was given (``None`` for the first attempt or without one)."""

    group_id: int
    trial_id: int
    seed: int
    won_at: int | None
    actions: tuple[tuple[str, ...], ...]
    """Per attempt played, its canonical actions in order."""
    reflections: tuple[str | None, ...]
    """Per attempt played, the reflection it was given."""

    @property
    def num_attempts(self) -> int:
        return len(self.actions)


def read_trial_records(path: Path) -> list[TrialRecord]:
    """The trials of a :func:`write_trial_records` file."""
    records = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        raw = json.loads(line)
        attempts = 1 + max((t["attempt"] for t in raw["turns"]), default=-1)
        actions: list[list[str]] = [[] for _ in range(attempts)]
        reflections: list[str | None] = [None] * attempts
        for turn in raw["turns"]:
            if turn["phase"] == "play":
                actions[turn["attempt"]].append(str(turn["action"]))
            else:
                reflections[turn["attempt"]] = turn.get("reflection") or None
        records.append(
            TrialRecord(
                group_id=raw["group_id"],
                trial_id=raw["trial_id"],
                seed=raw["seed"],
                won_at=raw["won_at"],
                actions=tuple(tuple(a) for a in actions),
                reflections=tuple(reflections),
            )
        )
    return records
