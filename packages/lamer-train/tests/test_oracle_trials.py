"""Oracle-played trials: the warm start's training data (real envs, real prompts)."""

from __future__ import annotations

import re

import gymnasium
import pytest

import lamer_envs
from lamer_core.seeding import make_rng
from lamer_memory.config import PromptConfig
from lamer_train.engines.base import Completion
from lamer_train.oracle_trials import (
    oracle_action,
    oracle_agreement,
    play_oracle_trial,
    tagged,
    untagged,
)
from lamer_train.prompting import MemoryPrompts
from lamer_train.task_seeds import warmup_task_seed
from lamer_train.trial_loop import TrialSettings
from lamer_train.warmup import warmup_examples

SOKOBAN = {"dim_room": [6, 6], "num_boxes": 1, "min_steps": 1, "max_sol_steps": 6}
SETTINGS = TrialSettings(num_attempts=3, max_turns=2, reflection=True)


def _prompts(max_turns: int = 2) -> MemoryPrompts:
    return MemoryPrompts(PromptConfig(mode="reflection_only", max_turns=max_turns, num_attempts=3))


def _env(env_id: str = "lamer/Sokoban-v0", **kwargs):
    lamer_envs.register_envs()
    return gymnasium.make(env_id, **(kwargs or SOKOBAN))


def test_oracle_without_noise_solves_every_sokoban_task_at_its_first_attempt():
    env, rng = _env(), make_rng(0, "test")
    for index in range(40):
        examples, wins = play_oracle_trial(
            env, warmup_task_seed(0, index), _prompts(), SETTINGS, rng, action_noise=0.0
        )
        assert wins == [True]
        assert all(target.startswith("<action>") for _, target in examples)


def test_oracle_without_noise_plays_the_minesweeper_solver_clicks():
    env, rng = _env("lamer/MineSweeper-v0", board_size=4, n_mines=2), make_rng(0, "test")
    wins = []
    for index in range(30):
        seed = warmup_task_seed(0, index)
        env.reset(seed=seed)
        first = oracle_action(env)
        examples, trial_wins = play_oracle_trial(
            env, seed, _prompts(16), TrialSettings(3, 16, True), rng, action_noise=0.0
        )
        assert untagged(examples[0][1]) == first
        wins.append(trial_wins[0])
    # The solver guesses only when no cell is provably safe: most boards are won.
    assert sum(wins) >= 20


def test_action_noise_replaces_the_oracle_action_at_its_rate():
    env, rng = _env(), make_rng(1, "test")
    changed, trials = 0, 400
    for index in range(trials):
        seed = warmup_task_seed(1, index)
        env.reset(seed=seed)
        best = oracle_action(env)
        examples, _ = play_oracle_trial(env, seed, _prompts(), SETTINGS, rng, action_noise=0.3)
        changed += examples[0][1] != tagged(best)
    # A random turn equals the oracle's only rarely: the rate is just under 0.3.
    assert 0.22 < changed / trials < 0.36


def test_a_failed_attempt_gets_a_reflection_naming_the_mistake_and_the_oracle_plan():
    env, prompts, rng = _env(), _prompts(), make_rng(2, "test")
    for index in range(200):
        seed = warmup_task_seed(2, index)
        env.reset(seed=seed)
        plan = ", ".join(env.unwrapped.solution())
        examples, wins = play_oracle_trial(env, seed, prompts, SETTINGS, rng, action_noise=0.8)
        if not wins[0]:
            break
    else:
        pytest.fail("noise 0.8 never failed a first attempt")
    reflections = [(m, t) for m, t in examples if t.startswith("<remark>")]
    messages, target = reflections[0]
    text, valid = prompts.parse_reflection(target)
    assert valid and text.endswith(f"Next: {plan}.")
    assert "was a mistake" in text or "The attempt failed" in text
    assert "Look back at this attempt" in messages[-1]["content"]  # the real reflect prompt
    # The next attempt's play prompt carries the reflection (reflection_only memory).
    after = examples[examples.index((messages, target)) + 1][0]
    assert text in after[-1]["content"]


def test_mistake_only_reflections_name_moves_the_reflect_prompt_shows_and_no_plan():
    """``warmup.reflection: mistake_only``: the turn that left the oracle's path and the
    moves played there, copied from the attempt the reflect prompt shows; no oracle move,
    no plan (nothing a model would have to solve the task to write)."""
    env, prompts = _env(), _prompts()
    seen = 0
    for index in range(300):
        seed = warmup_task_seed(3, index)
        rng = make_rng(3, "test", index)
        plain, _ = play_oracle_trial(env, seed, prompts, SETTINGS, rng, action_noise=0.8)
        rng = make_rng(3, "test", index)
        examples, _ = play_oracle_trial(
            env, seed, prompts, SETTINGS, rng, action_noise=0.8, reflection="mistake_only"
        )
        # Same seed and rng: the same actions, only the reflection text differs.
        assert [t for _, t in examples if t.startswith("<action>")] == [
            t for _, t in plain if t.startswith("<action>")
        ]
        for messages, target in examples:
            if not target.startswith("<remark>"):
                continue
            text, valid = prompts.parse_reflection(target)
            assert valid and "Next:" not in text and "better was" not in text
            match = re.fullmatch(r"Turn (\d) \((.+)\) was a mistake; then (.+)\.", text)
            if match is None:
                assert text.startswith("The attempt failed: ")
                continue
            turn, moves = match.group(1), match.group(2)
            assert f"Turn {turn}: {moves} (" in messages[-1]["content"]  # played, and shown
            seen += 1
    assert seen >= 20
    with pytest.raises(ValueError, match=r"warmup\.reflection"):
        play_oracle_trial(env, 0, prompts, SETTINGS, make_rng(0, "x"), 1.0, reflection="plan")


class _ScriptedEngine:
    """Answers each prompt with a given response (the metric is under test, not a model)."""

    def __init__(self, responses):
        self.responses = list(responses)
        self.sampling = None

    def generate(self, prompts, sampling, seed):
        self.sampling = sampling
        assert len(prompts) == len(self.responses)
        return [Completion(r, [1], [2], None, "stop") for r in self.responses]


def test_oracle_agreement_counts_greedy_actions_equal_to_the_oracle_s():
    env, seeds = _env(), [warmup_task_seed(7, i) for i in range(24)]
    oracle = []
    for seed in seeds:
        env.reset(seed=seed)
        oracle.append(oracle_action(env))
    # The oracle's own actions, written with other spacing and case: full agreement.
    echo = _ScriptedEngine(f"<action> {a.upper().replace(', ', ' ,')} </action>" for a in oracle)
    firsts = [a.split(",")[0] for a in oracle]
    blind = max(firsts.count(m) for m in set(firsts)) / 24
    assert oracle_agreement(env, seeds, _prompts(), echo) == {
        "tasks": 24, "action": 1.0, "first_move": 1.0, "first_move_blind": blind,
    }  # fmt: skip
    assert echo.sampling.temperature == 0.0  # greedy
    # Always "up": agreement is the share of tasks whose oracle action / first move is up.
    up = oracle_agreement(env, seeds, _prompts(), _ScriptedEngine(["<action>up</action>"] * 24))
    assert up["action"] == sum(a == "up" for a in oracle) / 24
    assert up["first_move"] == sum(a.split(",")[0] == "up" for a in oracle) / 24
    assert 0 < up["first_move"] <= up["first_move_blind"] < 1


def test_warmup_examples_pass_the_reflection_style_on():
    """``warmup.reflection`` reaches the trials the warm-up trains on."""
    envs, prompts = [_env()], _prompts()
    targets = {}
    for style in ("oracle_plan", "mistake_only"):
        examples, seeds = warmup_examples(
            envs, prompts, SETTINGS, count=300, run_seed=4, held_out=set(),
            policy="oracle", action_noise=0.8, reflection=style,
        )  # fmt: skip
        targets[style] = [t for _, t in examples if t.startswith("<remark>")]
        assert seeds and targets[style]
    assert all("Next:" in t for t in targets["oracle_plan"])
    assert not any("Next:" in t for t in targets["mistake_only"])
