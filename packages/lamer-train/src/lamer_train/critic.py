"""The critic: a causal-LM backbone with a scalar value head, trained by clipped regression.

For a row ``(prompt, response)`` the critic gives one value per response token:
``V_j`` is read at the position that predicts response token ``j``, i.e. the state
after the prompt and the first ``j`` response tokens (as the reference reads
``values[:, -R-1:-1]``). Values are zero beyond a row's response.

One :meth:`Critic.update` per rollout, after the advantages: ``ppo_epochs`` passes over
mini-batches of rows, one AdamW step each, gradients accumulated over micro-batches
exactly as in the actor. The loss per token is the PPO clipped value loss (Schulman et
al. 2017, as in verl / TRL)::

    V_clip = V_old + clip(V - V_old, -value_clip, value_clip)
    L      = max((V - G)^2, (V_clip - G)^2)

with ``G`` the estimator's value targets (GAE: ``A_raw + V_old``), aggregated like the
actor's loss (``loss_agg_mode``). Note: the reference's loss has no 1/2 factor, nor do we.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from transformers import AutoModelForCausalLM, PreTrainedModel

from lamer_train.actor_config import LossAggMode
from lamer_train.critic_config import CriticConfig
from lamer_train.distributed import (
    compute_device,
    gather_rows,
    is_distributed,
    micro_batch_share,
    sum_over_ranks,
)
from lamer_train.learner import adamw, learner_state, load_learner_state
from lamer_train.lora import has_lora, without_lora
from lamer_train.model_factory import (
    check_compute_dtype,
    compute_autocast,
    enable_activation_checkpointing,
)
from lamer_train.padding import micro_batches, pack_rows, pad_tensors
from lamer_train.ppo_loss import agg_loss, masked_mean

Sample = tuple[Sequence[int], ...]


class ValueModel(torch.nn.Module):
    """A decoder backbone (no LM head) and a linear head giving one value per position."""

    def __init__(self, backbone: torch.nn.Module, hidden_size: int, seed: int = 0) -> None:
        super().__init__()
        self.backbone = backbone
        parameter = next(backbone.parameters())
        self.value_head = torch.nn.Linear(
            hidden_size, 1, dtype=parameter.dtype, device=parameter.device
        )
        # Small seeded initial head (values start near 0); the global RNG is untouched.
        generator = torch.Generator().manual_seed(seed)
        with torch.no_grad():
            weight = torch.randn(self.value_head.weight.shape, generator=generator) * 0.02
            self.value_head.weight.copy_(weight)
            self.value_head.bias.zero_()

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        position_ids: torch.Tensor,
        keep_last: int,
    ) -> torch.Tensor:
        """float32 values ``(rows, keep_last)`` of the last ``keep_last`` positions."""
        hidden = self.backbone(
            input_ids=input_ids,
            attention_mask=attention_mask,
            position_ids=position_ids,
            use_cache=False,
        ).last_hidden_state[:, -keep_last:, :]
        # A new tensor, not a view: FSDP2 hooks the backward on the output (and warns on views).
        return self.value_head(hidden)[..., 0].to(torch.float32, copy=True)


def build_value_model(policy: PreTrainedModel, config: CriticConfig, seed: int = 0) -> ValueModel:
    """The critic's network: a copy of the policy's backbone (``name_or_path=None``) or the
    backbone of a local causal-LM checkpoint, plus a fresh value head."""
    dtype = next(policy.parameters()).dtype
    if config.name_or_path is None:
        source = copy.deepcopy(policy)
    else:
        path = Path(config.name_or_path)
        if not path.is_dir():
            raise FileNotFoundError(
                f"critic.name_or_path={config.name_or_path!r} is not a local checkpoint directory"
            )
        source = AutoModelForCausalLM.from_pretrained(str(path), local_files_only=True, dtype=dtype)
    if has_lora(source):  # the policy's adapters merged in: the critic trains every weight
        source = without_lora(source)
    backbone = source.get_decoder()
    model = ValueModel(backbone, source.config.hidden_size, seed=seed)
    return model.to(next(policy.parameters()).device)


def value_loss(
    values: torch.Tensor,
    old_values: torch.Tensor,
    returns: torch.Tensor,
    response_mask: torch.Tensor,
    *,
    value_clip: float | None,
    loss_agg_mode: LossAggMode = "token-mean",
    normaliser: float | None = None,
    horizon: int | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """``(loss, clipfrac)``: the clipped value loss of the module docstring; ``clipfrac``
    is the fraction of valid tokens where the clipped term was the larger one."""
    unclipped = (values - returns).square()
    if value_clip is None:
        losses, clipfrac = unclipped, torch.zeros((), device=values.device)
    else:
        clipped_values = old_values + (values - old_values).clamp(-value_clip, value_clip)
        clipped = (clipped_values - returns).square()
        losses = torch.maximum(unclipped, clipped)
        clipfrac = masked_mean((clipped > unclipped).float(), response_mask)
    loss = agg_loss(losses, response_mask, loss_agg_mode, normaliser=normaliser, horizon=horizon)
    return loss, clipfrac


def value_metrics(values: np.ndarray, returns: np.ndarray, mask: np.ndarray) -> dict[str, float]:
    """Rollout-time values against their targets, over valid tokens: means and the
    explained variance ``1 - Var(G - V) / Var(G)`` (1 = perfect, 0 = no better than a
    constant; the reference adds 1e-5 to the denominator, so do we)."""
    valid = np.asarray(mask) > 0
    if not valid.any():
        return {}
    v, g = values[valid], returns[valid]
    return {
        "values_mean": float(v.mean()),
        "returns_mean": float(g.mean()),
        "explained_variance": float(1.0 - np.var(g - v) / (np.var(g) + 1e-5)),
    }


class Critic:
    """Value model + its optimizer.

    Args:
        model: a :class:`ValueModel`.
        config: :class:`~lamer_train.critic_config.CriticConfig`.
        mini_batch_size, micro_batch_size: used where ``config`` leaves them ``None``.
        micro_batch_tokens, activation_checkpointing: as the actor's (``ActorConfig``).
        pad_id: token id used for padding (never attended to).
        compute_dtype: ``"float32"``, or ``"bfloat16"`` to run forward passes under
            autocast like the actor (parameters and AdamW state keep their dtype).
    """

    def __init__(
        self,
        model: ValueModel,
        config: CriticConfig,
        *,
        mini_batch_size: int,
        micro_batch_size: int,
        pad_id: int = 0,
        compute_dtype: str = "float32",
        micro_batch_tokens: int | None = None,
        activation_checkpointing: bool = False,
    ) -> None:
        self.model = model
        self.micro_batch_tokens = micro_batch_tokens
        if activation_checkpointing:
            enable_activation_checkpointing(model)
        self.compute_dtype = check_compute_dtype(compute_dtype)
        self.config = config
        self.mini_batch_size = config.mini_batch_size or mini_batch_size
        self.micro_batch_size = min(
            config.micro_batch_size or micro_batch_size, self.mini_batch_size
        )
        self.pad_id = pad_id
        self.optimizer = adamw(model, config)
        self.updates_done = 0

    def _micro_batches(self, rows: Sequence[int], samples: Sequence[Sample]) -> list[list[int]]:
        return micro_batches(
            rows, samples, self.micro_batch_size, max_tokens=self.micro_batch_tokens
        )

    def _values(self, rows: Sequence[Sample]) -> tuple[torch.Tensor, torch.Tensor]:
        """Values ``(rows, R)`` (zero past each response) and the response mask."""
        packed = pack_rows(rows, self.pad_id, compute_device(self.model))
        width = packed.response_mask.shape[1]
        # Position P-1+j holds the state before response token j: the last R+1 positions
        # minus the final one (which follows the last token).
        with compute_autocast(packed.input_ids.device, self.compute_dtype):
            values = self.model(
                packed.input_ids, packed.attention_mask, packed.position_ids, keep_last=width + 1
            )[:, :-1].float()
        return values * packed.response_mask, packed.response_mask

    def compute_values(self, samples: Sequence[Sample]) -> np.ndarray:
        """float64 ``(n, T)`` values of every row's response tokens, ``T`` = the longest
        response (at least 1), zero past each response; no gradients."""
        width = max(1, max((len(sample[1]) for sample in samples), default=0))
        out = np.zeros((len(samples), width), dtype=np.float64)
        rows = [i for i, sample in enumerate(samples) if len(sample[1]) > 0]
        self.model.eval()
        mine: dict[int, np.ndarray] = {}
        with torch.no_grad():
            chunks = self._micro_batches(rows, samples)
            for chunk, weight in micro_batch_share(chunks):  # several ranks: this one's
                values, _ = self._values([samples[i] for i in chunk])
                if weight == 0:  # a rank's filler pass (see lamer_train.distributed)
                    continue
                for slot, row in enumerate(chunk):
                    length = len(samples[row][1])
                    mine[row] = values[slot, :length].double().cpu().numpy()
        for row, row_values in (gather_rows(mine) if is_distributed() else mine).items():
            out[row, : len(row_values)] = row_values
        return out

    def update(
        self, samples: Sequence[Sample], old_values: np.ndarray, returns: np.ndarray
    ) -> dict[str, float]:
        """One critic update; ``old_values`` are :meth:`compute_values` of the same rows
        (before this update) and ``returns`` the value targets, both ``(n, >= T)``."""
        config = self.config
        if old_values.shape != returns.shape or len(old_values) != len(samples):
            raise ValueError(
                f"critic update: {len(samples)} rows, values {old_values.shape}, "
                f"returns {returns.shape}"
            )
        usable = [i for i, sample in enumerate(samples) if len(sample[1]) > 0]
        sums = {"value_loss": 0.0, "value_clipfrac": 0.0, "grad_norm": 0.0}
        steps = skipped = 0
        if not usable:
            return {}
        device = compute_device(self.model)
        self.model.train()
        for _ in range(config.ppo_epochs):
            for start in range(0, len(usable), self.mini_batch_size):
                mini = usable[start : start + self.mini_batch_size]
                tokens = sum(len(samples[i][1]) for i in mini)
                normaliser = (
                    float(tokens) if config.loss_agg_mode == "token-mean" else float(len(mini))
                )
                horizon = max(len(samples[i][1]) for i in mini)
                self.optimizer.zero_grad(set_to_none=True)
                chunks = self._micro_batches(mini, samples)
                # Several ranks: this rank's share, the loss weighted (lamer_train.distributed).
                for chunk, weight in micro_batch_share(chunks):
                    values, mask = self._values([samples[i] for i in chunk])
                    width = mask.shape[1]
                    old = pad_tensors([old_values[i, :width] for i in chunk], width, device)
                    target = pad_tensors([returns[i, :width] for i in chunk], width, device)
                    loss, clipfrac = value_loss(
                        values,
                        old,
                        target,
                        mask,
                        value_clip=config.value_clip,
                        loss_agg_mode=config.loss_agg_mode,
                        normaliser=normaliser,
                        horizon=horizon,
                    )
                    (loss * weight if weight != 1.0 else loss).backward()
                    if weight == 0:  # a filler pass: its metrics are another rank's
                        continue
                    micro_tokens = float(mask.sum())
                    sums["value_loss"] += float(loss.detach())
                    sums["value_clipfrac"] += float(clipfrac) * micro_tokens / tokens
                grad_norm = torch.nn.utils.clip_grad_norm_(
                    self.model.parameters(), config.grad_clip
                )
                if hasattr(grad_norm, "full_tensor"):  # FSDP2: a DTensor holding the global norm
                    grad_norm = grad_norm.full_tensor()
                if torch.isfinite(grad_norm):
                    self.optimizer.step()
                    steps += 1
                else:  # a non-finite gradient would poison AdamW's moments: skip the step
                    skipped += 1
                self.optimizer.zero_grad(set_to_none=True)
                sums["grad_norm"] += float(grad_norm)
        self.updates_done += 1
        self.model.eval()
        if is_distributed():  # each rank summed its own micro-batches' shares
            own = sum_over_ranks({k: sums[k] for k in ("value_loss", "value_clipfrac")})
            sums.update(own)
        passes = max(config.ppo_epochs * -(-len(usable) // self.mini_batch_size), 1)
        metrics = {name: total / passes for name, total in sums.items()}
        metrics["optimizer_steps"] = float(steps)
        metrics["skipped_steps"] = float(skipped)
        return metrics

    # -- checkpointing ---------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """Value model weights (backbone + head), optimizer state and the update counter."""
        return learner_state(self.model, self.optimizer, self.updates_done)

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.updates_done = load_learner_state(self.model, self.optimizer, state, "critic")
