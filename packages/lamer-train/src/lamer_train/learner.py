"""What the actor and the critic share as learners: an AdamW over the trainable
parameters, and the state a checkpoint keeps of them (weights, optimizer, update count)."""

from __future__ import annotations

from typing import Any, Protocol

import torch


class OptimizerSettings(Protocol):
    """The AdamW fields of :class:`~lamer_train.actor_config.ActorConfig` and
    :class:`~lamer_train.critic_config.CriticConfig`."""

    lr: float
    betas: tuple[float, float]
    weight_decay: float


def adamw(model: torch.nn.Module, settings: OptimizerSettings) -> torch.optim.AdamW:
    """AdamW over the parameters of ``model`` that require gradients."""
    return torch.optim.AdamW(
        [p for p in model.parameters() if p.requires_grad],
        lr=settings.lr,
        betas=settings.betas,
        weight_decay=settings.weight_decay,
    )


def learner_state(
    model: torch.nn.Module, optimizer: torch.optim.Optimizer, updates_done: int
) -> dict[str, Any]:
    """What the actor and the critic save: weights, optimizer state and update counter
    (for exact resumes)."""
    return {
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "updates_done": updates_done,
    }


def load_learner_state(
    model: torch.nn.Module, optimizer: torch.optim.Optimizer, state: dict[str, Any], owner: str
) -> int:
    """Restore what :func:`learner_state` returned into ``model`` and ``optimizer``;
    returns the update counter. The weights may leave out tied aliases
    (``save_pretrained`` stores a tied output head once); anything else missing or extra
    is an error naming ``owner``."""
    result = model.load_state_dict(state["model"], strict=False)
    # Parameters and buffers under their first name; a tied alias is not among them.
    own = {name for name, _ in model.named_parameters()}
    own |= {name for name, _ in model.named_buffers()}
    missing = [name for name in result.missing_keys if name in own]
    if missing or result.unexpected_keys:
        raise KeyError(
            f"{owner} weights do not fit the model: missing {missing[:5]}, "
            f"unexpected {list(result.unexpected_keys)[:5]}"
        )
    optimizer.load_state_dict(state["optimizer"])
    return int(state.get("updates_done", 0))
