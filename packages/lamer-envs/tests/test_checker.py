"""check_text_env accepts a correct env and names the problem of a broken one."""

from __future__ import annotations

from typing import Any

import gymnasium
import pytest

from lamer_envs.checker import TextEnvCheckError, check_text_env, malformed_actions
from lamer_envs.protocol import INVALID_ACTION, ParsedAction, text_space


class CounterEnv(gymnasium.Env[str, str]):
    """Count to a seeded target by sending "+1": a minimal correct text env."""

    metadata = {"render_modes": []}  # noqa: RUF012

    def __init__(self) -> None:
        self.observation_space = text_space(64)
        self.action_space = text_space(64)
        self.value = 0
        self.target = 1
        self.initial_observation = ""

    rules = "Reach the target number by adding one at a time."
    action_format = "<action>+1</action>"

    def parse_action(self, response: str) -> ParsedAction:
        ok = (
            isinstance(response, str)
            and response.strip().removeprefix("<action>").removesuffix("</action>") == "+1"
        )
        return ParsedAction("+1" if ok else None, ok)

    def _obs(self) -> str:
        return f"value {self.value} target {self.target}"

    def _info(self, valid: bool, action: str) -> dict[str, Any]:
        won = self.value == self.target
        return {"won": won, "action_is_valid": valid, "anchor": self._obs(), "action": action}

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        self.value, self.target = 0, int(self.np_random.integers(2, 9))
        self.initial_observation = self._obs()
        return self._obs(), self._info(True, "")

    def step(self, action: str):
        if not self.parse_action(action).is_valid:
            return self._obs(), -1.0, False, False, self._info(False, INVALID_ACTION)
        self.value += 1
        done = self.value == self.target
        return self._obs(), 1.0 if done else 0.0, done, False, self._info(True, "+1")


class MissingAnchor(CounterEnv):
    def _info(self, valid: bool, action: str) -> dict[str, Any]:
        info = super()._info(valid, action)
        del info["anchor"]
        return info


class UnseededReset(CounterEnv):
    calls = 0

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        UnseededReset.calls += 1
        self.target = 2 + UnseededReset.calls % 5  # depends on history, not on the seed
        self.initial_observation = self._obs()
        return self._obs(), self._info(True, "")


class CrashesOnUnicode(CounterEnv):
    def step(self, action: str):
        action.encode("ascii")
        return super().step(action)


class InvalidActionMoves(CounterEnv):
    def step(self, action: str):
        if not self.parse_action(action).is_valid:
            self.value += 1
        return super().step(action)


def test_a_correct_env_passes() -> None:
    check_text_env(CounterEnv())


@pytest.mark.parametrize(
    ("env_class", "message"),
    [
        (MissingAnchor, "missing \\['anchor'\\]"),
        (UnseededReset, "not equivalent|different states"),
        (CrashesOnUnicode, "never raise"),
        (InvalidActionMoves, "unchanged"),
    ],
)
def test_broken_envs_are_reported_with_the_reason(env_class: type, message: str) -> None:
    with pytest.raises(AssertionError, match=message):
        check_text_env(env_class())


def test_malformed_actions_are_seeded_and_varied() -> None:
    first = list(malformed_actions(300, seed=1))
    assert first == list(malformed_actions(300, seed=1))
    assert first != list(malformed_actions(300, seed=2))
    assert "" in first and max(map(len, first)) > 10_000
    assert any(not text.isascii() for text in first)
    assert issubclass(TextEnvCheckError, AssertionError)
