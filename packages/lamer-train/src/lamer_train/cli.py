"""``lamer-train``: train (the default command) or evaluate a checkpoint.

    lamer-train                                   # the CPU default run
    lamer-train --config lamer_sokoban            # a shipped config (or a YAML path)
    lamer-train --config lamer_sokoban trial.group_size=4 actor.lr=2e-6
    lamer-train --resume runs/<run>               # continue a killed run
    lamer-train eval --checkpoint runs/<run>/checkpoints/iter_000008

Overrides are ``section.field=value`` (value parsed as YAML). Config errors are
reported, naming the field, before anything is built.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from lamer_train.checkpoint_files import (
    CHECKPOINTS,
    CheckpointError,
    find_resume_checkpoint,
    remove_stale_temporaries,
)
from lamer_train.config import ConfigError, LaMerConfig, load_config
from lamer_train.config_checks import check_run_setup
from lamer_train.nonfinite import TrainingStopped
from lamer_train.run_config import load_run_config, write_run_config


def _parser(command: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=f"lamer-train{' eval' if command == 'eval' else ''}",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="overrides: section.field=value, e.g. run.iterations=4 trial.group_size=2",
    )
    parser.add_argument("--config", help="shipped config name or YAML path (default: CPU run)")
    if command == "eval":
        parser.add_argument(
            "--checkpoint", required=True, help="checkpoint folder (or run folder: its newest)"
        )
    else:
        parser.add_argument("--resume", help="run folder of a killed run to continue")
    parser.add_argument("overrides", nargs="*", help="section.field=value")
    return parser


def check_env(config: LaMerConfig) -> None:
    """Build one env to catch a bad id or bad kwargs before the model is loaded."""
    import gymnasium

    import lamer_envs

    lamer_envs.register_envs()
    try:
        env = gymnasium.make(config.env.id, **config.env.kwargs)
    except Exception as error:
        raise ConfigError(
            f"env.id={config.env.id!r} / env.kwargs={config.env.kwargs!r}: "
            f"the env cannot be built: {error}"
        ) from error
    env.close()
    if config.eval.env_kwargs:
        kwargs = {**config.env.kwargs, **config.eval.env_kwargs}
        try:
            env = gymnasium.make(config.env.id, **kwargs)
        except Exception as error:
            raise ConfigError(
                f"eval.env_kwargs={config.eval.env_kwargs!r}: the evaluation env "
                f"{config.env.id!r} cannot be built: {error}"
            ) from error
        env.close()


def _new_run_dir(config: LaMerConfig, config_arg: str | None) -> Path:
    name = config.run.name
    if not name:
        stem = Path(config_arg).stem if config_arg else "cpu_default"
        name = f"{stem}-{dt.datetime.now(dt.UTC).strftime('%Y%m%d-%H%M%S')}"
    return Path(config.run.output_dir) / name


def train(args: argparse.Namespace, console: Console) -> int:
    if args.resume and args.config:
        raise ConfigError(
            "--resume reads the run's own config.yaml; drop --config (overrides work)"
        )
    if args.resume:
        run_dir = Path(args.resume)
        config = load_run_config(run_dir, args.overrides)
    else:
        config = load_config(args.config, args.overrides)
        run_dir = _new_run_dir(config, args.config)
        if (run_dir / "checkpoints").exists():
            raise ConfigError(
                f"run folder {run_dir} already holds checkpoints; pass --resume {run_dir} "
                "to continue it, or choose another run.name"
            )
    check_run_setup(config)
    check_env(config)
    resume_from = None
    if args.resume:  # before the model is built: a damaged run stops here
        remove_stale_temporaries(run_dir)
        remove_stale_temporaries(run_dir / CHECKPOINTS)
        resume_from = find_resume_checkpoint(run_dir)
        for folder, reason in resume_from.skipped:
            console.print(
                f"[yellow]skipping checkpoint {folder.name}:[/] {escape(reason)}", soft_wrap=True
            )
    run_dir.mkdir(parents=True, exist_ok=True)
    write_run_config(run_dir, config)

    # Heavy imports (torch, transformers) only once the config is known to be good.
    from lamer_train.report import RunReport, pass_at_k_table
    from lamer_train.trainer import Trainer

    # soft_wrap: a path must stay on one line to be copied.
    console.print(f"[bold]lamer-train[/] run folder: {run_dir}", soft_wrap=True)
    trainer = Trainer(config, run_dir)
    resume_iteration = None
    if resume_from is not None:
        resume_iteration = 0
        if resume_from.checkpoint is not None:
            trainer.restore(resume_from.checkpoint, verified=True)
            console.print(f"resuming from {resume_from.checkpoint}", soft_wrap=True)
            resume_iteration = trainer.state.iteration
        console.print(f"resuming at iteration {resume_iteration + 1}")
    report = RunReport(
        run_dir,
        tensorboard=config.run.tensorboard,
        wandb_project=config.run.wandb_project,
        run_name=run_dir.name,
        config=config.model_dump(mode="json"),
        resume_iteration=resume_iteration,
    )
    try:
        summary = trainer.fit(report, console, show_progress=config.run.progress)
    finally:
        report.close()
        trainer.close()
    if summary.eval_end:
        console.print(pass_at_k_table(summary.eval_start, summary.eval_end))
    console.print(
        f"outputs in {run_dir}: metrics.jsonl, plots/, samples/ (HTML), tensorboard/, checkpoints/",
        soft_wrap=True,
    )
    return 0


def evaluate_checkpoint(args: argparse.Namespace, console: Console) -> int:
    from lamer_train.report import RunReport, pass_at_k_table

    path = Path(args.checkpoint)
    checkpoint = path if (path / "trainer_state.json").is_file() else None
    if checkpoint is None:
        found = find_resume_checkpoint(path)
        for folder, reason in found.skipped:
            console.print(
                f"[yellow]skipping checkpoint {folder.name}:[/] {escape(reason)}", soft_wrap=True
            )
        checkpoint = found.checkpoint
    if checkpoint is None:
        raise ConfigError(f"--checkpoint {path}: no checkpoint there")
    run_dir = checkpoint.parent.parent
    if args.config:
        config = load_config(args.config, args.overrides)
    else:
        config = load_run_config(run_dir, args.overrides)
    check_run_setup(config)
    check_env(config)

    from lamer_train.trainer import Trainer

    trainer = Trainer(config, run_dir)
    trainer.restore(checkpoint)
    try:
        metrics, trials, _ = trainer.evaluate()
    finally:
        trainer.close()
    out = run_dir / "eval"
    out.mkdir(exist_ok=True)
    (out / f"{checkpoint.name}.json").write_text(json.dumps(metrics, indent=2), encoding="utf-8")
    RunReport(run_dir, tensorboard=False).write_samples(f"eval_{checkpoint.name}", trials)
    console.print(pass_at_k_table(None, metrics))
    console.print(f"evaluation of {checkpoint} written to {out / (checkpoint.name + '.json')}")
    return 0


def _print_error(label: str, error: Exception) -> None:
    # escape: messages quote values such as [0.9, 1.0]; soft_wrap keeps paths on one line.
    message = f"[red]{label}:[/] {escape(str(error))}"
    Console(stderr=True).print(message, highlight=False, soft_wrap=True)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = "train"
    if argv and argv[0] in ("train", "eval"):
        command = argv.pop(0)
    args = _parser(command).parse_args(argv)
    console = Console()
    try:
        return evaluate_checkpoint(args, console) if command == "eval" else train(args, console)
    except ConfigError as error:
        _print_error("config error", error)
        return 2
    except CheckpointError as error:
        _print_error("checkpoint error", error)
        return 3
    except TrainingStopped as error:
        _print_error("training stopped", error)
        return 4


if __name__ == "__main__":
    raise SystemExit(main())
