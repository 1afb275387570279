"""``lamer-train sft``: a warm start trained on oracle trials, saved as an HF model folder,
and the one shipped with the package that the CPU default main job starts from."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
import torch

from lamer_train.cli import main
from lamer_train.config import ConfigError, LaMerConfig, load_config
from lamer_train.model_config import ModelConfig
from lamer_train.model_factory import load_policy
from lamer_train.model_source import check_model_source, resolve_model_path
from lamer_train.preflight import check_warm_start
from lamer_train.sft import WARM_START_FILE, check_warm_start_seeds, run_sft
from lamer_train.task_seeds import held_out_seeds
from lamer_train.warmup import cosine_lr

#: A whole ``lamer-train sft`` in seconds: a one-layer tiny model, a few examples.
TINY_SFT = [
    "run.torch_threads=1", "model.tiny_hidden_size=32", "model.tiny_intermediate_size=64",
    "model.tiny_num_layers=1", "warmup.steps=3", "warmup.examples=12", "warmup.batch_size=4",
    "eval.num_tasks=4",
]  # fmt: skip


def test_sft_writes_a_model_folder_that_a_run_loads(tmp_path):
    out = tmp_path / "warm"
    assert main(["sft", "--out", str(out), *TINY_SFT]) == 0

    record = json.loads((out / WARM_START_FILE).read_text())
    assert record["command"].startswith("lamer-train sft --out")
    assert len(record["losses"]) == 3 and record["task_seeds"]
    assert record["loss_first"] == record["losses"][0]
    agreement = record["oracle_agreement"]  # measured on the 4 held-out tasks
    assert agreement["tasks"] == 4 and 0 <= agreement["first_move"] <= 1
    assert check_model_source(ModelConfig(name_or_path=str(out))) == "local"
    model, tokenizer = load_policy(ModelConfig(name_or_path=str(out)))
    assert model.config.hidden_size == 32 and model.config.num_hidden_layers == 1
    messages = [{"role": "user", "content": "hi"}]
    ids = tokenizer.apply_chat_template(messages, add_generation_prompt=True)
    assert ids and tokenizer.decode(ids).startswith("<|im_start|>user")
    # A run from this folder passes the checks made before any work.
    check_warm_start(load_config(None, [f"model.name_or_path={out}", "eval.num_tasks=4"]))


def test_sft_refuses_a_non_empty_output_folder_and_an_env_without_oracle(tmp_path):
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "file").write_text("x")
    assert main(["sft", "--out", str(tmp_path / "taken"), *TINY_SFT]) == 2
    webshop = ["env.id=lamer/WebShop-v0", "env.max_turns=3"]
    assert main(["sft", "--out", str(tmp_path / "w"), *TINY_SFT, *webshop]) == 2
    assert not (tmp_path / "w").exists()


def test_the_warm_start_never_trains_on_a_held_out_seed(tmp_path):
    config = load_config("sft_sokoban", [*TINY_SFT, "eval.num_tasks=64"])
    record = run_sft(config, tmp_path / "warm", "test", log=lambda line: None)
    assert not set(record["task_seeds"]) & held_out_seeds(config)


def test_a_run_refuses_a_warm_start_that_trained_on_its_held_out_seeds(tmp_path):
    config = load_config(None, ["eval.num_tasks=8"])
    folder = tmp_path / "warm"
    folder.mkdir()
    leaked = sorted(held_out_seeds(config))[:1]
    (folder / WARM_START_FILE).write_text(json.dumps({"task_seeds": leaked}))
    with pytest.raises(ConfigError, match="held-out task seeds"):
        check_warm_start(config.model_copy(update={"model": ModelConfig(name_or_path=str(folder))}))


def test_the_main_job_starts_from_the_shipped_warm_start():
    config = load_config("cpu_default")
    assert config.model.name_or_path.startswith("warm_start:")
    folder = Path(resolve_model_path(config.model.name_or_path))
    record = json.loads((folder / WARM_START_FILE).read_text())
    assert record["command"].startswith("lamer-train sft --config sft_sokoban")
    check_warm_start(config)  # never trained on the main job's held-out tasks
    model, _ = load_policy(config.model)
    size = sum(p.numel() * p.element_size() for p in model.parameters())
    assert size < 10 * 2**20
    assert config.warmup.steps == 0  # the warm start already knows the formats


def test_rerunning_the_shipped_command_reproduces_its_first_step(tmp_path):
    # Same tasks, prompts, noise, initial weights and first batch: the same first loss.
    folder = Path(resolve_model_path(load_config("cpu_default").model.name_or_path))
    record = json.loads((folder / WARM_START_FILE).read_text())
    record["config"]["warmup"]["steps"] = 1
    config = LaMerConfig.model_validate(record["config"])
    rerun = run_sft(config, tmp_path / "again", "test", log=lambda line: None)
    assert rerun["task_seeds"] == record["task_seeds"]
    assert rerun["loss_first"] == pytest.approx(record["loss_first"], rel=1e-5)


def test_the_cosine_schedule_decays_the_warm_up_rate_to_a_tenth():
    rates = [cosine_lr(3e-3, step, 50) for step in range(50)]
    assert rates[0] == pytest.approx(3e-3) and rates[-1] == pytest.approx(3e-4)
    assert all(a > b for a, b in itertools.pairwise(rates))
    assert cosine_lr(3e-3, 0, 1) == pytest.approx(3e-3)  # one step: the full rate


def test_a_cosine_warm_up_ends_at_a_lower_rate_than_it_started(tmp_path, monkeypatch):
    config = load_config("sft_sokoban", [*TINY_SFT, "warmup.lr_schedule=cosine"])
    with pytest.raises(ValueError, match="lr_schedule"):
        load_config("sft_sokoban", [*TINY_SFT, "warmup.lr_schedule=linear"])
    seen = []
    original = torch.optim.AdamW.step

    def step(self, *args, **kwargs):
        seen.append(self.param_groups[0]["lr"])
        return original(self, *args, **kwargs)

    monkeypatch.setattr(torch.optim.AdamW, "step", step)
    run_sft(config, tmp_path / "warm", "test", log=lambda line: None)
    assert seen == pytest.approx([cosine_lr(config.warmup.lr, s, 3) for s in range(3)])


def test_a_warm_start_made_from_another_lists_the_base_s_task_seeds_too(tmp_path):
    base = run_sft(load_config("sft_sokoban", TINY_SFT), tmp_path / "base", "test", log=print)
    config = load_config(
        "sft_sokoban", [*TINY_SFT, "seed=1", f"model.name_or_path={tmp_path / 'base'}"]
    )
    second = run_sft(config, tmp_path / "second", "test", log=lambda line: None)
    assert set(second["task_seeds"]) >= set(base["task_seeds"])
    assert len(second["task_seeds"]) > len(base["task_seeds"])  # seed 1's own tasks too
    with pytest.raises(ConfigError, match="held-out task seeds"):  # the base's tasks count
        check_warm_start_seeds(str(tmp_path / "second"), set(base["task_seeds"][:1]))


def test_an_env_without_oracle_still_gets_its_warm_start_saved(tmp_path, monkeypatch):
    # policy=random needs no oracle; the agreement is then skipped, not a crash after training.
    monkeypatch.setattr("lamer_train.oracle_trials.has_oracle", lambda env: False)
    out = tmp_path / "warm"
    assert main(["sft", "--out", str(out), *TINY_SFT, "warmup.policy=random"]) == 0
    assert json.loads((out / WARM_START_FILE).read_text())["oracle_agreement"] is None
    assert (out / "model.safetensors").is_file()
