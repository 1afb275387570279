"""Hostile-input campaign against the trainer and the envs; prints the figures.

    uv run python tools/reliability_campaign.py                # everything (~10 min on CPU)
    uv run python tools/reliability_campaign.py --parts config,actions
    uv run python tools/reliability_campaign.py --configs 2000 --actions 20000 --kills 4

Parts:

* ``config``: random ``section.field=value`` overrides (inf, nan, huge, negative,
  wrong types, binary strings) through every check ``lamer-train`` runs before any work.
  Each must be accepted or refused with a ``ConfigError``; anything else is a crash.
* ``actions``: random and hostile responses stepped into every built-in env; any
  exception other than ``ResetNeeded`` after the episode ended is a crash.
* ``kills``: a tiny run SIGKILLed at several points, each time continued with
  ``--resume``; the metrics must cover every iteration exactly once, the checkpoints
  must verify, and the rollout metrics must equal an uninterrupted run's.
* ``damage``: every file of the newest checkpoint (and config.yaml, and the ``latest``
  pointer) damaged five ways, then ``--resume``: each must land on the newest intact
  checkpoint or stop with a one-line error naming the file, never a traceback.

Exits 1 if any case failed.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import typing
from pathlib import Path

import numpy as np
from pydantic import BaseModel

TINY_RUN = [
    "run.checkpoint_every=1", "run.keep_checkpoints=0", "run.progress=false",
    "run.tensorboard=false", "run.torch_threads=1",
    "env.id=lamer/Sokoban-v0", "env.kwargs={num_boxes: 1, max_sol_steps: 6, min_steps: 1}",
    "env.max_turns=1", "trial.tasks_per_iteration=2", "trial.group_size=2",
    "trial.num_attempts=2", "trial.sampling.max_new_tokens=6",
    "eval.at_start=false", "eval.every=100", "eval.num_tasks=2", "eval.num_attempts=2",
    "eval.sampling.max_new_tokens=6", "warmup.steps=0",
    "actor.mini_batch_size=8", "actor.micro_batch_size=8",
    "model.tiny_hidden_size=32", "model.tiny_intermediate_size=64", "model.tiny_num_layers=1",
]  # fmt: skip
CLI = [sys.executable, "-m", "lamer_train.cli"]


# -- config fuzz ----------------------------------------------------------------------
def _leaf_fields(model: type[BaseModel], prefix: str = "") -> list[tuple[str, object]]:
    found = []
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            found += _leaf_fields(annotation, f"{prefix}{name}.")
        else:
            found.append((f"{prefix}{name}", annotation))
    return found


HOSTILE_VALUES = [
    ".inf", "-.inf", ".nan", "1e308", "-1e308", "1e-320", "0", "-1", "-0.0", "2", "1",
    "999999999999", "[.nan, 2]", "[0.9, 1.0]", "[]", "{}", "null", "true", "''",
    "'\\x00\\xff'", "[1, 2, 3]", "{a: .inf}", "'cuda:99'", "'mps'", "'../../etc'",
    "'a' ", "x" * 300,
]  # fmt: skip


def fuzz_configs(count: int, rng: np.random.Generator, scratch: Path) -> dict:
    from lamer_train.config import ConfigError, LaMerConfig, load_config
    from lamer_train.preflight import check_before_run

    fields = _leaf_fields(LaMerConfig)
    refused = accepted = 0
    crashes: list[str] = []
    for case in range(count):
        overrides = []
        for _ in range(int(rng.integers(1, 4))):
            name, annotation = fields[int(rng.integers(len(fields)))]
            if rng.random() < 0.7:
                value = HOSTILE_VALUES[int(rng.integers(len(HOSTILE_VALUES)))]
            elif annotation is float or float in typing.get_args(annotation):
                value = repr(float(rng.normal() * 10.0 ** int(rng.integers(-5, 6))))
            else:
                value = str(int(rng.integers(-5, 100)))
            overrides.append(f"{name}={value}")
        run_dir = scratch / f"case{case}"
        overrides.append(f"run.output_dir={scratch}")
        overrides.append(f"run.name=case{case}")
        try:
            config = load_config(None, overrides)
            check_before_run(config, run_dir)
        except ConfigError:
            refused += 1
        except Exception as error:  # a crash: what the campaign looks for
            crashes.append(f"{overrides}: {type(error).__name__}: {error}"[:300])
        else:
            accepted += 1
            bad = [f"{name}={value}" for name, value in _floats(config) if not math.isfinite(value)]
            if bad:
                crashes.append(f"{overrides}: accepted a non-finite value {bad}")
        if run_dir.exists():
            crashes.append(f"{overrides}: a run folder appeared before any work")
    return {"inputs": count, "refused": refused, "accepted": accepted, "crashes": crashes}


def _floats(model: BaseModel, prefix: str = "") -> list[tuple[str, float]]:
    out = []
    for name in type(model).model_fields:
        value = getattr(model, name)
        if isinstance(value, BaseModel):
            out += _floats(value, f"{prefix}{name}.")
        elif isinstance(value, float):
            out.append((f"{prefix}{name}", value))
    return out


# -- action fuzz ----------------------------------------------------------------------
def _hostile_response(rng: np.random.Generator, env) -> str:
    kind = int(rng.integers(8))
    if kind == 0:
        return "".join(chr(int(c)) for c in rng.integers(0, 0x2FFF, int(rng.integers(0, 200))))
    if kind == 1:
        return "<action>" * int(rng.integers(1, 3000))
    if kind == 2:
        return f"<action>search[{'red shoes ' * int(rng.integers(1, 100_000))}]</action>"
    if kind == 3:
        return "<action>" + "x" * int(rng.integers(0, 50_000)) + "</action>"
    if kind == 4:
        return f"<action>click[{rng.bytes(40).decode('latin-1')}]</action>"
    if kind == 5:
        return "\x00\ud800<action>\n\t</action>"
    sample = getattr(env.unwrapped, "sample_action", None)
    return sample(rng) if sample is not None else "<action>up</action>"


def fuzz_actions(count: int, rng: np.random.Generator) -> dict:
    import gymnasium
    from gymnasium.error import ResetNeeded

    import lamer_envs

    lamer_envs.register_envs()
    env_ids = ["lamer/Sokoban-v0", "lamer/MineSweeper-v0", "lamer/WebShop-v0", "lamer/ALFWorld-v0"]
    crashes: list[str] = []
    stepped = 0
    per_env = count // len(env_ids)
    slowest = 0.0
    for env_id in env_ids:
        try:
            env = gymnasium.make(env_id)
        except Exception as error:
            crashes.append(f"{env_id}: cannot be built: {error}")
            continue
        env.reset(seed=0)
        done = False
        for step in range(per_env):
            if done:
                env.reset(seed=step)
            response = _hostile_response(rng, env)
            started = time.perf_counter()
            try:
                _, _, terminated, truncated, info = env.step(response)
                done = terminated or truncated
                if len(str(info.get("action", ""))) > 10_000:
                    crashes.append(f"{env_id}: info['action'] holds {len(info['action'])} chars")
            except ResetNeeded:
                done = True
            except Exception as error:
                crashes.append(f"{env_id}: {type(error).__name__}: {error}"[:300])
                done = True
            slowest = max(slowest, time.perf_counter() - started)
            stepped += 1
        env.close()
    return {"inputs": stepped, "crashes": crashes, "slowest_step_s": round(slowest, 3)}


# -- kills and resume -----------------------------------------------------------------
def _run(args: list[str], timeout: float = 900) -> subprocess.CompletedProcess:
    return subprocess.run(CLI + args, capture_output=True, text=True, timeout=timeout)


def _rollout_metrics(run_dir: Path) -> list[dict]:
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    keep = ("rollout/", "advantage/")
    return [
        {k: v for k, v in row.items() if k.startswith(keep) or k == "iteration"} for row in rows
    ]


def kill_campaign(kills: int, iterations: int, scratch: Path) -> dict:
    from lamer_train.checkpoint_files import list_checkpoints, verify_checkpoint

    reference = scratch / "reference"
    done = _run(
        [
            f"run.output_dir={scratch}",
            "run.name=reference",
            f"run.iterations={iterations}",
            *TINY_RUN,
        ]
    )
    if done.returncode != 0:
        return {"error": f"the uninterrupted run failed: {done.stderr[-500:]}"}
    run_dir = scratch / "killed"
    survived, problems = 0, []
    rng = np.random.default_rng(1)
    for attempt in range(kills + 1):
        # Killed before its config.yaml was written, the run never started: start it again.
        first = not (run_dir / "config.yaml").exists()
        args = (
            [
                f"run.output_dir={scratch}",
                "run.name=killed",
                f"run.iterations={iterations}",
                *TINY_RUN,
            ]
            if first
            else ["--resume", str(run_dir)]
        )
        process = subprocess.Popen(
            CLI + args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
        )
        if attempt < kills:
            # Kill at a random moment: during model build, rollout, update or a save.
            time.sleep(float(rng.uniform(4.0, 25.0)))
            if process.poll() is None:
                os.kill(process.pid, signal.SIGKILL)
                survived += 1
        process.wait(timeout=900)
        stderr = process.stderr.read().decode()
        process.stderr.close()
        if process.returncode not in (0, -signal.SIGKILL):
            problems.append(f"resume {attempt} exited {process.returncode}: {stderr[-400:]}")
            break
        if process.returncode == 0 and attempt < kills:
            break  # finished before the next kill
    final = (
        _run(["--resume", str(run_dir)]) if not (run_dir / "eval_summary.json").exists() else None
    )
    if final is not None and final.returncode != 0:
        problems.append(f"the last resume failed: {final.stderr[-400:]}")
    got, want = _rollout_metrics(run_dir), _rollout_metrics(reference)
    iterations_logged = [row["iteration"] for row in got]
    if iterations_logged != [row["iteration"] for row in want]:
        problems.append(f"iterations logged {iterations_logged} (gap or duplicate)")
    elif got != want:
        problems.append("rollout metrics differ from the uninterrupted run")
    damaged = [
        f"{p.name}: {why}" for p in list_checkpoints(run_dir) if (why := verify_checkpoint(p))
    ]
    problems += damaged
    leftovers = [p.name for p in (run_dir / "checkpoints").iterdir() if p.name.startswith(".tmp")]
    if leftovers:
        problems.append(f"leftover temporaries {leftovers}")
    return {"kills_survived": survived, "iterations": iterations, "problems": problems}


# -- damaged files --------------------------------------------------------------------
def _damage(path: Path, how: str) -> None:
    data = path.read_bytes() if path.is_file() else b""
    if how == "empty":
        path.write_bytes(b"")
    elif how == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif how == "flipped":
        middle = len(data) // 2
        path.write_bytes(data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1 :])
    elif how == "garbage":
        path.write_bytes(b"\x00\xff garbage \xfe" * 7)
    elif how == "deleted":
        path.unlink()


def damage_campaign(scratch: Path) -> dict:
    from lamer_train.checkpoint_files import list_checkpoints

    base = scratch / "base"
    done = _run([f"run.output_dir={scratch}", "run.name=base", "run.iterations=2", *TINY_RUN])
    if done.returncode != 0:
        return {"error": f"the base run failed: {done.stderr[-500:]}"}
    newest = list_checkpoints(base)[-1]
    targets = [p.relative_to(base) for p in sorted(newest.rglob("*")) if p.is_file()]
    targets += [Path("config.yaml"), Path("checkpoints/latest")]
    cases, problems = 0, []
    outcomes = {"fell back": 0, "clear error": 0, "unaffected": 0}
    for target in targets:
        for how in ("empty", "truncated", "flipped", "garbage", "deleted"):
            copy = scratch / f"damaged-{cases}"
            shutil.copytree(base, copy)
            _damage(copy / target, how)
            result = _run(["--resume", str(copy)])
            cases += 1
            text = result.stdout + result.stderr
            name = target.name
            if "Traceback" in text:
                problems.append(f"{target} {how}: traceback: {text[-300:]}")
            elif result.returncode == 0 and "skipping checkpoint" in text and name in text:
                outcomes["fell back"] += 1
            elif result.returncode in (2, 3) and name in text:
                outcomes["clear error"] += 1
            elif result.returncode == 0 and target.name == "latest":
                outcomes["unaffected"] += 1  # the pointer is a hint; the folders decide
            else:
                problems.append(f"{target} {how}: exit {result.returncode}: {text[-300:]}")
            shutil.rmtree(copy, ignore_errors=True)
    return {"cases": cases, **outcomes, "problems": problems}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--parts", default="config,actions,kills,damage")
    parser.add_argument("--configs", type=int, default=1000)
    parser.add_argument("--actions", type=int, default=8000)
    parser.add_argument("--kills", type=int, default=4)
    parser.add_argument("--iterations", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    parts = args.parts.split(",")
    report: dict = {}
    failed = False
    with tempfile.TemporaryDirectory(prefix="lamer-campaign-") as tmp:
        scratch = Path(tmp)
        for part in parts:
            started = time.perf_counter()
            folder = scratch / part
            folder.mkdir()
            if part == "config":
                result = fuzz_configs(args.configs, rng, folder)
            elif part == "actions":
                result = fuzz_actions(args.actions, rng)
            elif part == "kills":
                result = kill_campaign(args.kills, args.iterations, folder)
            elif part == "damage":
                result = damage_campaign(folder)
            else:
                raise SystemExit(f"unknown part {part!r}")
            result["seconds"] = round(time.perf_counter() - started, 1)
            report[part] = result
            bad = result.get("crashes") or result.get("problems") or result.get("error")
            failed = failed or bool(bad)
            print(f"{part}: {json.dumps(result)[:2000]}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
