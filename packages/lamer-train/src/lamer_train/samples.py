"""Sampled trials as people read them: a text transcript and a self-contained HTML page.

A page shows a few trials of *different* tasks (one per group first), a summary table on
top, and per turn the action, the env reward, the row's return (discounted cross-attempt
return) and its advantage (the estimator's output that scales the policy gradient), and
per attempt the reflection the agent was given.

``returns`` and ``advantages`` are per training row of the whole rollout, in the order
rows are built (every trial's turns, in order), as the trainer computes them.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from lamer_core.records import Trial, Turn

ReflectionReader = Callable[[str], tuple[str, bool]]
"""``response -> (reflection text, is_valid)``, as the trial loop reads reflections."""


@dataclass(frozen=True, slots=True)
class SampleTrial:
    """One trial to show, with the return and advantage of each of its turns (or None)."""

    trial: Trial
    returns: list[float] | None = None
    advantages: list[float] | None = None

    def values(self, index: int) -> tuple[float | None, float | None]:
        ret = None if self.returns is None else self.returns[index]
        adv = None if self.advantages is None else self.advantages[index]
        return ret, adv


def pick_trials(trials: Sequence[Trial], limit: int) -> list[int]:
    """Indices of up to ``limit`` trials, one per task (group) first, in group order; a
    second trial of a task only when there are fewer tasks than ``limit``."""
    by_group: dict[int, list[int]] = {}
    for index, trial in enumerate(trials):
        by_group.setdefault(trial.group_id, []).append(index)
    picked: list[int] = []
    depth = 0
    while len(picked) < min(limit, len(trials)):
        for members in by_group.values():
            if depth < len(members) and len(picked) < limit:
                picked.append(members[depth])
        depth += 1
    return picked


def sample_trials(
    trials: Sequence[Trial],
    limit: int,
    returns: Sequence[float] | None = None,
    advantages: Sequence[float] | None = None,
) -> list[SampleTrial]:
    """The trials :func:`pick_trials` chooses, each with its rows' returns and advantages."""
    rows = sum(len(t.turns) for t in trials)
    for name, values in (("returns", returns), ("advantages", advantages)):
        if values is not None and len(values) != rows:
            raise ValueError(f"{name} has {len(values)} values, the trials have {rows} rows")
    starts, position = [], 0
    for trial in trials:
        starts.append(position)
        position += len(trial.turns)

    def cut(values: Sequence[float] | None, index: int) -> list[float] | None:
        if values is None:
            return None
        start = starts[index]
        return [float(v) for v in values[start : start + len(trials[index].turns)]]

    return [
        SampleTrial(trials[i], cut(returns, i), cut(advantages, i))
        for i in pick_trials(trials, limit)
    ]


def _outcome(trial: Trial) -> str:
    return "not solved" if trial.won_at is None else f"solved in attempt {trial.won_at + 1}"


def _number(value: float | None, sign: bool = False) -> str:
    if value is None:
        return "-"
    return f"{value:+.3f}" if sign else f"{value:.3f}"


def _given_reflection(trial: Trial, attempt: int, read: ReflectionReader | None) -> str | None:
    """The reflection the agent carried into ``attempt`` (None: no reflect turn)."""
    for turn in trial.turns:
        if turn.phase == "reflect" and turn.attempt == attempt:
            if read is None:
                return turn.response.strip()
            text, valid = read(turn.response)
            return text if valid else "(invalid reflection: its text reads as empty)"
    return None


def _attempt_reward(trial: Trial, attempt: int) -> float:
    return sum(t.reward for t in trial.attempt_turns(attempt, "play"))


def _turn_head(turn: Turn) -> str:
    if turn.phase == "reflect":
        return f"reflection before attempt {turn.attempt + 1}"
    return f"attempt {turn.attempt + 1}, turn {turn.turn + 1}: action {turn.action!r}"


# -- text ---------------------------------------------------------------------------------
def trials_as_text(samples: Sequence[SampleTrial], read: ReflectionReader | None = None) -> str:
    """Readable transcript: per turn the prompt, the response, reward, return, advantage."""
    out: list[str] = []
    for sample in samples:
        trial = sample.trial
        out.append(
            f"=== task {trial.group_id} (seed {trial.seed}), trial {trial.trial_id}: "
            f"{_outcome(trial)}"
        )
        for index, turn in enumerate(trial.turns):
            ret, adv = sample.values(index)
            head = f"--- {_turn_head(turn)} | reward {turn.reward:g}"
            if ret is not None or adv is not None:
                head += f" | return {_number(ret)} | advantage {_number(adv, sign=True)}"
            head += f" | valid {turn.action_is_valid}"
            if turn.won:
                head += " | won"
            out.append(head)
            given = _given_reflection(trial, turn.attempt, read)
            if turn.phase == "play" and given is not None:
                out.append(f"[reflection given] {given}")
            out += ["[prompt]", turn.prompt, "[response]", turn.response, ""]
    return "\n".join(out)


# -- HTML ---------------------------------------------------------------------------------
_CSS = """body{font-family:sans-serif;max-width:1100px;margin:auto;padding:0 8px}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ccc;padding:3px 8px;
text-align:right}td:first-child,th:first-child{text-align:left}
.turn{border:1px solid #ccc;margin:6px 0;padding:6px}.reflect{background:#fff8e1}
.play{background:#f5f9ff}pre{white-space:pre-wrap;margin:2px 0}
.given{background:#fff3c4;border-left:4px solid #e0a800;padding:4px 8px;margin:4px 0}
.vals{font-family:monospace}details summary{cursor:pointer;color:#555}
.bad{color:#b00}.won{color:#080;font-weight:bold}.muted{color:#666}"""


def _summary_table(samples: Sequence[SampleTrial]) -> str:
    esc = html.escape
    rows = [
        "<table><tr><th>task (group)</th><th>env seed</th><th>trial</th><th>result</th>"
        "<th>reward per attempt</th><th>responses</th><th>invalid</th>"
        "<th>advantage mean [min, max]</th></tr>"
    ]
    for sample in samples:
        trial = sample.trial
        rewards = " / ".join(f"{_attempt_reward(trial, a):g}" for a in range(trial.num_attempts))
        invalid = sum(not t.action_is_valid for t in trial.turns)
        if sample.advantages:
            adv = sample.advantages
            spread = f"{sum(adv) / len(adv):+.3f} [{min(adv):+.3f}, {max(adv):+.3f}]"
        else:
            spread = "-"
        css = "won" if trial.won_at is not None else "bad"
        rows.append(
            f"<tr><td><a href='#trial-{trial.trial_id}'>{trial.group_id}</a></td>"
            f"<td>{trial.seed}</td><td>{trial.trial_id}</td>"
            f"<td class='{css}'>{esc(_outcome(trial))}</td><td>{rewards}</td>"
            f"<td>{len(trial.turns)}</td><td>{invalid}</td><td class='vals'>{spread}</td></tr>"
        )
    rows.append("</table>")
    return "\n".join(rows)


def trials_as_html(
    samples: Sequence[SampleTrial],
    title: str = "trajectories",
    read: ReflectionReader | None = None,
) -> str:
    """Self-contained HTML: summary table, then every trial turn by turn (prompts folded)."""
    esc = html.escape
    parts = [f"<!doctype html><meta charset='utf-8'><title>{esc(title)}</title>"]
    parts.append(f"<style>{_CSS}</style><h1>{esc(title)}</h1>")
    parts.append(
        "<p class='muted'>One trial per task first. <b>return</b>: the row's discounted "
        "cross-attempt return; <b>advantage</b>: the estimator's output for the row (what "
        "the policy-gradient update multiplies); reflect turns are training rows too.</p>"
    )
    parts.append(_summary_table(samples))
    for sample in samples:
        trial = sample.trial
        css = "won" if trial.won_at is not None else "bad"
        parts.append(
            f"<h2 id='trial-{trial.trial_id}'>task {trial.group_id} (seed {trial.seed}), "
            f"trial {trial.trial_id}: <span class='{css}'>{esc(_outcome(trial))}</span></h2>"
        )
        shown_attempt = -1
        for index, turn in enumerate(trial.turns):
            if turn.attempt != shown_attempt:  # a reflect turn opens the attempt it prepares
                shown_attempt = turn.attempt
                reward = _attempt_reward(trial, turn.attempt)
                parts.append(f"<h3>attempt {turn.attempt + 1} (reward {reward:g})</h3>")
            parts.append(_turn_html(sample, index, turn, read))
    return "\n".join(parts)


def _turn_html(sample: SampleTrial, index: int, turn: Turn, read: ReflectionReader | None) -> str:
    esc = html.escape
    ret, adv = sample.values(index)
    if turn.phase == "reflect":
        head = f"reflection before attempt {turn.attempt + 1}"
    else:
        head = (
            f"turn {turn.turn + 1} · action <b>{esc(str(turn.action))}</b> · reward {turn.reward:g}"
        )
        if turn.won:
            head += " · <span class='won'>won</span>"
    if not turn.action_is_valid:
        head += " · <span class='bad'>invalid</span>"
    if ret is not None or adv is not None:
        head += f" · <span class='vals'>return {_number(ret)} · advantage {_number(adv, sign=True)}</span>"
    given = _given_reflection(sample.trial, turn.attempt, read)
    if turn.phase == "reflect":
        note = (
            f"<div class='given'>carried into attempt {turn.attempt + 1}: {esc(given or '')}</div>"
        )
    elif given is not None:
        note = f"<div class='given'>reflection given: {esc(given)}</div>"
    else:
        note = ""
    return (
        f"<div class='turn {turn.phase}'>{head}{note}"
        f"<details><summary>prompt</summary><pre>{esc(turn.prompt)}</pre></details>"
        f"<div class='muted'>response</div><pre>{esc(turn.response)}</pre></div>"
    )
