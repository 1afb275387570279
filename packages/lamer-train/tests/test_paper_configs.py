"""Every paper config, resolved, against a table of the reference's training settings.

The table is written from the reference implementation (mlbio-epfl/LaMer, a verl fork):

- its run scripts ``examples/<env>/<method>_<env>_qwen3_4b.sh`` (lamer, gigpo, grpo for
  sokoban, minesweeper, webshop; lamer and gigpo for alfworld): ``train_data_size``
  (tasks per iteration), ``group_size`` (``env.rollout.n``), ``env.num_attempts``,
  ``+env.val_num_attempts`` / ``+env.val_do_reflection``, ``+env.reflection_type``,
  ``+algorithm.step_gamma`` / ``traj_gamma``, ``algorithm.gigpo.*``, ``env.max_turns``,
  ``env.max_steps``, ``env.seed``, the env knobs, ``data.max_prompt_length`` /
  ``max_response_length``, ``val_data_size``, ``trainer.total_epochs`` /
  ``test_freq``, ``actor.optim.lr``, ``ppo_mini_batch_size``,
  ``ppo_micro_batch_size_per_gpu``, ``use_kl_loss=False``,
  ``invalid_action_penalty_coef``, ``val_kwargs`` (temperature/top_p/top_k),
  ``enable_thinking=False``;
- its base trainer config ``verl/trainer/config/ppo_trainer.yaml`` for what no script
  overrides: ``entropy_coeff`` 0.001, ``clip_ratio`` 0.2, ``clip_ratio_c`` 3.0,
  ``ppo_epochs`` 1, ``grad_clip`` 1.0, ``weight_decay`` 0.01, ``loss_agg_mode``
  token-mean, and the Sokoban generator's ``min_steps`` 5 / ``max_sol_steps`` 25;
- its env managers (``agent_system/environments/*/env_manager.py``): reflection on by
  default (``do_reflection``), evaluation attempts and reflection defaulting to the
  training ones, ``reflection_type`` default ``reflection_only``; its projections
  (``*/projection.py``): Sokoban reads the first ``<remark>``/``</remark>``, the others
  the last ones (``rfind``); GiGPO's step groups key on the observation text;
- ``agent_system/multi_turn_rollout/utils.py`` (``adjust_batch``: rows repeated up to a
  multiple of lcm(ppo_mini_batch_size, log_prob_micro_batch_size_per_gpu x n_gpus) =
  lcm(64, 32 x 4) = 128) and verl's actor (per-micro-batch token mean, 16 rows per GPU
  x 4 GPUs per mini-batch of 64);
- FSDP mixed precision of verl's workers: float32 parameters, bfloat16 compute.

``grpo_alfworld`` has no reference script (the paper's ALFWorld baseline is GiGPO); it
is checked against ``gigpo_alfworld_qwen3_4b.sh`` with the estimator swapped. The PPO
configs (``ppo_<env>``: the baseline's episodes, ``lamer_ppo_<env>``: LaMer's trials)
have no reference script either; they are checked for the settings they share with the
runs above (their critic settings are tested with the critic). The
MineSweeper baselines come twice: ``*_minesweeper`` as the paper's text describes them
(1 attempt), ``*_minesweeper_reference_script`` as the published scripts train them.
"""

from __future__ import annotations

from typing import Any

import pytest

from lamer_train.config import load_config, shipped_config_names

# Settings every paper run shares (script flags all runs pass, and base-config defaults).
COMMON: dict[str, Any] = {
    "trial.sampling.max_new_tokens": 1024,
    "eval.num_tasks": 128,
    "eval.every": 5,
    "eval.at_start": True,
    "eval.group_size": 1,
    "eval.sampling.temperature": 0.7,
    "eval.sampling.top_p": 0.8,
    "eval.sampling.top_k": 20,
    "eval.sampling.max_new_tokens": 1024,
    "algorithm.step_gamma": 0.95,
    "algorithm.invalid_action_penalty_coef": 0.5,
    "algorithm.return_form": "recursive",
    "model.name_or_path": "Qwen/Qwen3-4B",
    "model.param_dtype": "float32",
    "model.compute_dtype": "bfloat16",
    "engine.enable_thinking": False,
    "warmup.steps": 0,
    "actor.lr": 1e-6,
    "actor.mini_batch_size": 64,
    "actor.micro_batch_size": 16,
    "actor.loss_normaliser": "micro_batch",
    "actor.pad_rows_to_multiple": 128,
    "actor.kl_coef": 0.0,
    "actor.entropy_coef": 0.001,
    "actor.clip_ratio": 0.2,
    "actor.clip_ratio_c": 3.0,
    "actor.ppo_epochs": 1,
    "actor.grad_clip": 1.0,
    "actor.weight_decay": 0.01,
    "actor.loss_agg_mode": "token-mean",
    "trial.sampling.temperature": 1.0,
}

ENVS: dict[str, dict[str, Any]] = {
    "sokoban": {
        "seed": 4608,
        "run.iterations": 300,
        "env.id": "lamer/Sokoban-v0",
        "env.kwargs.dim_room": [6, 6],
        "env.kwargs.num_boxes": 2,
        "env.kwargs.search_depth": 100,
        "env.kwargs.max_steps": 30,
        "env.kwargs.min_steps": 5,
        "env.kwargs.max_sol_steps": 25,
        "env.kwargs.num_actions_per_turn": 3,
        "env.max_turns": 7,
        "trial.tasks_per_iteration": 16,
        "trial.max_prompt_tokens": 2048,
        "trial.reflection_style": "first_tags",
        "algorithm.traj_gamma": 0.9,
    },
    "minesweeper": {
        "seed": 0,
        "run.iterations": 300,
        "env.id": "lamer/MineSweeper-v0",
        "env.kwargs.board_size": 6,
        "env.kwargs.n_mines": 3,
        "env.max_turns": 7,
        "trial.tasks_per_iteration": 16,
        "trial.max_prompt_tokens": 2048,
        "trial.reflection_style": "last_tags",
        "algorithm.traj_gamma": 0.6,
    },
    "webshop": {
        "seed": 0,
        "run.iterations": 150,
        "env.id": "lamer/WebShop-v0",
        "env.kwargs.max_steps": 40,
        "env.max_turns": 12,
        "trial.tasks_per_iteration": 8,
        "trial.max_prompt_tokens": 8192,
        "trial.reflection_style": "last_tags",
        "algorithm.traj_gamma": 0.6,
    },
    "alfworld": {
        "seed": 0,
        "run.iterations": 150,
        "env.id": "lamer/ALFWorld-v0",
        "env.kwargs.max_steps": 30,
        "env.kwargs.anchor": "observation",
        "env.max_turns": 10,
        "trial.tasks_per_iteration": 8,
        "trial.max_prompt_tokens": 4096,
        "trial.reflection_style": "last_tags",
        "algorithm.traj_gamma": 0.6,
    },
}

GIGPO = {"algorithm.estimator": "gigpo", "algorithm.estimator_params.mode": "mean_norm",
         "algorithm.estimator_params.step_advantage_w": 1.0}  # fmt: skip
GRPO = {"algorithm.estimator": "grpo", "algorithm.estimator_params.norm_by_std": True}
GAE = {"algorithm.estimator": "gae"}
LAMER = {  # group 8 x 3 attempts with reflections (the estimator is added per config)
    "trial.group_size": 8,
    "trial.num_attempts": 3,
    "trial.reflection": True,
    "trial.memory_mode": "reflection_only",
    "eval.num_attempts": 3,
    "eval.reflection": True,
    "eval.memory_mode": "reflection_only",
}
BASELINE = {  # group 24 x 1 attempt; evaluated with 3 attempts, no reflection
    "trial.group_size": 24,
    "trial.num_attempts": 1,
    "trial.reflection": False,
    "trial.memory_mode": "none",
    "eval.num_attempts": 3,
    "eval.reflection": False,
    "eval.memory_mode": "none",
}
MINESWEEPER_SCRIPT = {  # the published baseline scripts: 3 attempts, reflection left on
    **BASELINE,
    "trial.num_attempts": 3,
    "trial.reflection": True,
    "trial.memory_mode": "reflection_only",
}

REFERENCE: dict[str, dict[str, Any]] = {}
for env in ENVS:
    REFERENCE[f"lamer_{env}"] = {**COMMON, **ENVS[env], **LAMER, **GIGPO}
    REFERENCE[f"gigpo_{env}"] = {**COMMON, **ENVS[env], **BASELINE, **GIGPO}
    REFERENCE[f"grpo_{env}"] = {**COMMON, **ENVS[env], **BASELINE, **GRPO}
    REFERENCE[f"ppo_{env}"] = {**COMMON, **ENVS[env], **BASELINE, **GAE}
    REFERENCE[f"lamer_ppo_{env}"] = {**COMMON, **ENVS[env], **LAMER, **GAE}
for method, estimator in (("gigpo", GIGPO), ("grpo", GRPO)):
    REFERENCE[f"{method}_minesweeper_reference_script"] = {
        **COMMON, **ENVS["minesweeper"], **MINESWEEPER_SCRIPT, **estimator
    }  # fmt: skip


def _resolve(config: Any, dotted: str) -> Any:
    value = config
    for key in dotted.split("."):
        value = value[key] if isinstance(value, dict) else getattr(value, key)
    return list(value) if isinstance(value, tuple) else value


def test_the_table_covers_every_shipped_paper_config():
    shipped = {
        name for name in shipped_config_names() if name not in ("cpu_default", "sft_sokoban")
    }
    assert shipped == set(REFERENCE)


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_paper_config_matches_the_reference_settings(name):
    config = load_config(name)
    wrong = {
        key: (_resolve(config, key), expected)
        for key, expected in REFERENCE[name].items()
        if _resolve(config, key) != expected
    }
    assert not wrong, f"{name}: (config, reference) differ: {wrong}"
