"""tools/bench/train_step.py: real actor updates on the tiny preset, FLOPs by formula."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest
import torch

BENCH = Path(__file__).resolve().parents[2] / "tools" / "bench" / "train_step.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("train_step_bench", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    yield module
    del sys.modules[spec.name]


def test_presets_have_the_stated_parameter_counts(bench):
    expected = {"0.6b": 596_049_920, "1.5b": 1_543_664_128, "1.7b": 1_720_574_976}
    for name, count in expected.items():
        model = bench.build_model(bench.PRESETS[name], torch.device("meta"))
        assert sum(p.numel() for p in model.parameters()) == count


def test_update_flops_follow_the_documented_formula(bench):
    preset = bench.PRESETS["0.6b"]
    s, r = 4096, 1024
    forward = (
        2 * 440_401_920 * s  # decoder-block linear layers
        + 2 * 151_936 * 1024 * (r + 1)  # output head on the response's positions
        + 4 * 28 * 16 * 128 * s * s  # QK^T and AV, full square
    )
    flops = bench.update_flops(preset, s, r, rows=8)
    assert flops["full"] == pytest.approx(8 * 4 * forward)
    assert flops["causal"] == pytest.approx(8 * 4 * (forward - 2 * 28 * 16 * 128 * s * s))


def test_tiny_bench_runs_real_updates_and_writes_json(bench, tmp_path, capsys):
    out = tmp_path / "result.json"
    argv = ["--preset", "tiny", "--seq-len", "48", "--response-len", "16", "--rows", "2"]
    argv += ["--warmup", "0", "--steps", "1", "--threads", "1", "--micro-batch-tokens", "96"]
    result = bench.main(
        [*argv, "--activation-checkpointing", "--peak-tflops", "1", "--json", str(out)]
    )
    assert json.loads(out.read_text()) == json.loads(json.dumps(result))
    assert result["optimizer_steps"] == 1.0
    assert result["parameters"] == 627_136
    assert result["tokens_per_second_per_device"] == pytest.approx(
        2 * 48 / result["seconds_per_update"]
    )
    assert 0 < result["mfu_causal"] < result["mfu"]
    assert "MFU" in capsys.readouterr().out
