"""Settings of the critic (value model); torch-free so configs load without torch.

The critic is trained only when the estimator learns from values (``gae``); its
defaults are the reference's (verl ``ppo_trainer.yaml``: lr 1e-5, value clip 0.5,
gradient clip 1.0, mini-batches like the actor's).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from lamer_train.actor_config import LossAggMode


class CriticConfig(BaseModel):
    """Value model and its PPO-style regression update."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    name_or_path: str | None = Field(
        None,
        description="Backbone of the value model: None = a copy of the policy as loaded at the "
        "start of the run (the same checkpoint, or the same tiny model); else a local HF "
        "causal-LM checkpoint directory.",
    )
    lr: float = Field(
        1e-5, gt=0, description="AdamW learning rate of the critic (reference: 1e-5)."
    )
    weight_decay: float = Field(0.01, ge=0, description="AdamW decoupled weight decay.")
    betas: tuple[float, float] = Field((0.9, 0.999), description="AdamW (beta1, beta2).")
    grad_clip: float = Field(
        1.0, gt=0, description="Clip the critic's global gradient norm to this before each step."
    )
    value_clip: float | None = Field(
        0.5,
        gt=0,
        description="PPO value clipping: a new value is kept within this distance of the "
        "rollout-time value in the clipped loss term (reference cliprange_value 0.5; None = off).",
    )
    loss_agg_mode: LossAggMode = Field(
        "token-mean", description="How per-token value losses become one number (as the actor's)."
    )
    ppo_epochs: int = Field(1, ge=1, description="Passes over the rollout per critic update.")
    mini_batch_size: int | None = Field(
        None, ge=1, description="Rows per critic optimizer step (None = actor.mini_batch_size)."
    )
    micro_batch_size: int | None = Field(
        None,
        ge=1,
        description="Rows per critic forward/backward pass (None = actor.micro_batch_size).",
    )

    @model_validator(mode="after")
    def _micro_fits_mini(self) -> CriticConfig:
        mini, micro = self.mini_batch_size, self.micro_batch_size
        if mini is not None and micro is not None and micro > mini:
            raise ValueError(f"micro_batch_size ({micro}) must be <= mini_batch_size ({mini})")
        return self
