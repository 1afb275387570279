"""``lamer-train``: train (the default command), evaluate a checkpoint, show the config.

    lamer-train                                   # the CPU default run
    lamer-train --config lamer_sokoban            # a shipped config (or a YAML path)
    lamer-train --config lamer_sokoban trial.group_size=4 actor.lr=2e-6
    lamer-train --resume runs/<run>               # continue a killed run
    lamer-train eval --checkpoint runs/<run>/checkpoints/iter_000008
    lamer-train eval --checkpoint runs/<run> --set held_out   # one eval set
    lamer-train show-config [--config X] [overrides]   # the resolved config, as YAML
    lamer-train list                              # envs, estimators, shipped configs
    lamer-train export runs/<run>/checkpoints/iter_000008 exported/   # HF model folder
    lamer-train experiment sokoban_main           # LaMer vs baselines over seeds + report
    lamer-train --nproc-per-node 4 [command] ...  # one node, 4 ranks (torchrun, FSDP2)
    torchrun --nproc-per-node 4 -m lamer_train ...   # the same; see the README for nodes
    lamer-train sft --config sft_sokoban --out my_warm_start/   # a warm start (oracle SFT)

Config errors are reported, naming the field, before anything is built.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from pathlib import Path
from types import ModuleType

from rich.console import Console
from rich.markup import escape

from lamer_train.checkpoint_files import (
    CHECKPOINTS,
    CheckpointError,
    find_resume_checkpoint,
    remove_stale_temporaries,
)
from lamer_train.config import ConfigError, LaMerConfig, config_to_yaml, load_config
from lamer_train.config_checks import check_run_setup
from lamer_train.nonfinite import TrainingStopped
from lamer_train.preflight import (
    check_before_run,
    check_engine_installed,
    check_env,
    check_model_source,
    check_torchrun_support,
)
from lamer_train.run_config import CONFIG_FILE, load_run_config, write_run_config

COMMANDS = ("train", "eval", "show-config", "list")
DEFAULT_CONFIG = "cpu_default"
"""The shipped config of ``lamer-train`` without ``--config`` (the main job)."""

OVERRIDES_HELP = """\
overrides (layered onto the defaults, then onto --config; each changes only what it names):
  section.field=value            the value is read as YAML: run.iterations=4 eval.reflection=false
  env.kwargs.num_boxes=2         one key of a mapping; env.kwargs={num_boxes: 2} also merges
  'algorithm.estimator_params={}'  an empty mapping clears it
  'env.kwargs:={num_boxes: 2}'   := replaces a mapping (exactly these keys)
  env.id=lamer/MineSweeper-v0    a new env.id drops the env kwargs and eval sets of the config
                                 below (a new algorithm.estimator: its params); yours are kept
  env.id=my_module:my/Env-v0     your own gymnasium env: imports my_module (installed, on
                                 PYTHONPATH or in the current folder), which registers it
"""


def _parser(command: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lamer-train" if command == "train" else f"lamer-train {command}",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=None if command == "list" else OVERRIDES_HELP,
    )
    if command == "list":
        return parser
    parser.add_argument("--config", help="shipped config name or YAML path (default: CPU run)")
    if command == "eval":
        parser.add_argument(
            "--checkpoint", required=True, help="checkpoint folder (or run folder: its newest)"
        )
        parser.add_argument(
            "--set",
            dest="sets",
            action="append",
            metavar="NAME",
            help="evaluate this eval set (from eval.sets; repeatable; default: every set)",
        )
    elif command == "train":
        parser.add_argument("--resume", help="run folder of a killed run to continue")
    parser.add_argument("overrides", nargs="*", help="section.field=value")
    return parser


def _new_run_dir(config: LaMerConfig, config_arg: str | None) -> Path:
    name = config.run.name
    if not name:
        stem = Path(config_arg).stem if config_arg else DEFAULT_CONFIG
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
        config = load_config(args.config or DEFAULT_CONFIG, args.overrides)
        run_dir = _new_run_dir(config, args.config)
    ranks = _join_ranks()  # under torchrun: every rank takes rank 0's run folder name
    if ranks is not None:
        run_dir = ranks.broadcast_object(run_dir)
        if not ranks.is_main_rank():  # rank 0 alone prints, logs and writes the run folder
            console = Console(quiet=True)
    if not args.resume and (run_dir / "checkpoints").exists():
        raise ConfigError(
            f"run folder {run_dir} already holds checkpoints; pass --resume {run_dir} "
            "to continue it, or choose another run.name"
        )
    check_before_run(config, run_dir)
    main_rank = ranks is None or ranks.is_main_rank()
    resume_from = None
    if args.resume and main_rank:  # before the model is built: a damaged run stops here
        remove_stale_temporaries(run_dir)
        remove_stale_temporaries(run_dir / CHECKPOINTS)
        resume_from = find_resume_checkpoint(run_dir)
        _print_skipped(console, resume_from.skipped)
    if main_rank:
        run_dir.mkdir(parents=True, exist_ok=True)
        write_run_config(run_dir, config)
    if ranks is not None:
        resume_from = ranks.broadcast_object(resume_from)  # also: the run folder exists

    # soft_wrap: a path must stay on one line to be copied.
    console.print(f"[bold]lamer-train[/] run folder: {run_dir}", soft_wrap=True)
    console.print("loading torch and transformers")
    # Heavy imports (torch, transformers) only once the config is known to be good.
    from lamer_train.report import RunReport, SilentReport, pass_at_k_table
    from lamer_train.trainer import Trainer

    trainer = Trainer(config, run_dir, log=lambda line: console.print(line, soft_wrap=True))
    resume_iteration = None
    if resume_from is not None:
        # Metrics from `resume_iteration` on were logged after the checkpoint: dropped.
        resume_iteration = 0
        if resume_from.checkpoint is not None:
            trainer.restore(resume_from.checkpoint, verified=True)
            console.print(f"resuming from {resume_from.checkpoint}", soft_wrap=True)
            resume_iteration = trainer.state.iteration + 1
        console.print(f"resuming at iteration {max(resume_iteration, 1)}")
    report = (
        RunReport(
            run_dir,
            tensorboard=config.run.tensorboard,
            wandb_project=config.run.wandb_project,
            run_name=run_dir.name,
            config=config.model_dump(mode="json"),
            resume_iteration=resume_iteration,
        )
        if main_rank
        else SilentReport()
    )
    finished = False
    try:
        summary = trainer.fit(report, console, show_progress=config.run.progress)
        finished = True
    finally:
        report.close()
        trainer.close()
        if ranks is not None:
            ranks.close_distributed(wait_for_peers=finished)
    if summary.eval_end:
        table = pass_at_k_table(summary.eval_start, summary.eval_end, summary.change)
        console.print(table)
    console.print(
        f"outputs in {run_dir}: metrics.jsonl, plots/, samples/ (HTML), tensorboard/, checkpoints/",
        soft_wrap=True,
    )
    return 0


def _join_ranks() -> ModuleType | None:
    """Under torchrun (``WORLD_SIZE`` > 1): join the process group and return
    :mod:`lamer_train.distributed`; ``None`` in a single process (torch stays unloaded)."""
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        return None
    from lamer_train import distributed

    distributed.init_distributed()
    return distributed


def _run_folder_of(path: Path) -> Path:
    """The run folder of ``path`` (a run folder, its checkpoints/ or one checkpoint)."""
    for folder in (path, path.parent, path.parent.parent):
        if (folder / CONFIG_FILE).is_file():
            return folder
    raise ConfigError(f"--checkpoint {path}: no run folder ({CONFIG_FILE}) there or above it")


def evaluate_checkpoint(args: argparse.Namespace, console: Console) -> int:
    path = Path(args.checkpoint)
    if not path.is_dir():
        raise ConfigError(f"--checkpoint {path}: no such folder")
    # The config is checked before the checkpoint code (and with it torch) is imported.
    if args.config:
        config = load_config(args.config, args.overrides)
    else:
        config = load_run_config(_run_folder_of(path), args.overrides)
    check_run_setup(config)
    check_torchrun_support(config)
    check_env(config, args.sets)  # also rejects a --set name that is not configured
    check_model_source(config.model)
    check_engine_installed(config)

    from lamer_train.eval_sets import metrics_by_set
    from lamer_train.report import RunReport, pass_at_k_table

    checkpoint = path if (path / "trainer_state.json").is_file() else None
    if checkpoint is None:
        found = find_resume_checkpoint(path if (path / CHECKPOINTS).is_dir() else path.parent)
        _print_skipped(console, found.skipped)
        checkpoint = found.checkpoint
    if checkpoint is None:
        raise ConfigError(f"--checkpoint {path}: no checkpoint there")
    run_dir = checkpoint.parent.parent

    from lamer_train.trainer import Trainer

    ranks = _join_ranks()  # under torchrun: the eval sets split over the ranks
    trainer = Trainer(config, run_dir, eval_sets=args.sets)
    trainer.restore(checkpoint)
    finished = False
    try:
        metrics, trials = trainer.evaluate()
        finished = True
    finally:
        trainer.close()
        if ranks is not None:
            ranks.close_distributed(wait_for_peers=finished)
    if ranks is not None and not ranks.is_main_rank():
        return 0  # rank 0 writes the results
    # One file per set: evaluating one set never overwrites another's result.
    out = run_dir / "eval" / checkpoint.name
    out.mkdir(parents=True, exist_ok=True)
    report = RunReport(run_dir, tensorboard=False)
    for name, set_metrics in metrics_by_set(metrics).items():
        (out / f"{name}.json").write_text(json.dumps(set_metrics, indent=2), encoding="utf-8")
        report.write_samples(f"eval_{checkpoint.name}_{name}", trials[name])
    console.print(pass_at_k_table(None, metrics))
    console.print(
        f"evaluation of {checkpoint} written to {out}/ ({', '.join(trials)})", soft_wrap=True
    )
    return 0


def show_config(args: argparse.Namespace) -> int:
    """Print the resolved config (what a run folder's config.yaml would hold)."""
    sys.stdout.write(config_to_yaml(load_config(args.config or DEFAULT_CONFIG, args.overrides)))
    return 0


def list_catalog() -> int:
    from lamer_train.catalog import format_catalog

    sys.stdout.write(format_catalog())
    return 0


def _print_skipped(console: Console, skipped: list[tuple[Path, str]]) -> None:
    for folder, reason in skipped:
        console.print(
            f"[yellow]skipping checkpoint {folder.name}:[/] {escape(reason)}", soft_wrap=True
        )


def _print_error(label: str, error: Exception) -> None:
    # escape: messages quote values such as [0.9, 1.0]; soft_wrap keeps paths on one line.
    message = f"[red]{label}:[/] {escape(str(error))}"
    Console(stderr=True).print(message, highlight=False, soft_wrap=True)


def launch_ranks(argv: list[str]) -> int | None:
    """``lamer-train --nproc-per-node N ...``: the same command under torchrun on this
    machine (``torch.distributed.run --standalone``); ``None`` without that flag. The
    config is checked here first, so an error is reported once, before any rank starts."""
    flag = next((a for a in argv if a.split("=")[0] == "--nproc-per-node"), None)
    if flag is None:
        return None
    position = argv.index(flag)
    rest = argv[:position] + argv[position + (1 if "=" in flag else 2) :]
    value = flag.partition("=")[2] or (argv[position + 1] if position + 1 < len(argv) else "")
    if not value.isdigit() or int(value) < 1:
        _print_error(
            "usage error", ValueError(f"--nproc-per-node needs a count >= 1, got {value!r}")
        )
        return 2
    command, parsed = "train", rest
    if rest and rest[0] in COMMANDS:
        command, parsed = rest[0], rest[1:]
    args = _parser(command).parse_args(parsed)
    try:
        if command == "train" and args.resume:
            load_run_config(Path(args.resume), args.overrides)
        elif command == "train":
            load_config(args.config or DEFAULT_CONFIG, args.overrides)
    except ConfigError as error:
        _print_error("config error", error)
        return 2
    import subprocess

    torchrun = [sys.executable, "-m", "torch.distributed.run", "--standalone"]
    return subprocess.call([*torchrun, f"--nproc-per-node={value}", "-m", "lamer_train", *rest])


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "sft":
        from lamer_train.sft import sft_main

        return sft_main(argv[1:])
    launched = launch_ranks(argv)
    if launched is not None:
        return launched
    if argv and argv[0] == "export":
        from lamer_train.export import main as export_main

        return export_main(argv[1:])
    if argv and argv[0] == "experiment":
        from lamer_train.experiment import main as experiment_main

        return experiment_main(argv[1:])
    # `env.id=my_module:my/Env-v0` finds a my_module.py in the current folder, as with
    # `python -m`; appended, so it never shadows an installed package.
    if os.getcwd() not in sys.path:
        sys.path.append(os.getcwd())
    command = "train"
    if argv and argv[0] in COMMANDS:
        command = argv.pop(0)
    args = _parser(command).parse_args(argv)
    console = Console()
    if not console.is_terminal:  # a file or a log: rich would wrap tables at 80 columns
        console.width = 120
    try:
        if command == "show-config":
            return show_config(args)
        if command == "list":
            return list_catalog()
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
