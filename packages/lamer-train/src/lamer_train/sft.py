"""``lamer-train sft``: train a warm start (supervised, on oracle trials) and save it.

    lamer-train sft --config sft_sokoban --out warm_starts/sokoban_6x6

It builds the config's model (usually ``tiny``), runs the supervised warm-up of
:mod:`lamer_train.warmup` on the config's env, prompts and trial shape, and writes an
HF model folder: ``save_pretrained`` weights and config, the tokenizer files, and
``warm_start.json`` (the config, the command, the losses and the task seeds it trained
on). ``model.name_or_path=<that folder>`` then starts a run from it; a run refuses a
warm start that trained on one of its held-out seeds (:func:`check_warm_start_seeds`).
The warm start plays the part of the pretrained instruct model of the paper: it knows
the formats and plays the task imperfectly, and RL improves it.
"""

from __future__ import annotations

import json
import shlex
import time
from pathlib import Path
from typing import Any

from lamer_train.config import ConfigError, LaMerConfig
from lamer_train.model_source import resolve_model_path

WARM_START_FILE = "warm_start.json"
"""What a warm-start folder records about how it was made."""


def check_sft_config(config: LaMerConfig, out: Path) -> None:
    """What ``lamer-train sft`` needs, checked before any work."""
    if config.warmup.steps < 1:
        raise ConfigError("warmup.steps: lamer-train sft needs at least one step")
    if out.exists() and any(out.iterdir()):
        raise ConfigError(f"--out {out}: the folder exists and is not empty")
    import gymnasium

    import lamer_envs
    from lamer_train.oracle_trials import has_oracle

    lamer_envs.register_envs()
    env = gymnasium.make(config.env.id, **config.env.kwargs)
    try:
        if not callable(getattr(env.unwrapped, "sample_action", None)):
            raise ConfigError(f"env.id={config.env.id!r} has no sample_action: nothing to play")
        if config.warmup.policy == "oracle" and not has_oracle(env):
            raise ConfigError(
                f"warmup.policy=oracle: env {config.env.id!r} has no oracle "
                "(solver_action() or solution())"
            )
    finally:
        env.close()


def run_sft(
    config: LaMerConfig, out: Path, command: str, log=print, on_step=None
) -> dict[str, Any]:
    """Train and save the warm start of ``config`` into ``out``; returns its record."""
    from lamer_train.trainer import Trainer

    started = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    trainer = Trainer(config, out, log=log)
    try:
        log(f"supervised warm-up: {config.warmup.steps} steps, policy {config.warmup.policy}")
        losses = trainer.warmup(on_step=on_step)
        agreement = _agreement_on_held_out(trainer)
        model = trainer.actor.model
        model.save_pretrained(out)
        trainer.tokenizer.save_pretrained(out)
        record = {
            "command": command,
            "seconds": round(time.perf_counter() - started, 1),
            "loss_first": losses[0] if losses else None,
            "loss_last": losses[-1] if losses else None,
            "losses": losses,
            "oracle_agreement": agreement,
            # A warm start made from another one has trained on that one's tasks too.
            "task_seeds": _with_base_seeds(trainer.warmup_seeds, config.model.name_or_path),
            "config": config.model_dump(mode="json"),
        }
        (out / WARM_START_FILE).write_text(json.dumps(record, indent=1), encoding="utf-8")
    finally:
        trainer.close()
    return record


def _with_base_seeds(seeds: list[int], name_or_path: str) -> list[int]:
    """``seeds`` followed by the base warm start's seeds that are not among them."""
    seen = set(seeds)
    return seeds + sorted(warm_start_seeds(name_or_path) - seen)


def _agreement_on_held_out(trainer) -> dict[str, float] | None:
    """:func:`~lamer_train.oracle_trials.oracle_agreement` on the config's held-out tasks,
    which the warm start never trained on (``None`` when the env has no oracle)."""
    import gymnasium

    import lamer_envs
    from lamer_train import oracle_trials
    from lamer_train.task_seeds import eval_task_seeds

    config = trainer.config
    lamer_envs.register_envs()
    env = gymnasium.make(config.env.id, **config.env.kwargs)
    try:
        if not oracle_trials.has_oracle(env):
            return None
        seeds = eval_task_seeds(config.seed, config.eval.num_tasks)
        return oracle_trials.oracle_agreement(env, seeds, trainer.train_prompts, trainer.engine)
    finally:
        env.close()


def warm_start_seeds(name_or_path: str) -> set[int]:
    """Task seeds a warm-start folder trained on (empty when it has no record)."""
    path = Path(resolve_model_path(name_or_path)) / WARM_START_FILE
    if not path.is_file():
        return set()
    return set(json.loads(path.read_text(encoding="utf-8")).get("task_seeds", []))


def check_warm_start_seeds(name_or_path: str, held_out: set[int]) -> None:
    """A run's held-out tasks were never trained on by its warm start."""
    overlap = warm_start_seeds(name_or_path) & held_out
    if overlap:
        raise ConfigError(
            f"model.name_or_path={name_or_path!r} was trained on {len(overlap)} of this "
            f"run's held-out task seeds (e.g. {min(overlap)}); use another run seed or "
            "retrain the warm start with this run's eval settings"
        )


def sft_main(argv: list[str]) -> int:
    """Entry point of ``lamer-train sft``."""
    import argparse

    from rich.console import Console

    from lamer_train.cli import OVERRIDES_HELP, _print_error
    from lamer_train.config import load_config

    parser = argparse.ArgumentParser(
        prog="lamer-train sft",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=OVERRIDES_HELP,
    )
    parser.add_argument("--config", default="sft_sokoban", help="shipped config name or YAML")
    parser.add_argument("--out", required=True, help="folder to write the model to (new)")
    parser.add_argument("overrides", nargs="*", help="section.field=value")
    args = parser.parse_args(argv)
    console = Console()
    try:
        config = load_config(args.config, args.overrides)
        out = Path(args.out)
        check_sft_config(config, out)
    except ConfigError as error:
        _print_error("config error", error)
        return 2
    command = shlex.join(["lamer-train", "sft", *argv])
    started = time.perf_counter()

    def on_step(done: int, total: int) -> None:
        if done % max(total // 10, 1) == 0 or done == total:
            console.print(f"step {done}/{total} ({time.perf_counter() - started:.0f} s)")

    log = lambda line: console.print(line, soft_wrap=True)  # noqa: E731
    record = run_sft(config, out, command, log=log, on_step=on_step)
    agreement = record["oracle_agreement"]
    console.print(
        f"warm start written to {out}: loss {record['loss_first']:.3f} -> "
        f"{record['loss_last']:.3f} in {record['seconds']:.0f} s "
        f"({len(record['task_seeds'])} tasks)",
        soft_wrap=True,
    )
    if agreement is not None:
        console.print(
            f"on {agreement['tasks']} held-out tasks its greedy first action equals the "
            f"oracle's {agreement['action']:.0%} of the time (first move: "
            f"{agreement['first_move']:.0%}; a policy blind to the state: at most "
            f"{agreement['first_move_blind']:.0%})",
            soft_wrap=True,
        )
    return 0
