"""Run outputs: metrics JSONL (and trimming on resume), samples, plots, the final table."""

from __future__ import annotations

import math
import sys

import pytest
from rich.console import Console

from lamer_core.records import Trial, Turn
from lamer_train.experiment_analysis import Interval
from lamer_train.report import (
    RunReport,
    pass_at_k_table,
    plan_figures,
    read_metrics,
    sample_tag,
    truncate_metrics,
)


def _trial(group_id: int = 0, trial_id: int = 5) -> Trial:
    trial = Trial(group_id=group_id, trial_id=trial_id, seed=7 + group_id)
    trial.turns += [
        Turn(
            0,
            "play",
            0,
            "[user]\nstate <b>",
            "go <action>up</action>",
            action="up",
            reward=-0.1,
            done=True,
        ),
        Turn(1, "reflect", 1, "[user]\nreflect", "<remark>try left</remark>"),
        Turn(
            1,
            "play",
            0,
            "[user]\nstate",
            "<action>left</action>",
            action="left",
            reward=10.9,
            done=True,
            won=True,
        ),
    ]
    return trial


def test_metrics_are_appended_and_trimmed_for_resume(tmp_path):
    report = RunReport(tmp_path, tensorboard=False)
    report.log(0, {"eval/held_out/pass@1": 0.25})  # the evaluation before training
    for iteration in range(1, 5):
        report.log(iteration, {"rollout/reward": float(iteration), "actor/kl": math.nan})
    report.close()
    rows = read_metrics(tmp_path / "metrics.jsonl")
    assert [r["iteration"] for r in rows] == [0, 1, 2, 3, 4]
    assert rows[2]["rollout/reward"] == 2.0 and rows[2]["actor/kl"] is None

    # A run resumed from checkpoint iter_000002 logs iterations 3 and 4 again; the start
    # evaluation and iterations 1-2 stay.
    resumed = RunReport(tmp_path, tensorboard=False, resume_iteration=3)
    resumed.log(3, {"rollout/reward": 30.0})
    resumed.close()
    rows = read_metrics(tmp_path / "metrics.jsonl")
    assert [(r["iteration"], r.get("rollout/reward")) for r in rows] == [
        (0, None), (1, 1.0), (2, 2.0), (3, 30.0)
    ]  # fmt: skip


def test_torn_last_line_is_skipped(tmp_path):
    path = tmp_path / "metrics.jsonl"
    path.write_text('{"iteration": 0}\n{"iteration": 1, "x":', encoding="utf-8")
    assert read_metrics(path) == [{"iteration": 0}]
    truncate_metrics(path, 5)
    assert path.read_text(encoding="utf-8") == '{"iteration": 0}\n'


def test_samples_are_written_as_text_and_escaped_html(tmp_path):
    report = RunReport(tmp_path, tensorboard=False)
    html_path = report.write_samples("iter_000001", [_trial()])
    html = html_path.read_text(encoding="utf-8")
    text = (tmp_path / "samples" / "iter_000001.txt").read_text(encoding="utf-8")
    assert "solved in attempt 2" in text and "<remark>try left</remark>" in text
    assert "state &lt;b&gt;" in html and "&lt;remark&gt;try left&lt;/remark&gt;" in html


def test_samples_show_one_trial_per_task_first():
    from lamer_train.samples import pick_trials

    # 3 tasks x 4 trials, task-major as the trial loop builds them.
    trials = [_trial(group_id=g, trial_id=4 * g + i) for g in range(3) for i in range(4)]
    assert pick_trials(trials, 4) == [0, 4, 8, 1]  # tasks 0, 1, 2, then a second of task 0
    assert pick_trials(trials, 2) == [0, 4]
    assert pick_trials(trials[:2], 4) == [0, 1]  # one task: its trials


def test_samples_show_each_turns_return_advantage_and_given_reflection(tmp_path):
    trials = [_trial(group_id=0, trial_id=0), _trial(group_id=1, trial_id=1)]
    # Rows: every trial's turns in order (3 per trial).
    returns = [9.5, 0.0, 10.9, 1.0, 2.0, 3.0]
    advantages = [-0.25, 0.125, 0.75, 1.5, -1.5, 0.5]
    report = RunReport(tmp_path, tensorboard=False)
    path = report.write_samples(
        "iter_000003",
        trials,
        returns=returns,
        advantages=advantages,
        read_reflection=lambda response: (response.split(">")[1].split("<")[0], True),
    )
    html = path.read_text(encoding="utf-8")
    text = (tmp_path / "samples" / "iter_000003.txt").read_text(encoding="utf-8")
    # The summary table comes first and links every trial shown.
    table = html.index("<table>")
    assert table < html.index("<h2 id='trial-0'>") < html.index("<h2 id='trial-1'>")
    assert "href='#trial-0'" in html and "href='#trial-1'" in html
    assert "-0.1 / 10.9" in html  # reward per attempt of the first trial
    # Per turn: return and advantage of its own row (the second trial's rows are 3..5).
    assert "return 9.500 · advantage -0.250" in html
    assert "return 3.000 · advantage +0.500" in html
    assert "return 10.900 | advantage +0.750" in text
    # The play turn of attempt 2 shows the reflection it was given, as memory read it.
    assert "reflection given: try left" in html
    assert "[reflection given] try left" in text
    with pytest.raises(ValueError, match="advantages has 2 values, the trials have 6 rows"):
        report.write_samples("x", trials, advantages=[0.0, 1.0])


def test_samples_go_to_tensorboard_as_text(tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    report = RunReport(tmp_path, tensorboard=True)
    report.write_samples("iter_000002", [_trial()], iteration=2)
    report.write_samples("eval_iter_000002", [_trial()], iteration=2)
    report.close()
    events = EventAccumulator(str(tmp_path / "tensorboard"), size_guidance={"tensors": 0})
    events.Reload()
    assert {"samples/train/text_summary", "samples/eval/text_summary"} <= set(
        events.Tags()["tensors"]
    )
    (event,) = events.Tensors("samples/train/text_summary")
    assert event.step == 2
    assert "<remark>try left</remark>" in event.tensor_proto.string_val[0].decode()
    assert sample_tag("iter_000002") == "samples/train"
    assert sample_tag("eval_iter_000000") == "samples/eval"


def test_sample_pages_are_titled_by_iteration_and_kind(tmp_path):
    report = RunReport(tmp_path, tensorboard=False)
    start = report.write_samples("eval_iter_000000", [_trial()]).read_text(encoding="utf-8")
    train = report.write_samples("iter_000003", [_trial()]).read_text(encoding="utf-8")
    assert "<h1>iteration 0 (before training): held-out evaluation</h1>" in start
    assert "<h1>iteration 3: training trials</h1>" in train
    assert "advantage" not in start.split("</table>")[1]  # no values given: none shown


def test_wandb_project_without_wandb_installed_warns(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "wandb", None)  # makes `import wandb` fail
    with pytest.warns(UserWarning, match=r"run.wandb_project='my-project' is set but wandb"):
        report = RunReport(tmp_path, tensorboard=False, wandb_project="my-project")
    report.log(1, {"rollout/reward": 1.0})  # still logs to metrics.jsonl
    report.close()
    assert read_metrics(tmp_path / "metrics.jsonl") == [{"iteration": 1, "rollout/reward": 1.0}]


def test_tensorboard_and_plots_are_written(tmp_path):
    report = RunReport(tmp_path, tensorboard=True)
    for iteration in range(3):
        report.log(
            iteration,
            {
                "rollout/episode_reward_mean": iteration * 1.5,
                "eval/held_out/pass@1": 0.1 * iteration,
                "eval/harder/pass@1": 0.05 * iteration,
            },
        )
    written = report.plot()
    report.close()
    assert {p.name for p in written} == {"reward.png", "pass_at_k.png"}
    assert all(p.stat().st_size > 1000 for p in written)
    assert list((tmp_path / "tensorboard").glob("events.out.tfevents.*"))


def test_plots_keep_one_unit_per_axis_and_include_the_start_evaluation():
    rows = [{"iteration": 0, "eval/held_out/pass@1": 0.1, "eval/held_out/pass@2": 0.2}] + [
        {
            "iteration": k,
            "rollout/episode_reward_mean": 1.0 * k,
            "rollout/success_rate": 0.1 * k,
            "actor/pg_loss": 0.01,
            "actor/ppo_kl": 0.001,
            "actor/entropy": 2.0,
            "time/iteration_s": 10.0,
            "time/generation_s": 4.0,
            "speed/tokens_per_s": 300.0,
            **({"eval/held_out/pass@1": 0.3, "eval/held_out/pass@2": 0.4} if k == 2 else {}),
        }
        for k in (1, 2)
    ]
    plan = plan_figures(rows)
    assert set(plan) == {"reward", "pass_at_k", "loss", "time", "throughput"}
    for panels in plan.values():
        for panel, series in panels:
            groups = {key.split("/")[0] for key in series}
            assert len(groups) == 1, f"{panel.title} mixes {sorted(series)}"
    units = {panel.unit: sorted(series) for panels in plan.values() for panel, series in panels}
    assert units["seconds"] == ["time/generation_s", "time/iteration_s"]
    assert units["tokens per second"] == ["speed/tokens_per_s"]
    reward_panels = [sorted(series) for _, series in plan["reward"]]
    assert reward_panels == [["rollout/episode_reward_mean"], ["rollout/success_rate"]]
    ((_, pass_at_k),) = plan["pass_at_k"]
    assert pass_at_k["eval/held_out/pass@1"] == [
        (0, 0.1),
        (2, 0.3),
    ]  # the start evaluation is x = 0


def test_pass_at_k_plot_has_one_panel_per_evaluation_set():
    rows = [
        {
            "iteration": 1,
            "eval/held_out/pass@1": 0.5,
            "eval/hard/pass@1": 0.1,
            "eval/hard/pass@2": 0.2,
        }
    ]
    titles = {panel.title: sorted(series) for panel, series in plan_figures(rows)["pass_at_k"]}
    assert titles == {
        "pass@k on held-out tasks (held_out)": ["eval/held_out/pass@1"],
        "pass@k on held-out tasks (hard)": ["eval/hard/pass@1", "eval/hard/pass@2"],
    }


def test_pass_at_k_table_shows_each_set_start_and_end():
    start = {"eval/held_out/pass@1": 0.125, "eval/harder/pass@1": 0.0}
    end = {"eval/held_out/pass@1": 0.5, "rollout/x": 1.0, "eval/harder/pass@1": 0.25}
    console = Console(width=80, record=True)
    console.print(pass_at_k_table(start, end))
    rows = [line for line in console.export_text().splitlines() if "pass@1" in line]
    assert len(rows) == 2
    assert "held_out" in rows[0] and "0.125" in rows[0] and "0.500" in rows[0]
    assert "harder" in rows[1] and "0.000" in rows[1] and "0.250" in rows[1]
    assert "rollout" not in console.export_text()


def test_pass_at_k_table_adds_the_paired_change_when_given():
    start, end = {"eval/held_out/pass@1": 0.125}, {"eval/held_out/pass@1": 0.5}
    change = {"held_out": {"pass@1": Interval(0.375, 0.125, 0.625, 8)}}
    console = Console(width=120, record=True)
    console.print(pass_at_k_table(start, end, change))
    (row,) = [line for line in console.export_text().splitlines() if "pass@1" in line]
    assert "+0.375 [+0.12, +0.62]" in row
    console = Console(width=120, record=True)
    console.print(pass_at_k_table(start, end))  # no change: no column
    assert "change" not in console.export_text()
