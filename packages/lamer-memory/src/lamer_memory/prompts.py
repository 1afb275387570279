"""What the agent sees: the play prompt of every turn and the reflect prompt between attempts.

Both prompts are env-agnostic: the env contributes its ``rules`` text, its
``action_format`` text and its observations; everything else is written here.

Play prompt (one per turn)::

    system: role (from attempt 2 on, with memory: that attempts restart the task), rules,
            action format
    user:   initial state
            earlier attempts (per memory mode: reflections and/or their turns)
            this attempt so far (action + reward per turn; the resulting state only for
              the last ``history_window`` turns)
            current state
            counters (turn t of T; from attempt 2 on, with memory, also attempt k of N)
            and the answer format: brief reasoning, then the action inside <action></action>

The first attempt's prompt is the same text whatever the memory mode and the number of
attempts, so LaMer and the single-attempt baselines are scored on the same first prompt.

Reflect prompt (after a failed attempt)::

    system: role, rules, action format
    user:   initial state, the whole attempt (every turn with its state), the fact that
            it failed, and the request: diagnose the mistakes, then a concise new plan
            inside <remark></remark>

When a prompt would exceed ``config.max_prompt_tokens``, the oldest material is dropped
first (see :mod:`lamer_memory.budget`): states of older turns of this attempt, states of
earlier attempts, earlier attempts' turns, older reflections, then this attempt's older
turn lines. The rules, the initial and current state, the latest reflection and the
answer format are always kept.

Messages are ``[{"role": "system", ...}, {"role": "user", ...}]``; engines apply the
chat template.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from lamer_memory.budget import Drop, TokenCounter, approx_token_count, fit_parts
from lamer_memory.config import PromptConfig
from lamer_memory.trial_memory import AttemptRecord, TrialMemory, TurnRecord

Message = dict[str, str]

# -- the texts (our own words) -------------------------------------------------------------
SINGLE_ATTEMPT_ROLE = "You are an agent that solves a task by acting in a text environment."
MULTI_ATTEMPT_ROLE = (
    "You are an agent that solves a task by acting in a text environment. You get "
    "several attempts at the same task, and every attempt starts again from the same "
    "initial state, so what you learn in one attempt helps in the next."
)
SYSTEM_TEMPLATE = "{role}\n\n# Rules\n{rules}\n\n# Action format\n{action_format}"

PLAY_INSTRUCTION = (
    "First reason briefly about the current state and what to do next. Then write your "
    "action inside <action></action>, exactly as the action format says."
)
PLAY_INSTRUCTION_WITH_MEMORY = "Use what you learned in your earlier attempts. " + PLAY_INSTRUCTION
REFLECT_INSTRUCTION = (
    "Look back at this attempt. Point out the mistakes or missed chances and why they "
    "happened. Then write a concise new plan for the next attempt, which starts again "
    "from the initial state, naming the specific actions to take. End your answer with "
    "the diagnosis and the plan inside <remark></remark>: only the text inside the tags "
    "is kept for the next attempt, so keep it short (a few sentences)."
)
ATTEMPT_FAILED = "This attempt ended without solving the task."
NO_TURNS = "No turns were played."
AVAILABLE_ACTIONS = "Actions available now: "
NO_VALID_ACTION = "(no valid action)"
NO_REFLECTION = "(no usable reflection was written)"
TURNS_LEFT_OUT = "(turns left out for length)\n"
REFLECTION_LEFT_OUT = "(reflection left out for length)\n"
EARLIER_TURNS_LEFT_OUT = "(earlier turns left out for length)\n"
OLDER_STATES_OMITTED = "(states after the older turns are not repeated)\n"
CURRENT_IS_INITIAL = "The initial state above (no turn played yet in this attempt)."


@lru_cache(maxsize=4096)
def _reward_text(reward: float) -> str:
    # Rewards take few distinct values; formatting floats is the costliest step here.
    return f"{reward:g}"


def _turn_line(number: int, turn: TurnRecord) -> str:
    action = NO_VALID_ACTION if turn.action is None else turn.action
    # "+ 0.0" folds -0.0 into 0.0: they share a cache key, so the text must not differ.
    return f"Turn {number}: {action} (reward {_reward_text(turn.reward + 0.0)})\n"


def _state_after(number: int, observation: str) -> str:
    return f"State after turn {number}:\n{observation}\n"


@lru_cache(maxsize=256)
def system_message(rules: str, action_format: str, multi_attempt: bool = True) -> str:
    """The system message: role, the env's rules and its action format."""
    role = MULTI_ATTEMPT_ROLE if multi_attempt else SINGLE_ATTEMPT_ROLE
    return SYSTEM_TEMPLATE.format(
        role=role, rules=rules.strip(), action_format=action_format.strip()
    )


@lru_cache(maxsize=64)
def _cached_count(count_tokens: TokenCounter, text: str) -> int:
    return count_tokens(text)


def _count_fixed(count_tokens: TokenCounter, text: str) -> int:
    """Token count of the (rarely changing) system message, memoised when possible."""
    try:
        return _cached_count(count_tokens, text)
    except TypeError:  # unhashable counter object
        return count_tokens(text)


@dataclass(frozen=True, slots=True)
class Prompt:
    """A built prompt and how it was fitted to the budget."""

    messages: list[Message]
    """``[{"role": "system", "content": ...}, {"role": "user", "content": ...}]``."""
    num_tokens: int
    """Tokens of all message contents, per the counter used."""
    num_dropped: int
    """How many pieces of older material were dropped to fit the budget."""
    fits: bool
    """The prompt is within ``max_prompt_tokens`` (False only when even the kept
    material is too long)."""


def _check_counters(memory: TrialMemory, turn: int | None, attempt: int | None) -> None:
    if turn is not None and turn != memory.turn:
        raise ValueError(f"turn={turn} but the memory has played {memory.turn} turns this attempt")
    if attempt is not None and attempt != memory.attempt:
        raise ValueError(f"attempt={attempt} but the memory is at attempt {memory.attempt}")


def _finish(
    system: str,
    parts: list[str],
    drops: Sequence[Drop] | Callable[[], Sequence[Drop]],
    config: PromptConfig,
    count_tokens: TokenCounter,
) -> Prompt:
    fitted = fit_parts(
        parts,
        drops,
        max_tokens=config.max_prompt_tokens,
        count_tokens=count_tokens,
        fixed_tokens=_count_fixed(count_tokens, system),
    )
    messages = [
        {"role": "system", "content": system},
        {"role": "user", "content": fitted.text},
    ]
    return Prompt(messages, fitted.num_tokens, fitted.num_dropped, fitted.fits)


# -- play ----------------------------------------------------------------------------------
def build_play_prompt(
    memory: TrialMemory,
    *,
    rules: str,
    action_format: str,
    config: PromptConfig,
    count_tokens: TokenCounter = approx_token_count,
    turn: int | None = None,
    attempt: int | None = None,
    available_actions: Sequence[str] | None = None,
) -> Prompt:
    """The play prompt for the memory's next turn, fitted to ``config.max_prompt_tokens``.

    ``turn``/``attempt`` (0-based), when given, must match the memory's own counters;
    they only guard the caller's bookkeeping. ``available_actions``, for envs that list
    the actions valid in the current state (WebShop, ALFWorld), are shown right after
    the current state and never dropped.
    """
    _check_counters(memory, turn, attempt)
    attempt_index, turn_index = memory.attempt, memory.turn
    if attempt_index >= config.num_attempts:
        raise ValueError(
            f"the memory is at attempt {attempt_index + 1} but config.num_attempts is "
            f"{config.num_attempts}"
        )
    if turn_index >= config.max_turns:
        raise ValueError(
            f"the memory has played {turn_index} turns; config.max_turns is {config.max_turns}"
        )
    with_memory = config.mode != "none"
    # Attempt 1 reads the same for every method (memory mode, attempt budget), as in the
    # reference, so pass@1 compares like with like; what memory adds starts at attempt 2.
    later_attempt = with_memory and attempt_index > 0
    system = system_message(rules, action_format, later_attempt)
    parts: list[str] = ["# Initial state\n", memory.initial_observation, "\n"]
    plan = _PlayDrops()

    finished = memory.finished_attempts
    if with_memory and finished:
        parts.append("\n# Earlier attempts\n")
        last = len(finished) - 1
        for number, record in enumerate(finished, start=1):
            outcome = "solved" if record.won else "not solved"
            parts.append(f"\n## Attempt {number}: {outcome}\n")
            if config.shows_history:
                _append_history(parts, record, plan)
            if config.shows_reflections:
                if number - 1 != last:
                    plan.old_reflections.append(len(parts))
                reflection = (record.reflection or "").strip() or NO_REFLECTION
                parts.append(f"Your reflection after it:\n{reflection}\n")

    turns = memory.current_turns
    if turns:
        heading = f"Attempt {attempt_index + 1} so far" if later_attempt else "This attempt so far"
        parts.append(f"\n# {heading}\n")
        first_state = len(turns) - config.history_window  # turns before it show no state
        if first_state > 0:
            parts.append(OLDER_STATES_OMITTED)
        plan.marker = len(parts)
        parts.append("")
        last = len(turns) - 1
        for index, record in enumerate(turns):
            if index < last:
                plan.current_lines.append(len(parts))
            parts.append(_turn_line(index + 1, record))
            if first_state <= index < last:
                plan.current_states.append(len(parts))
                parts.append(_state_after(index + 1, record.observation))
        parts.append(f"\n# Current state (after turn {len(turns)})\n")
        parts.append(turns[-1].observation)
        parts.append("\n")
    else:
        parts.append("\n# Current state\n")
        parts.append(CURRENT_IS_INITIAL)
        parts.append("\n")
    if available_actions is not None:
        listed = ", ".join(available_actions) or "(none)"
        parts.append(f"{AVAILABLE_ACTIONS}{listed}\n")

    if later_attempt:
        counter = f"Attempt {attempt_index + 1} of {config.num_attempts}, turn {turn_index + 1} of {config.max_turns}."
        instruction = PLAY_INSTRUCTION_WITH_MEMORY
    else:
        counter = f"Turn {turn_index + 1} of {config.max_turns}."
        instruction = PLAY_INSTRUCTION
    parts.append(f"\n# Your turn\n{counter}\n{instruction}")
    return _finish(system, parts, plan.drops, config, count_tokens)


class _PlayDrops:
    """Part indices of droppable play-prompt material, turned into drops only when the
    prompt does not fit (most prompts fit, and building the drops would cost time)."""

    __slots__ = ("current_lines", "current_states", "marker", "old_reflections", "past_histories")

    def __init__(self) -> None:
        self.current_states: list[int] = []
        """States of this attempt's older turns inside the window."""
        self.past_histories: list[tuple[int, int]] = []
        """Part range ``[start, end)`` of each earlier attempt's turns; ``start`` holds the
        heading, then a turn line and a state per turn."""
        self.old_reflections: list[int] = []
        """Reflections of earlier attempts except the latest."""
        self.current_lines: list[int] = []
        """This attempt's turn lines except the last."""
        self.marker = -1
        """Empty part that announces dropped turn lines of this attempt."""

    def drops(self) -> list[Drop]:
        """All drops in priority order, each group oldest first."""
        drops: list[Drop] = [((i, ""),) for i in self.current_states]
        for start, end in self.past_histories:
            drops.extend(((i, ""),) for i in range(start + 2, end, 2))
        for start, end in self.past_histories:
            drops.append(((start, TURNS_LEFT_OUT), *((i, "") for i in range(start + 1, end))))
        drops.extend(((i, REFLECTION_LEFT_OUT),) for i in self.old_reflections)
        drops.extend(((self.marker, EARLIER_TURNS_LEFT_OUT), (i, "")) for i in self.current_lines)
        return drops


def _append_history(parts: list[str], record: AttemptRecord, plan: _PlayDrops) -> None:
    """Append an earlier attempt's turns, each with its state."""
    if not record.turns:
        parts.append(NO_TURNS + "\n")
        return
    start = len(parts)
    parts.append("Its turns:\n")
    for index, turn in enumerate(record.turns):
        parts.append(_turn_line(index + 1, turn))
        parts.append(_state_after(index + 1, turn.observation))
    plan.past_histories.append((start, len(parts)))


def play_messages(
    memory: TrialMemory,
    *,
    rules: str,
    action_format: str,
    config: PromptConfig,
    count_tokens: TokenCounter = approx_token_count,
    turn: int | None = None,
    attempt: int | None = None,
    available_actions: Sequence[str] | None = None,
) -> list[Message]:
    """Chat messages of the play prompt (see :func:`build_play_prompt`)."""
    return build_play_prompt(
        memory,
        rules=rules,
        action_format=action_format,
        config=config,
        count_tokens=count_tokens,
        turn=turn,
        attempt=attempt,
        available_actions=available_actions,
    ).messages


# -- reflect -------------------------------------------------------------------------------
def build_reflect_prompt(
    memory: TrialMemory,
    *,
    rules: str,
    action_format: str,
    config: PromptConfig,
    count_tokens: TokenCounter = approx_token_count,
) -> Prompt:
    """The reflect prompt about the memory's last finished attempt.

    Call it after ``memory.end_attempt()`` on a failed attempt. To fit the budget, the states of the
    attempt's older turns are dropped first (oldest first); the last state is kept.
    """
    record = memory.last_finished_attempt
    if record.won:
        raise ValueError(
            "the last finished attempt solved the task; there is no failure to reflect on"
        )
    number = memory.attempt  # 1-based number of the last finished attempt
    system = system_message(rules, action_format, True)
    parts: list[str] = ["# Initial state\n", memory.initial_observation, "\n"]
    parts.append(f"\n# Attempt {number} of {config.num_attempts}\n")
    drops: list[Drop] = []
    if not record.turns:
        parts.append(NO_TURNS + "\n")
    last = len(record.turns) - 1
    for index, turn in enumerate(record.turns):
        parts.append(_turn_line(index + 1, turn))
        if index < last:
            drops.append(((len(parts), ""),))
        parts.append(_state_after(index + 1, turn.observation))
    parts.append(f"{ATTEMPT_FAILED}\n\n# Your reflection\n{REFLECT_INSTRUCTION}")
    return _finish(system, parts, drops, config, count_tokens)


def reflect_messages(
    memory: TrialMemory,
    *,
    rules: str,
    action_format: str,
    config: PromptConfig,
    count_tokens: TokenCounter = approx_token_count,
) -> list[Message]:
    """Chat messages of the reflect prompt (see :func:`build_reflect_prompt`)."""
    return build_reflect_prompt(
        memory, rules=rules, action_format=action_format, config=config, count_tokens=count_tokens
    ).messages


def render_messages(messages: Sequence[Message]) -> str:
    """Readable plain-text form of chat messages (for logs and snapshot files)."""
    return "\n\n".join(f"=== {m['role']} ===\n{m['content']}" for m in messages) + "\n"
