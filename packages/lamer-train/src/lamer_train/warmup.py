"""Format warm-up: a few supervised steps that teach a fresh model the answer format.

A pretrained LLM (the paper's Qwen3-4B) already writes ``<action>...</action>`` when
asked; a tiny randomly initialised model does not, so every response would be invalid,
every score equal and every advantage zero. For such models (the CPU default) the run
can start with ``warmup.steps`` steps of next-token cross-entropy on *random valid
actions* (the env's optional ``sample_action(rng)``) in real play prompts, and on
reflections of the form ``<remark>...</remark>`` in real reflect prompts. It teaches the
formats, not the task: the actions are uniformly random, so success still has to come
from RL. Off (``steps: 0``) in every paper config.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch

from lamer_core.seeding import derive_seed, make_rng
from lamer_memory.trial_memory import TrialMemory
from lamer_train.trial_loop import EnvText, PromptBuilder

ACTION_OPEN, ACTION_CLOSE = "<action>", "</action>"


def warmup_examples(
    envs: Sequence[Any],
    prompts: PromptBuilder,
    *,
    count: int,
    run_seed: int,
    held_out: set[int],
    max_turns: int,
) -> list[tuple[list[dict[str, str]], str]]:
    """``count`` (messages, target response) pairs from random play.

    Each example resets an env on a fresh warm-up seed (never a held-out one) and plays
    random actions. Even examples stop at a random turn and target one more random action
    inside ``<action></action>``; odd ones finish the attempt and target a reflection
    inside ``<remark></remark>`` naming a random first move (format only: no insight).
    Empty when the env has no ``sample_action``.
    """
    rng = make_rng(run_seed, "warmup")
    examples = []
    for index in range(count):
        env = envs[index % len(envs)]
        sample = getattr(env.unwrapped, "sample_action", None)
        if sample is None:
            return []
        seed = derive_seed(run_seed, "task", "warmup", index)
        if seed in held_out:
            continue
        observation, _ = env.reset(seed=seed)
        memory = TrialMemory(observation)
        text = EnvText(env.unwrapped.rules, env.unwrapped.action_format)
        reflect = index % 2 == 1
        turns = max_turns if reflect else int(rng.integers(0, max_turns))
        for _ in range(turns):
            observation, reward, terminated, truncated, info = env.step(_tagged(sample(rng)))
            memory.record_turn(str(info.get("action")), observation, float(reward))
            if terminated or truncated or info.get("won"):
                break
        if reflect:
            memory.end_attempt(won=False)
            plan = _inner(_tagged(sample(rng)))
            target = f"<remark>Next attempt, start with: {plan}.</remark>"
            examples.append((prompts.reflect_messages(memory, text), target))
            continue
        if memory.turn and (terminated or truncated or info.get("won")):
            memory = TrialMemory(memory.initial_observation)  # no next turn to ask for
        examples.append((prompts.play_messages(memory, text), _tagged(sample(rng))))
    return examples


def _inner(tagged: str) -> str:
    return tagged.split(ACTION_OPEN, 1)[1].split(ACTION_CLOSE, 1)[0].strip()


def _tagged(action: str) -> str:
    action = str(action).strip()
    if ACTION_OPEN in action:
        return action
    return f"{ACTION_OPEN}{action}{ACTION_CLOSE}"


def format_warmup(
    model: torch.nn.Module,
    tokenizer: Any,
    encode_prompt,
    examples: Sequence[tuple[list[dict[str, str]], str]],
    *,
    steps: int,
    batch_size: int,
    lr: float,
    seed: int,
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
    encoded = [
        (
            encode_prompt(messages),
            tokenizer(target, add_special_tokens=False)["input_ids"] + end_ids,
        )
        for messages, target in examples
    ]
    device = next(model.parameters()).device
    # The fused kernel is several times faster on CPU (one pass over the 151k-row embedding).
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=lr, weight_decay=0.0, fused=device.type in ("cpu", "cuda")
    )
    rng = make_rng(seed, "warmup-batches")
    losses = []
    model.train()
    for _ in range(steps):
        picked = rng.choice(len(encoded), size=min(batch_size, len(encoded)), replace=False)
        loss = _batch_loss(model, [encoded[i] for i in picked], device)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        losses.append(loss.item())
        if on_step is not None:
            on_step(len(losses), steps)
    model.eval()
    return losses


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
