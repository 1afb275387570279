"""Run outputs: metrics JSONL (and trimming on resume), samples, plots, the final table."""

from __future__ import annotations

import math

from rich.console import Console

from lamer_core.records import Trial, Turn
from lamer_train.report import RunReport, pass_at_k_table, read_metrics, truncate_metrics


def _trial() -> Trial:
    trial = Trial(group_id=0, trajectory_id=5, seed=7)
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
    for iteration in range(4):
        report.log(iteration, {"rollout/reward": float(iteration), "actor/kl": math.nan})
    report.close()
    rows = read_metrics(tmp_path / "metrics.jsonl")
    assert [r["iteration"] for r in rows] == [0, 1, 2, 3]
    assert rows[2]["rollout/reward"] == 2.0 and rows[2]["actor/kl"] is None

    # A run resumed from the checkpoint after iteration 1 logs 2 and 3 again.
    resumed = RunReport(tmp_path, tensorboard=False, resume_iteration=2)
    resumed.log(2, {"rollout/reward": 20.0})
    resumed.close()
    rows = read_metrics(tmp_path / "metrics.jsonl")
    assert [(r["iteration"], r["rollout/reward"]) for r in rows] == [(0, 0.0), (1, 1.0), (2, 20.0)]


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
