"""The engine checker accepts HFEngine and names what a broken engine gets wrong."""

from __future__ import annotations

import dataclasses

import pytest

from lamer_train.engines.base import Completion
from lamer_train.engines.checker import EngineCheckError, check_engine
from lamer_train.engines.hf import HFEngine


@pytest.fixture(scope="module")
def engine(build_model, tokenizer):
    return HFEngine(build_model(seed=0, tiny_num_layers=1), tokenizer)


def test_hf_engine_passes_the_checker(engine):
    check_engine(engine)


class _Broken:
    """A real HFEngine whose output is damaged in one way."""

    def __init__(self, engine, damage):
        self.engine, self.damage = engine, damage

    def generate(self, prompts, sampling, seed):
        return self.damage(self.engine.generate(prompts, sampling, seed), seed)

    def load_weights(self, state_dict):
        self.engine.load_weights(state_dict)


def _drop_last(completions, seed):
    return completions[:-1]


def _reverse(completions, seed):
    return list(reversed(completions))


def _positive_log_probs(completions, seed):
    return [dataclasses.replace(c, log_probs=[0.5] * len(c.response_ids)) for c in completions]


def _seed_ignored_by_order(completions, seed):
    # Different seeds -> different ids even for greedy decoding.
    return [
        dataclasses.replace(c, response_ids=[*c.response_ids[:-1], seed], log_probs=None)
        for c in completions
    ]


def _bad_finish(completions, seed):
    return [
        Completion(c.text, c.prompt_ids, c.response_ids, c.log_probs, "eos") for c in completions
    ]


@pytest.mark.parametrize(
    "damage,message",
    [
        (_drop_last, "completions"),
        (_reverse, "out of order"),
        (_positive_log_probs, "finite and <= 0"),
        (_seed_ignored_by_order, "depends on the seed"),
        (_bad_finish, "finish_reason"),
    ],
)
def test_checker_names_the_broken_contract(engine, damage, message):
    with pytest.raises(EngineCheckError, match=message):
        check_engine(_Broken(engine, damage))
