"""Shared fixtures of the lamer-train tests: the tiny real Qwen3 model, its tokenizer, the
overrides of a tiny whole run, and a run killed after its first checkpoint."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from lamer_train.checkpoint import latest_checkpoint
from lamer_train.model_factory import ModelConfig, build_tiny_model, load_tokenizer

#: Small enough for CPU tests, large enough to have every part of the real architecture
#: (grouped-query attention, two decoder layers).
TINY_MODEL = ModelConfig(
    tiny_hidden_size=32,
    tiny_intermediate_size=64,
    tiny_num_layers=2,
    tiny_num_heads=2,
    tiny_num_kv_heads=1,
)

#: A whole run on a tiny budget: one-box Sokoban, one turn per attempt, no warm-up, no
#: evaluation after the start; tests add ``run.iterations`` and what they vary.
TINY_RUN = [
    "run.checkpoint_every=1", "run.progress=false", "run.tensorboard=false",
    "run.torch_threads=1",
    "env.id=lamer/Sokoban-v0", "env.kwargs={num_boxes: 1, max_sol_steps: 6, min_steps: 1}",
    "env.max_turns=1", "trial.tasks_per_iteration=2", "trial.group_size=2",
    "trial.num_attempts=2", "trial.sampling.max_new_tokens=6",
    "eval.at_start=false", "eval.every=100", "eval.num_tasks=2", "eval.num_attempts=2",
    "eval.sampling.max_new_tokens=6", "warmup.steps=0",
    "actor.mini_batch_size=8", "actor.micro_batch_size=8",
    "model.name_or_path=tiny",
    "model.tiny_hidden_size=32", "model.tiny_intermediate_size=64", "model.tiny_num_layers=1",
]  # fmt: skip


@pytest.fixture(scope="session")
def tiny_config() -> ModelConfig:
    return TINY_MODEL


@pytest.fixture(scope="session")
def tokenizer():
    """The bundled Qwen3 tokenizer cut to 8192 ids (a small embedding table)."""
    return load_tokenizer("qwen3-8192")


@pytest.fixture(scope="session")
def encode_rows(tokenizer) -> Callable[[list[tuple[str, str]]], list[tuple[list[int], list[int]]]]:
    """``encode_rows([(prompt, response), ...])``: each pair's token ids (no special
    tokens added), as the ``(prompt_ids, response_ids)`` rows the actor and critic take."""

    def encode(pairs: list[tuple[str, str]]) -> list[tuple[list[int], list[int]]]:
        return [
            (
                tokenizer.encode(prompt, add_special_tokens=False),
                tokenizer.encode(response, add_special_tokens=False),
            )
            for prompt, response in pairs
        ]

    return encode


@pytest.fixture(scope="session")
def build_model(tokenizer) -> Callable[..., object]:
    """``build_model(seed=0, **changes)``: a fresh tiny model (``changes`` update
    :data:`TINY_MODEL`, e.g. ``tiny_num_layers=1``)."""

    def build(seed: int = 0, **changes):
        return build_tiny_model(tokenizer, TINY_MODEL.model_copy(update=changes), seed=seed)

    return build


@pytest.fixture
def model(build_model):
    """A fresh tiny model (seed 0) per test."""
    return build_model(seed=0)


@pytest.fixture(scope="session")
def tiny_run() -> list[str]:
    return list(TINY_RUN)


def _kill_after_first_checkpoint(
    arguments: list[str], run_dir: Path, launcher: list[str] | None = None, cwd: Path | None = None
) -> None:
    """Run ``lamer-train <arguments>`` in a subprocess (``launcher``: the command before
    the arguments, e.g. torchrun's) and SIGKILL its whole process group (the launcher, its
    ranks, env workers) as soon as ``run_dir`` holds a complete checkpoint (at most 10
    minutes)."""
    launcher = launcher or [sys.executable, "-m", "lamer_train.cli"]
    process = subprocess.Popen(
        [*launcher, *arguments],
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group
    )
    try:
        deadline = time.monotonic() + 600
        while latest_checkpoint(run_dir) is None:
            assert process.poll() is None, process.stderr.read().decode()[-2000:]
            assert time.monotonic() < deadline, "no checkpoint within 10 minutes"
            time.sleep(0.2)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        process.stderr.close()


@pytest.fixture
def kill_after_first_checkpoint() -> Callable[..., None]:
    """``kill(arguments, run_dir, launcher=None, cwd=None)``: start a run, SIGKILL it
    after its first checkpoint."""
    return _kill_after_first_checkpoint


# -- distributed jobs (torchrun, gloo) ----------------------------------------------------
WORKER = Path(__file__).with_name("distributed_worker.py")


def run_worker(out: Path, *arguments: str, ranks: int = 1) -> dict:
    """``distributed_worker.py <arguments> <out>`` in one process or under torchrun with
    ``ranks`` processes; returns what rank 0 saved."""
    launcher = ["-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={ranks}"]
    command = [sys.executable, *(launcher if ranks > 1 else []), str(WORKER), *arguments, str(out)]
    out.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "LAMER_TEST_MODEL": TINY_MODEL.model_dump_json()}
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    import torch

    return torch.load(out / "result.pt", weights_only=False)


@pytest.fixture(scope="session")
def distributed_job() -> Callable[..., dict]:
    """``distributed_job(out, *arguments, ranks=1)``: see :func:`run_worker`."""
    return run_worker


@pytest.fixture(scope="session")
def updates(tmp_path_factory) -> dict[int, dict]:
    """The worker's ``update`` job in one process and on 2 gloo ranks; each result also
    names the run folder holding the checkpoint it wrote (``run_dir``)."""
    root = tmp_path_factory.mktemp("updates")
    results = {}
    for ranks in (1, 2):
        results[ranks] = run_worker(root / f"ranks{ranks}", "update", ranks=ranks)
        results[ranks]["run_dir"] = root / f"ranks{ranks}" / "run"
    return results
