"""Every part of a training run, built from its config (:func:`build_components`).

========================  =============================================================
part                      chosen by
========================  =============================================================
policy model, tokenizer   ``model.*`` (a tiny random model or a checkpoint folder)
actor (PPO updates)       ``actor.*``; a frozen reference copy when ``actor.kl_coef > 0``
rollout engine            ``engine.kind`` (:func:`lamer_train.engines.factory.build_engine`)
estimator                 ``algorithm.estimator`` (entry points ``lamer.estimators``)
critic                    on when the estimator learns from values (GAE), ``critic.*``
training envs, prompts    ``env.*``, ``trial.*``
eval sets                 ``eval.*`` (:mod:`lamer_train.eval_sets`), one runner per set
========================  =============================================================

Training and the eval sets that play the training env's settings share one env pool.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch

import lamer_envs
from lamer_algos import get_estimator, value_targets
from lamer_core.seeding import derive_seed
from lamer_envs.pool import EnvPool, make_pool
from lamer_memory.config import PromptConfig
from lamer_train.actor import Actor
from lamer_train.block_compile import compile_decoder_blocks
from lamer_train.config import LaMerConfig
from lamer_train.critic import Critic, build_value_model
from lamer_train.distributed import (
    is_distributed,
    largest_group_share,
    shard_model,
    torch_threads_per_rank,
    world_size,
)
from lamer_train.engines.base import Engine
from lamer_train.engines.factory import build_engine
from lamer_train.eval_sets import EvalSet, kwargs_key, resolve_eval_sets
from lamer_train.lora import adapt_policy
from lamer_train.model_factory import load_policy
from lamer_train.prompting import MemoryPrompts, tokenizer_counter
from lamer_train.task_seeds import held_out_seeds
from lamer_train.trial_loop import TrialSettings


@dataclass(slots=True)
class EvalRunner:
    """What evaluating one eval set needs: its settings, envs, prompts and trial shape."""

    eval_set: EvalSet
    pool: EnvPool
    prompts: MemoryPrompts
    settings: TrialSettings


@dataclass(slots=True)
class Components:
    """The parts a :class:`~lamer_train.trainer.Trainer` drives."""

    tokenizer: Any
    actor: Actor
    engine: Engine
    estimator: Callable[..., Any]
    critic: Critic | None
    """Only for an estimator that learns from values (GAE)."""
    train_prompts: MemoryPrompts
    train_settings: TrialSettings
    envs: EnvPool
    """The training env pool."""
    eval_runners: list[EvalRunner]
    held_out: set[int]
    """Env seeds of every configured eval set's tasks; training never plays one."""


def build_components(
    config: LaMerConfig,
    log: Callable[[str], None] = lambda line: None,
    eval_sets: list[str] | None = None,
) -> Components:
    """Build every part of a run; ``eval_sets``: only these sets (default: all)."""
    set_torch_threads(config.run.torch_threads)
    actor, tokenizer, whole = build_actor(config, log)
    # hf: shares the actor's module (and its autocast); vllm: its own copy, synced.
    # Under torchrun the actor is sharded and each rank's engine gets a whole copy.
    engine = build_engine(config, whole, tokenizer)
    estimator = get_estimator(config.algorithm.estimator)
    critic = None
    if value_targets(estimator) is not None:
        critic = build_critic(config, whole, actor.pad_id)
    del whole  # the hf engine keeps it under torchrun; nothing else does

    trial = config.trial
    count_tokens = tokenizer_counter(tokenizer)

    def prompts(mode: str, num_attempts: int, max_turns: int) -> MemoryPrompts:
        return MemoryPrompts(
            prompt_config(config, mode, num_attempts, max_turns),
            reflection_style=trial.reflection_style,
            count_tokens=count_tokens,
        )

    chosen = resolve_eval_sets(config, eval_sets)
    pools = make_env_pools(
        config,
        # Under torchrun a rank plays its share of the task groups only.
        [(config.env.kwargs, largest_group_share(trial.tasks_per_iteration) * trial.group_size)]
        + [(s.env_kwargs, largest_group_share(s.num_tasks) * s.group_size) for s in chosen],
        log,
    )
    eval_runners = [
        EvalRunner(
            eval_set=s,
            pool=pool,
            prompts=prompts(s.memory_mode, s.num_attempts, s.max_turns),
            settings=TrialSettings(
                num_attempts=s.num_attempts, max_turns=s.max_turns, reflection=s.reflection
            ),
        )
        for s, pool in zip(chosen, pools[1:], strict=True)
    ]
    return Components(
        tokenizer=tokenizer,
        actor=actor,
        engine=engine,
        estimator=estimator,
        critic=critic,
        train_prompts=prompts(trial.memory_mode, trial.num_attempts, config.env.max_turns),
        train_settings=TrialSettings(
            num_attempts=trial.num_attempts,
            max_turns=config.env.max_turns,
            reflection=trial.reflection,
        ),
        envs=pools[0],
        eval_runners=eval_runners,
        # Every configured set's seeds, not only the chosen ones: training seeds do not
        # depend on which sets a command evaluates.
        held_out=held_out_seeds(config),
    )


def build_actor(
    config: LaMerConfig, log: Callable[[str], None]
) -> tuple[Actor, Any, torch.nn.Module]:
    """The policy (seeded from the run seed) on ``run.device``, wrapped in the actor, its
    tokenizer, and the policy unsharded: the actor's own module in one process; under
    torchrun (the actor sharded with FSDP2) a copy of its initial weights, for the
    engine and the critic."""
    log(f"building the model: {config.model.name_or_path} on {config.run.device}")
    model, tokenizer = load_policy(config.model, seed=derive_seed(config.seed, "model-init"))
    model.to(config.run.device)
    parameters = sum(p.numel() for p in model.parameters())
    log(f"model ready: {parameters / 1e6:.1f}M parameters")
    ref_model = None
    if config.actor.kl_coef > 0:
        ref_model = _sharded(config, copy.deepcopy(model).eval().requires_grad_(False))
    # actor.lora: adapters before the engine's copy and before the sharding.
    adapt_policy(model, config.actor)
    whole = model
    if is_distributed():
        whole = copy.deepcopy(model)
        log(f"sharding the actor over {world_size()} ranks (FSDP2)")
    if config.model.compile_blocks:
        blocks = compile_decoder_blocks(model)
        log(f"compiling {blocks} decoder blocks for the actor's training passes (torch.compile)")
    actor = Actor(
        _sharded(config, model),
        config.actor,
        ref_model=ref_model,
        compute_dtype=config.model.compute_dtype,
    )
    return actor, tokenizer, whole


def build_critic(config: LaMerConfig, policy: torch.nn.Module, pad_id: int) -> Critic:
    """A value model on the (unsharded) policy's backbone (its own copy), batched like
    the actor, sharded like it under torchrun."""
    value_model = build_value_model(
        policy, config.critic, seed=derive_seed(config.seed, "critic-init")
    )
    return Critic(
        _sharded(config, value_model),
        config.critic,
        mini_batch_size=config.actor.mini_batch_size,
        micro_batch_size=config.actor.micro_batch_size,
        pad_id=pad_id,
        compute_dtype=config.model.compute_dtype,
        micro_batch_tokens=config.actor.micro_batch_tokens,
        activation_checkpointing=config.actor.activation_checkpointing,
    )


def _sharded(config: LaMerConfig, model: torch.nn.Module) -> torch.nn.Module:
    """FSDP2 per decoder layer under torchrun (:func:`lamer_train.distributed.shard_model`)."""
    return shard_model(
        model, compute_dtype=config.model.compute_dtype, cpu_offload=config.model.cpu_offload
    )


def prompt_config(
    config: LaMerConfig, mode: str, num_attempts: int, max_turns: int
) -> PromptConfig:
    """Prompt settings of a trial shape (training or one eval set)."""
    return PromptConfig(
        mode=mode,
        history_window=config.trial.history_window,
        max_turns=max_turns,
        num_attempts=num_attempts,
        max_prompt_tokens=config.trial.max_prompt_tokens,
    )


def make_env_pools(
    config: LaMerConfig,
    needs: list[tuple[dict[str, Any], int]],
    log: Callable[[str], None] | None = None,
) -> list[EnvPool]:
    """One pool per distinct env kwargs in ``needs`` (``(kwargs, envs needed)`` pairs),
    sized for the largest need; returns the pool serving each need, in order. Training
    and the eval sets that play the training env share one pool."""
    sizes: dict[str, int] = {}
    kwargs_of: dict[str, dict[str, Any]] = {}
    for kwargs, count in needs:
        key = kwargs_key(kwargs)
        sizes[key] = max(sizes.get(key, 0), count)
        kwargs_of[key] = kwargs
    if log is not None:
        workers = config.env.num_workers
        where = f"{workers} worker processes" if workers else "this process"
        log(f"building {sum(sizes.values())} envs {config.env.id} in {where}")
    lamer_envs.register_envs()
    pools = {
        key: make_pool(config.env.id, size, num_workers=config.env.num_workers, **kwargs_of[key])
        for key, size in sizes.items()
    }
    return [pools[kwargs_key(kwargs)] for kwargs, _ in needs]


def set_torch_threads(threads: int) -> None:
    """0 = one thread per available core (the process's CPU affinity, not the machine's),
    divided among the ranks of a torchrun job on this machine."""
    if threads <= 0:
        threads = torch_threads_per_rank()
    torch.set_num_threads(max(threads, 1))
