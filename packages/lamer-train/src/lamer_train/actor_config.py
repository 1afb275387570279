"""PPO update settings of the actor (torch-free, so configs load without torch).

The option names of the loss (``LossAggMode``, ``ClipLevel``, ``KLPenalty``) live here
too; :mod:`lamer_train.ppo_loss` implements them.
"""

from __future__ import annotations

from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator

LossAggMode = Literal[
    "token-mean", "seq-mean-token-sum", "seq-mean-token-mean", "seq-mean-token-sum-norm"
]
LOSS_AGG_MODES: tuple[str, ...] = get_args(LossAggMode)
ClipLevel = Literal["token", "sequence"]
LossNormaliser = Literal["mini_batch", "micro_batch"]
KLPenalty = Literal["kl", "abs", "mse", "low_var_kl"]


class LoraConfig(BaseModel):
    """Low-rank adapters trained instead of the full weights (needs ``lamer-train[lora]``)."""

    model_config = ConfigDict(extra="forbid")

    rank: int = Field(16, ge=1, description="Rank r of each adapter (B is out x r, A is r x in).")
    alpha: float = Field(
        32.0, gt=0, description="Adapter scale numerator: the update is (alpha / rank) * B A."
    )
    dropout: float = Field(
        0.0, ge=0, lt=1, description="Dropout on the adapters' input while training."
    )
    target_modules: tuple[str, ...] = Field(
        ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"),
        min_length=1,
        description="Names of the linear layers that get adapters (default: every "
        "projection of a Qwen3 decoder block).",
    )


class ActorConfig(BaseModel):
    """PPO update settings (defaults follow the paper's runs where it states them)."""

    model_config = ConfigDict(extra="forbid")

    lr: float = Field(1e-6, gt=0, description="AdamW learning rate (paper: 1e-6).")
    weight_decay: float = Field(0.01, ge=0, description="AdamW decoupled weight decay.")
    betas: tuple[float, float] = Field((0.9, 0.999), description="AdamW (beta1, beta2).")
    grad_clip: float = Field(
        1.0, gt=0, description="Clip the global gradient norm to this before each step."
    )
    clip_ratio: float = Field(
        0.2, gt=0, description="PPO clip range epsilon: ratio kept in [1-eps, 1+eps]."
    )
    clip_ratio_low: float | None = Field(
        None, gt=0, description="Lower clip epsilon (None = clip_ratio)."
    )
    clip_ratio_high: float | None = Field(
        None,
        gt=0,
        description="Upper clip epsilon (None = clip_ratio; > clip_ratio = 'clip-higher').",
    )
    clip_ratio_c: float | None = Field(
        3.0,
        gt=1,
        description="Dual-clip bound for negative advantages: loss <= -A * c (None = off).",
    )
    clip_level: ClipLevel = Field(
        "token", description="'token' PPO ratios, or one 'sequence' ratio per row (GSPO-like)."
    )
    loss_agg_mode: LossAggMode = Field(
        "token-mean",
        description="How token losses become one number (token-mean: every response token weighs the same).",
    )
    kl_coef: float = Field(
        0.0, ge=0, description="Weight of the KL-to-reference loss; 0 = no reference model (paper)."
    )
    kl_penalty: KLPenalty = Field(
        "low_var_kl", description="KL estimator: kl (k1), abs, mse (k2), low_var_kl (k3)."
    )
    entropy_coef: float = Field(
        0.001,
        ge=0,
        description="Entropy bonus weight (the reference's 0.001); entropy is logged either way.",
    )
    ppo_epochs: int = Field(1, ge=1, description="Passes over the rollout per update.")
    mini_batch_size: int = Field(
        64, ge=1, description="Rows (responses) per optimizer step (paper: 64)."
    )
    micro_batch_size: int = Field(
        16, ge=1, description="Rows per forward/backward pass (gradient accumulation)."
    )
    micro_batch_tokens: int | None = Field(
        None,
        ge=1,
        description="Token budget of one forward/backward pass: rows (grouped by length) "
        "are packed while rows x padded length stays within it, a longer row going alone; "
        "None = micro_batch_size rows. The critic uses the same budget. The mini-batch "
        "loss does not depend on it (loss_normaliser mini_batch).",
    )
    activation_checkpointing: bool = Field(
        False,
        description="Keep only each decoder block's input in the forward pass and recompute "
        "the block in the backward (the model's own non-reentrant gradient checkpointing; "
        "composes with FSDP2's per-block sharding): much less activation memory for about "
        "one more forward pass. Applies to the critic too.",
    )
    lora: LoraConfig | None = Field(
        None,
        description="Train LoRA adapters (peft) instead of every weight: the optimizer holds "
        "the adapters only; engines, checkpoints' model/ folders and exports get the "
        "adapters merged into the base weights. None = full fine-tuning.",
    )
    loss_normaliser: LossNormaliser = Field(
        "mini_batch",
        description="'mini_batch': each micro-batch's loss is divided by the mini-batch's token "
        "(or row) count, so the mini-batch loss is exact whatever micro_batch_size is; "
        "'micro_batch': the reference's (verl) per-micro-batch mean (its own token or row "
        "count), averaged over the mini-batch's micro-batches, which are cut in row order.",
    )
    pad_rows_to_multiple: int = Field(
        0,
        ge=0,
        description="Repeat the rollout's first rows until the row count is a multiple of "
        "this (the reference pads its batch so, to 128 rows with its 4-GPU settings); the "
        "repeated rows are trained twice. 0 = off.",
    )
    loss_horizon: int | None = Field(
        None,
        ge=1,
        description="T of seq-mean-token-sum-norm (sum of a row's token losses / T); the reference uses its "
        "max response length. None = the longest response of the mini-batch.",
    )
    shuffle: bool = Field(False, description="Shuffle rows (seeded) before cutting mini-batches.")
    temperature: float = Field(
        1.0,
        gt=0,
        description="Divide logits by this when scoring tokens; set it to the rollout temperature.",
    )
    top_k: int = Field(
        -1,
        ge=-1,
        description="Score tokens over the top_k most likely only, renormalised, as trial.sampling "
        "draws them (set it to trial.sampling.top_k; -1 or 0 = the whole vocabulary).",
    )
    top_p: float = Field(
        1.0,
        gt=0.0,
        le=1.0,
        description="Score tokens over the nucleus trial.sampling draws from (after top_k), "
        "renormalised (set it to trial.sampling.top_p; 1 = off). See the module docstring of actor.",
    )
    tis_imp_ratio_cap: float = Field(
        -1.0,
        description="Truncated importance sampling: scale each token's loss by min(exp(old - rollout log-prob), cap), "
        "correcting for engine/trainer numerics; needs samples carrying rollout log-probs (<= 0 = off).",
    )
    seed: int = Field(0, ge=0, description="Seed of the mini-batch shuffling.")

    @property
    def truncates(self) -> bool:
        """Whether tokens are scored over a top-k / top-p set (``top_k``, ``top_p``)."""
        return self.top_k not in (-1, 0) or self.top_p < 1.0

    @model_validator(mode="after")
    def _micro_fits_mini(self) -> ActorConfig:
        if self.micro_batch_size > self.mini_batch_size:
            raise ValueError(
                f"micro_batch_size ({self.micro_batch_size}) must be <= mini_batch_size ({self.mini_batch_size})"
            )
        return self
