"""Whole runs under torchrun (2 gloo ranks on this machine): one node with 2 processes,
and 2 nodes of 1 process each meeting through a c10d rendezvous on localhost. Each
finishes with one run folder, a sharded checkpoint per iteration, and plays exactly the
tasks (seeds, groups, trial ids) of the single-process run with the same config. A job
killed after its first checkpoint resumes under torchrun."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from lamer_train.checkpoint import latest_checkpoint
from lamer_train.checkpoint_files import find_resume_checkpoint, list_checkpoints
from lamer_train.sharded_checkpoint import SHARDED_DIR

TORCHRUN = [sys.executable, "-m", "torch.distributed.run"]
TRIAL_HEADER = re.compile(r"^=== task (\d+) \(seed (\d+)\), trial (\d+)", re.MULTILINE)


def run(command: list[str], cwd: Path) -> None:
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]


def only_run_folder(output_dir: Path) -> Path:
    folders = list(output_dir.iterdir())
    assert len(folders) == 1, folders
    return folders[0]


def played_tasks(run_dir: Path) -> dict[str, list[tuple[int, int, int]]]:
    """(group, seed, trial id) of the trials in each samples file (training and eval)."""
    return {
        path.stem: [tuple(map(int, m)) for m in TRIAL_HEADER.findall(path.read_text())]
        for path in sorted((run_dir / "samples").glob("*iter_*.txt"))
    }


@pytest.fixture(scope="module")
def single_process_run(tiny_run, tmp_path_factory) -> Path:
    """The reference: the same 2 iterations in one process."""
    out = tmp_path_factory.mktemp("single")
    run([sys.executable, "-m", "lamer_train", *arguments(tiny_run, out)], out)
    return only_run_folder(out / "runs")


def arguments(tiny_run: list[str], out: Path) -> list[str]:
    # samples_every=1: every iteration's trials are written (4 trials: all of them).
    return [*tiny_run, "run.iterations=2", "run.samples_every=1", f"run.output_dir={out / 'runs'}"]


def check_distributed_run(run_dir: Path, reference: Path) -> None:
    assert [row["iteration"] for row in map(json.loads, (run_dir / "metrics.jsonl").open())] == [
        1,
        2,
    ]
    assert [p.name for p in list_checkpoints(run_dir)] == ["iter_000001", "iter_000002"]
    newest = find_resume_checkpoint(run_dir).checkpoint  # manifests verify
    assert newest is not None and newest.name == "iter_000002"
    assert sorted(p.name for p in (newest / SHARDED_DIR).glob("*.distcp")) == [
        "__0_0.distcp",
        "__1_0.distcp",
    ]
    # Training (2 tasks x 2 trials) and the last iteration's evaluation (2 tasks), both
    # split over the ranks by task group, gathered in the single-process order.
    tasks = played_tasks(run_dir)
    sizes = {name: len(trials) for name, trials in tasks.items()}
    assert sizes == {"iter_000001": 4, "iter_000002": 4, "eval_iter_000002_held_out": 2}
    assert tasks == played_tasks(reference)


@pytest.fixture(scope="module")
def two_process_run(tiny_run, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("two_ranks")
    command = [*TORCHRUN, "--standalone", "--nproc-per-node=2", "-m", "lamer_train"]
    run([*command, *arguments(tiny_run, out)], out)
    return only_run_folder(out / "runs")


def test_two_process_torchrun_run_plays_the_single_process_tasks(
    two_process_run, single_process_run
):
    check_distributed_run(two_process_run, single_process_run)


def test_eval_of_a_sharded_checkpoint_on_two_ranks_through_nproc_per_node(two_process_run):
    """``lamer-train --nproc-per-node 2 eval``: the eval set split over 2 ranks, rank 0
    writes the one result file."""
    checkpoint = two_process_run / "checkpoints" / "iter_000002"
    samples = "eval_iter_000002_held_out"  # the training run's evaluation, rewritten
    during_training = played_tasks(two_process_run)[samples]
    command = [sys.executable, "-m", "lamer_train", "--nproc-per-node", "2", "eval"]
    run([*command, "--checkpoint", str(checkpoint)], two_process_run)
    result = json.loads((two_process_run / "eval" / "iter_000002" / "held_out.json").read_text())
    assert set(result) >= {"pass@1", "pass@2"}
    assert played_tasks(two_process_run)[samples] == during_training  # the same 2 tasks


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("localhost", 0))
        return probe.getsockname()[1]


def test_two_node_run_through_a_c10d_rendezvous_finishes_the_same_way(
    tiny_run, tmp_path, single_process_run
):
    """Two launchers (one per "node", both on this machine) meet at one endpoint."""
    command = [
        *TORCHRUN,
        "--nnodes=2",
        "--nproc-per-node=1",
        "--rdzv-backend=c10d",
        f"--rdzv-endpoint=localhost:{free_port()}",
        "--rdzv-id=lamer-two-nodes",
        "-m",
        "lamer_train",
        *arguments(tiny_run, tmp_path),
    ]
    nodes = [
        subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        for _ in range(2)
    ]
    try:
        outputs = [node.communicate(timeout=600)[0].decode() for node in nodes]
    finally:
        for node in nodes:
            if node.poll() is None:
                node.kill()
    assert [node.returncode for node in nodes] == [0, 0], outputs[0][-2000:] + outputs[1][-2000:]
    check_distributed_run(only_run_folder(tmp_path / "runs"), single_process_run)


def test_torchrun_run_killed_after_a_checkpoint_resumes_under_torchrun(
    tiny_run, tmp_path, kill_after_first_checkpoint
):
    """SIGKILL to the launcher and both ranks after the first sharded checkpoint; the
    resumed job continues from it and logs every iteration once."""
    run_dir = tmp_path / "runs" / "killed"
    command = [*TORCHRUN, "--standalone", "--nproc-per-node=2", "-m", "lamer_train"]
    overrides = [
        *tiny_run,
        "run.iterations=3",
        "run.name=killed",
        f"run.output_dir={tmp_path / 'runs'}",
    ]
    kill_after_first_checkpoint(overrides, run_dir, launcher=command, cwd=tmp_path)
    run([*command, "--resume", str(run_dir)], tmp_path)
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").open()]
    assert [row["iteration"] for row in rows] == [1, 2, 3]
    assert latest_checkpoint(run_dir).name == "iter_000003"
    assert (latest_checkpoint(run_dir) / SHARDED_DIR).is_dir()
    assert [p.name for p in (tmp_path / "runs").iterdir()] == ["killed"]
