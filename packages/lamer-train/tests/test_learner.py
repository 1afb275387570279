"""What the actor and the critic share: AdamW over trainable parameters only, and a
state that round-trips, may leave out a tied alias, and names its owner when it does not
fit."""

from __future__ import annotations

import pytest
import torch

from lamer_train.actor_config import ActorConfig
from lamer_train.learner import adamw, learner_state, load_learner_state


def test_adamw_takes_only_trainable_parameters_and_the_configured_settings(model):
    model.get_input_embeddings().requires_grad_(False)
    optimizer = adamw(model, ActorConfig(lr=3e-4, betas=(0.8, 0.9), weight_decay=0.0))
    trainable = [p for p in model.parameters() if p.requires_grad]
    assert [id(p) for p in optimizer.param_groups[0]["params"]] == [id(p) for p in trainable]
    group = optimizer.param_groups[0]
    assert (group["lr"], group["betas"], group["weight_decay"]) == (3e-4, (0.8, 0.9), 0.0)


def test_state_round_trips_without_a_tied_alias(build_model):
    source = build_model(seed=0)
    assert source.config.tie_word_embeddings
    state = learner_state(source, adamw(source, ActorConfig()), updates_done=7)
    del state["model"]["lm_head.weight"]  # save_pretrained keeps a tied head once
    target = build_model(seed=1)
    assert load_learner_state(target, adamw(target, ActorConfig()), state, "actor") == 7
    for name, tensor in source.state_dict().items():
        assert torch.equal(target.state_dict()[name], tensor), name


def test_weights_that_do_not_fit_are_an_error_naming_the_owner(build_model):
    source, target = build_model(seed=0), build_model(seed=0, tiny_num_layers=1)
    state = learner_state(source, adamw(source, ActorConfig()), updates_done=1)
    with pytest.raises(KeyError, match="critic weights do not fit the model: missing"):
        load_learner_state(target, adamw(target, ActorConfig()), state, "critic")
