"""Supervised warm-up: next-token cross-entropy on scripted trials before RL.

A pretrained LLM (the paper's Qwen3-4B) already writes ``<action>...</action>`` when
asked and plays the task a little; a tiny randomly initialised model does neither, so
every response would be invalid, every score equal and every advantage zero. The
warm-up trains such a model on trials played by a script in the trainer's own prompts
(:mod:`lamer_train.oracle_trials`), with ``warmup.policy``:

- ``random``: uniformly random valid actions (the env's ``sample_action``) and
  reflections that name a random plan. It teaches the formats, not the task: success
  has to come from RL. The tiny from-scratch default runs it for ``warmup.steps``
  steps before its first evaluation.
- ``oracle``: the env's oracle solver with ``warmup.action_noise``, and reflections that
  name the attempt's mistake and the oracle's plan (``warmup.reflection: mistake_only``:
  the mistake alone). ``lamer-train sft`` runs it alone and saves the model as a warm
  start (:mod:`lamer_train.sft`); the CPU default main job starts from the one shipped
  in ``lamer_train/warm_starts/``.

Task seeds come from the run seed's ``warmup`` split and skip every held-out seed.
Off (``steps: 0``) in every paper config.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, Literal

import torch

from lamer_core.seeding import make_rng
from lamer_train.config import ReflectionStyle
from lamer_train.oracle_trials import Example, has_oracle, play_oracle_trial
from lamer_train.task_seeds import warmup_task_seed
from lamer_train.trial_loop import PromptBuilder, TrialSettings

WARMUP_POLICIES = ("random", "oracle")


def warmup_examples(
    envs: Sequence[Any],
    prompts: PromptBuilder,
    settings: TrialSettings,
    *,
    count: int,
    run_seed: int,
    held_out: set[int],
    policy: str = "random",
    action_noise: float = 0.0,
    reflection: ReflectionStyle = "oracle_plan",
) -> tuple[list[Example], list[int]]:
    """At least ``count`` (messages, target) examples from whole scripted trials, and the
    task seeds they were played on (never one of ``held_out``).

    Trial ``i`` plays warm-up task ``i`` on ``envs[i % len(envs)]`` (see the module
    docstring for the two policies). Empty when the env lacks what the policy needs
    (``sample_action``; for ``oracle`` also a solver).
    """
    if policy not in WARMUP_POLICIES:
        raise ValueError(f"warmup.policy must be one of {WARMUP_POLICIES}, got {policy!r}")
    noise = 1.0 if policy == "random" else action_noise
    rng = make_rng(run_seed, "warmup")
    examples: list[Example] = []
    seeds: list[int] = []
    index = 0
    while len(examples) < count:
        env = envs[index % len(envs)]
        if not callable(getattr(env.unwrapped, "sample_action", None)):
            return [], []
        if policy == "oracle" and not has_oracle(env):
            return [], []
        seed = warmup_task_seed(run_seed, index)
        index += 1
        if seed in held_out:
            continue
        trial, _ = play_oracle_trial(
            env,
            seed,
            prompts,
            settings,
            rng,
            noise,
            scripted_plan=policy == "oracle",
            reflection=reflection,
        )
        examples += trial
        seeds.append(seed)
    return examples, seeds


def supervised_warmup(
    model: torch.nn.Module,
    tokenizer: Any,
    encode_prompt,
    examples: Sequence[tuple[list[dict[str, str]], str]],
    *,
    steps: int,
    batch_size: int,
    lr: float,
    seed: int,
    lr_schedule: Literal["constant", "cosine"] = "constant",
    on_step: Callable[[int, int], None] | None = None,
) -> list[float]:
    """Train ``model`` on the examples' targets (cross-entropy on target tokens only);
    returns the loss of every step. ``encode_prompt(messages) -> ids`` is the engine's
    chat-template encoder, so the model learns exactly the prompts it will see.
    ``on_step(done, steps)`` follows the steps (progress)."""
    if not examples or steps <= 0:
        return []
    end = tokenizer.convert_tokens_to_ids("<|im_end|>")
    end_ids = [end] if isinstance(end, int) and end >= 0 else [tokenizer.eos_token_id]
    cache: dict[int, tuple[list[int], list[int]]] = {}

    def encoded(index: int) -> tuple[list[int], list[int]]:
        # Lazily: a short run touches only a few of many examples.
        if index not in cache:
            messages, target = examples[index]
            target_ids = tokenizer(target, add_special_tokens=False)["input_ids"]
            cache[index] = (encode_prompt(messages), target_ids + end_ids)
        return cache[index]

    device = next(model.parameters()).device
    # The fused kernel is several times faster on CPU (one pass over the 151k-row embedding).
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=lr, weight_decay=0.0, fused=device.type in ("cpu", "cuda")
    )
    rng = make_rng(seed, "warmup-batches")
    losses = []
    model.train()
    for step in range(steps):
        if lr_schedule == "cosine":
            for group in optimizer.param_groups:
                group["lr"] = cosine_lr(lr, step, steps)
        picked = rng.choice(len(examples), size=min(batch_size, len(examples)), replace=False)
        loss = _batch_loss(model, [encoded(int(i)) for i in picked], device)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        losses.append(loss.item())
        if on_step is not None:
            on_step(len(losses), steps)
    model.eval()
    return losses


def cosine_lr(lr: float, step: int, steps: int, floor: float = 0.1) -> float:
    """Cosine decay from ``lr`` at step 0 to ``floor * lr`` at the last step."""
    progress = step / max(steps - 1, 1)
    return lr * (floor + (1.0 - floor) * 0.5 * (1.0 + math.cos(math.pi * progress)))


def _batch_loss(model, pairs: list[tuple[list[int], list[int]]], device) -> torch.Tensor:
    """Mean cross-entropy of the target tokens; logits only at target positions (the
    output head over a 151k vocabulary is the expensive part)."""
    width = max(len(p) + len(t) for p, t in pairs)
    ids = torch.zeros(len(pairs), width, dtype=torch.long)
    mask = torch.zeros(len(pairs), width, dtype=torch.long)
    target_mask = torch.zeros(len(pairs), width, dtype=torch.bool)
    for row, (prompt, target) in enumerate(pairs):
        sequence = prompt + target
        start = width - len(sequence)  # left padding, as in generation
        ids[row, start:] = torch.tensor(sequence)
        mask[row, start:] = 1
        target_mask[row, start + len(prompt) :] = True
    ids, mask, target_mask = ids.to(device), mask.to(device), target_mask.to(device)
    positions = (mask.cumsum(-1) - 1).clamp(min=0)
    # Targets sit in the last `span` positions (left padding); position t predicts token
    # t + 1. The model's own forward (which FSDP's hooks need) computes those logits only.
    span = max(len(t) for _, t in pairs)
    logits = model(
        input_ids=ids,
        attention_mask=mask,
        position_ids=positions,
        use_cache=False,
        logits_to_keep=span + 1,
    ).logits[:, :-1]
    chosen = target_mask[:, -span:]
    return torch.nn.functional.cross_entropy(logits[chosen].float(), ids[:, -span:][chosen])
