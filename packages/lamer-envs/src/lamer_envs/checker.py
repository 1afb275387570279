"""``check_text_env``: gymnasium's ``check_env`` plus the checks LaMer relies on.

Every registered env runs through these checks in the test suite
(``tests/test_registered_envs.py``), so a new env gets them for free. Each failure
message says what to change.

Helpers used by the checks and tests are public too:

- :func:`malformed_actions` — a seeded stream of hostile action strings;
- :func:`random_actions` — a seeded random policy (the env's own ``sample_action``
  when it has one, mixed with raw text);
- :func:`rollout_trace` — a JSON-able record of a seeded random rollout, used to
  compare two processes step by step.
"""

from __future__ import annotations

import math
import pickle
from collections.abc import Iterator
from typing import Any

import gymnasium
import numpy as np
from gymnasium.utils.env_checker import check_env

from lamer_envs.protocol import (
    ACTION,
    ACTION_IS_VALID,
    ANCHOR,
    INFO_KEYS,
    INVALID_ACTION,
    WON,
    ParsedAction,
)

__all__ = [
    "TextEnvCheckError",
    "check_text_env",
    "malformed_actions",
    "random_actions",
    "rollout_trace",
]


class TextEnvCheckError(AssertionError):
    """A LaMer text-env check failed; the message says how to fix it."""


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise TextEnvCheckError(message)


# -- hostile inputs ---------------------------------------------------------------------

_FIXED_MALFORMED = (
    "",
    " ",
    "\n\n\t",
    "<action>",
    "</action>",
    "<action></action>",
    "</action><action>",
    "<action><action></action></action>",
    "<action>  </action>",
    "<action>\x00\x01\x02</action>",
    "<action>" + "x" * 100_000 + "</action>",
    "a" * 200_000,
    "<action>" * 5_000,
    "<action>🙂🙃💣</action>",
    "<action>（３，４）</action>",
    "<action>Ω≈ç√∫˜µ≤≥÷</action>",
    "<action>'; DROP TABLE rooms; --</action>",
    "<action>{{ __import__('os').system('ls') }}</action>",
    "<action>${jndi:ldap://example}</action>",
    "<action>\u202e\u200b\ufeff</action>",
    "<action>(-1, -1)</action>",
    "<action>(999999999999999999999999, 2)</action>",
    "<action>(1e9, 2)</action>",
    "<action>nan</action>",
    "None",
    "<ACTION>up</ACTION>",
    "<action>search[]</action>",
    "<action>click[]</action>",
    "<action>\\u0000</action>",
    "\ud800",  # a lone surrogate: not encodable as UTF-8
)

_ALPHABET = (
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    " \t\n,;:()[]{}<>/\\'\"`|!?.-_=+*&^%$#@~"
    "√×–—…ßéüñ中文字🙂💣\u200b\u202e\x00\x7f"
)
_FRAGMENTS = (
    "<action>",
    "</action>",
    "<plan>",
    "</plan>",
    "<remark>",
    "</remark>",
    "<think>",
    "</think>",
    "up",
    "down",
    "left",
    "right",
    "still",
    "(",
    ")",
    ",",
    "search[",
    "click[",
    "]",
    "go to",
    "take",
    "-1",
    "0",
    "99",
    "\n",
)


def malformed_actions(count: int, seed: int = 0) -> Iterator[str]:
    """``count`` hostile action strings: a fixed list, then seeded random mixes.

    The random strings splice tags, keywords, numbers, unicode, control characters and
    occasional huge runs; some happen to contain a well-formed action, which is fine:
    the contract is only that ``step`` never raises.
    """
    rng = np.random.default_rng(seed)
    for index in range(count):
        if index < len(_FIXED_MALFORMED):
            yield _FIXED_MALFORMED[index]
            continue
        pieces: list[str] = []
        for _ in range(int(rng.integers(0, 12))):
            kind = rng.random()
            if kind < 0.45:
                pieces.append(_FRAGMENTS[int(rng.integers(len(_FRAGMENTS)))])
            elif kind < 0.95:
                length = int(rng.integers(1, 20))
                pieces.append("".join(rng.choice(list(_ALPHABET), size=length)))
            else:
                pieces.append(str(rng.choice(list(_ALPHABET))) * int(rng.integers(1_000, 20_000)))
        yield "".join(pieces)


def random_actions(env: gymnasium.Env, rng: np.random.Generator) -> str:
    """One action of a seeded random policy.

    Uses the env's optional ``sample_action(rng) -> str`` (a plausible, usually valid
    action) four times out of five, otherwise raw text from ``malformed_actions``.
    """
    sample_action = getattr(env.unwrapped, "sample_action", None)
    if callable(sample_action) and rng.random() < 0.8:
        return str(sample_action(rng))
    return next(malformed_actions(1, seed=int(rng.integers(2**31))))


def _jsonable_info(info: dict[str, Any]) -> dict[str, Any]:
    return {key: info[key] for key in INFO_KEYS}


def rollout_trace(
    env: gymnasium.Env, seed: int, num_steps: int = 40, policy_seed: int = 0
) -> list[list[Any]]:
    """Reset with ``seed`` and take ``num_steps`` seeded random actions; restart with the
    same seed whenever the episode ends. Returns JSON-able rows
    ``[action, obs, reward, terminated, truncated, info-subset]`` (row 0 is the reset).
    """
    rng = np.random.default_rng(policy_seed)
    obs, info = env.reset(seed=seed)
    rows: list[list[Any]] = [["<reset>", obs, 0.0, False, False, _jsonable_info(info)]]
    for _ in range(num_steps):
        action = random_actions(env, rng)
        obs, reward, terminated, truncated, info = env.step(action)
        rows.append([action, obs, float(reward), terminated, truncated, _jsonable_info(info)])
        if terminated or truncated:
            obs, info = env.reset(seed=seed)
            rows.append(["<reset>", obs, 0.0, False, False, _jsonable_info(info)])
    return rows


# -- the checks ---------------------------------------------------------------------------


def _check_info(info: Any, where: str) -> None:
    _require(isinstance(info, dict), f"{where}: info must be a dict, got {type(info).__name__}.")
    missing = [key for key in INFO_KEYS if key not in info]
    _require(
        not missing,
        f"{where}: info is missing {missing}. Every reset/step info must carry "
        f"{list(INFO_KEYS)} (see lamer_envs.protocol).",
    )
    _require(isinstance(info[WON], bool | np.bool_), f"{where}: info['won'] must be a bool.")
    _require(
        isinstance(info[ACTION_IS_VALID], bool | np.bool_),
        f"{where}: info['action_is_valid'] must be a bool.",
    )
    _require(
        isinstance(info[ANCHOR], str),
        f"{where}: info['anchor'] must be a str key of the raw state, got "
        f"{type(info[ANCHOR]).__name__}.",
    )
    _require(isinstance(info[ACTION], str), f"{where}: info['action'] must be a str.")


def _check_step_result(result: Any, where: str) -> tuple[str, float, bool, bool, dict]:
    _require(
        isinstance(result, tuple) and len(result) == 5,
        f"{where}: step must return (obs, reward, terminated, truncated, info).",
    )
    obs, reward, terminated, truncated, info = result
    _require(isinstance(obs, str), f"{where}: the observation must be a str.")
    _require(
        isinstance(reward, int | float | np.floating) and math.isfinite(float(reward)),
        f"{where}: reward must be a finite number, got {reward!r}.",
    )
    _require(
        isinstance(terminated, bool) and isinstance(truncated, bool),
        f"{where}: terminated/truncated must be plain bools (wrap with bool(...)).",
    )
    _check_info(info, where)
    return obs, float(reward), terminated, truncated, info


def _check_prompt_surface(env: gymnasium.Env) -> None:
    for name in ("rules", "action_format", "initial_observation"):
        value = getattr(env, name, None)
        _require(
            isinstance(value, str) and value.strip() != "",
            f"env.{name} must be a non-empty str (used to build prompts); got {value!r}.",
        )
    parsed = env.parse_action("")
    _require(
        isinstance(parsed, ParsedAction),
        "env.parse_action(response) must return lamer_envs.ParsedAction.",
    )
    _require(not parsed.is_valid, "env.parse_action('') must report is_valid=False.")


def check_text_env(env: gymnasium.Env, seed: int = 0, num_malformed: int = 50) -> None:
    """Check ``env`` against gymnasium's API and LaMer's text-env contract.

    Runs ``gymnasium.utils.env_checker.check_env`` (render check skipped), then checks:
    string observations, the info keys of ``lamer_envs.protocol``, the prompt surface
    (``rules``, ``action_format``, ``initial_observation``, ``parse_action``), reset
    determinism for ``seed``, that an empty action is invalid, leaves the state unchanged
    and is recorded as ``INVALID_ACTION``, that ``num_malformed`` hostile strings never
    raise, and a pickling round trip. Raises :class:`TextEnvCheckError` (or gymnasium's
    ``AssertionError``) on the first failure. Leaves ``env`` reset with ``seed``.
    """
    env = env.unwrapped
    try:
        check_env(env, skip_render_check=True, skip_close_check=True)
    except AssertionError:
        raise
    except Exception as error:
        raise TextEnvCheckError(
            f"gymnasium's check_env failed with {type(error).__name__}: {error}. It resets "
            "with seeds and steps with action_space.sample() (random strings over the "
            "space's charset): reset must accept any seed and step must accept any "
            "string, treating malformed ones as invalid; step must never raise."
        ) from error

    obs, info = env.reset(seed=seed)
    _require(isinstance(obs, str), "reset must return a str observation.")
    _check_info(info, "reset")
    _require(not info[WON], "reset: info['won'] must be False.")
    _check_prompt_surface(env)
    _require(
        env.initial_observation == obs,
        "env.initial_observation must equal the observation returned by the last reset.",
    )

    obs_again, info_again = env.reset(seed=seed)
    _require(
        obs_again == obs and info_again[ANCHOR] == info[ANCHOR],
        f"reset(seed={seed}) twice gave different states: reset must derive the whole "
        "initial state from the seed (use self.np_random after super().reset(seed=seed)).",
    )

    where = "step('')"
    _, _, terminated, truncated, step_info = _check_step_result(env.step(""), where)
    _require(not step_info[ACTION_IS_VALID], f"{where}: an empty action must be invalid.")
    _require(
        not terminated and not truncated, f"{where}: an invalid action must not end the episode."
    )
    _require(
        step_info[ACTION] == INVALID_ACTION,
        f"{where}: info['action'] must be INVALID_ACTION for an unusable action.",
    )
    _require(
        step_info[ANCHOR] == info[ANCHOR],
        f"{where}: an invalid action must leave the state unchanged (anchor changed).",
    )

    env.reset(seed=seed)
    for index, text in enumerate(malformed_actions(num_malformed, seed=seed)):
        where = f"step(malformed #{index}: {text[:40]!r})"
        try:
            result = env.step(text)
        except Exception as error:  # the contract: hostile input never raises
            raise TextEnvCheckError(
                f"{where} raised {type(error).__name__}: {error}. Malformed actions must "
                "be treated as invalid (documented penalty), never raise."
            ) from error
        _, _, terminated, truncated, _ = _check_step_result(result, where)
        if terminated or truncated:
            env.reset(seed=seed)

    env.reset(seed=seed)
    clone = pickle.loads(pickle.dumps(env))
    rng = np.random.default_rng(seed)
    for _ in range(5):
        action = random_actions(env, rng)
        original, copied = env.step(action), clone.step(action)
        _require(
            original[:4] == copied[:4] and original[4][ANCHOR] == copied[4][ANCHOR],
            "A pickled copy of the env must behave like the original (keep all state in "
            "picklable attributes; reopen external resources lazily).",
        )
        if original[2] or original[3]:
            break
    env.reset(seed=seed)
