import numpy as np
import pytest

from lamer_core.records import REFLECTION_ANCHOR, StepBatch, Trial, Turn


def make_trial() -> Trial:
    trial = Trial(group_id=3, trial_id=7, seed=11)
    trial.turns += [
        Turn(0, "play", 0, "p", "r", action="up", reward=-0.1, anchor="s0"),
        Turn(0, "play", 1, "p", "r", action="left", reward=-0.1, done=True, anchor="s1"),
        Turn(0, "reflect", 2, "p", "<remark>try down</remark>"),
        Turn(1, "play", 0, "p", "r", action="down", reward=10.9, done=True, won=True, anchor="s0"),
    ]
    return trial


def test_trial_summaries():
    trial = make_trial()
    assert trial.num_attempts == 2
    assert trial.won_at == 1
    assert [t.action for t in trial.attempt_turns(0)] == ["up", "left"]
    assert trial.reflections() == ["<remark>try down</remark>"]
    assert Trial(0, 0, 0).num_attempts == 0


def test_step_batch_flattens_trials_in_order():
    other = Trial(group_id=4, trial_id=8, seed=12, turns=[Turn(0, "play", 0, "", "")])
    batch = StepBatch.from_trials([make_trial(), other])
    assert len(batch) == 5
    np.testing.assert_array_equal(batch.group_id, [3, 3, 3, 3, 4])
    np.testing.assert_array_equal(batch.is_reflect, [False, False, True, False, False])
    np.testing.assert_array_equal(batch.attempt, [0, 0, 0, 1, 0])
    np.testing.assert_allclose(batch.reward, [-0.1, -0.1, 0.0, 10.9, 0.0])
    assert list(batch.anchor) == ["s0", "s1", REFLECTION_ANCHOR, "s0", REFLECTION_ANCHOR]
    assert batch.won.dtype == bool and batch.reward.dtype == np.float64


def test_empty_batch():
    assert len(StepBatch.from_trials([])) == 0


def test_bad_records_fail_clearly():
    with pytest.raises(ValueError, match="phase"):
        Turn(0, "act", 0, "", "")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="attempt"):
        Turn(-1, "play", 0, "", "")
    with pytest.raises(ValueError, match="length"):
        StepBatch(*(np.zeros(2) for _ in range(9)), anchor=np.zeros(3, dtype=object))


def test_step_batch_carries_token_ids_and_rollout_log_probs_per_row():
    trial = Trial(0, 0, 0, [
        Turn(0, "play", 0, "p", "r", prompt_ids=[1, 2], response_ids=[3], response_log_probs=[-0.5]),
        Turn(1, "reflect", 1, "p", "r", prompt_ids=[4], response_ids=[], response_log_probs=[]),
    ])  # fmt: skip
    batch = StepBatch.from_trials([trial])
    assert [ids.tolist() for ids in batch.prompt_ids] == [[1, 2], [4]]
    assert [ids.tolist() for ids in batch.response_ids] == [[3], []]
    assert [lp.tolist() for lp in batch.rollout_log_probs] == [[-0.5], []]
    assert batch.response_lengths().tolist() == [1, 0]


def test_token_columns_are_none_when_a_turn_has_no_ids():
    trial = make_trial()
    trial.turns[0].prompt_ids, trial.turns[0].response_ids = [1], [2]
    batch = StepBatch.from_trials([trial])
    assert batch.prompt_ids is None and batch.response_ids is None
    assert batch.rollout_log_probs is None
    with pytest.raises(ValueError, match="no token ids"):
        batch.response_lengths()


def test_rollout_log_probs_must_match_the_response_length():
    turn = Turn(
        0, "play", 0, "p", "r", prompt_ids=[1], response_ids=[3, 4], response_log_probs=[-1.0]
    )
    with pytest.raises(ValueError, match="1 rollout log-probs for 2 response tokens"):
        StepBatch.from_trials([Trial(0, 0, 0, [turn])])


def test_take_keeps_the_chosen_rows_of_every_column_in_order():
    trial = Trial(0, 0, 0, [
        Turn(0, "play", 0, "p", "r", prompt_ids=[1], response_ids=[5], response_log_probs=[-1.0]),
        Turn(0, "play", 1, "p", "r", prompt_ids=[2], response_ids=[6, 7], response_log_probs=[-2.0, -3.0]),
    ])  # fmt: skip
    picked = StepBatch.from_trials([trial]).take(np.array([1, 0]))
    assert picked.turn.tolist() == [1, 0]
    assert [ids.tolist() for ids in picked.response_ids] == [[6, 7], [5]]
    assert picked.rollout_log_probs[0].tolist() == [-2.0, -3.0]
    assert StepBatch.from_trials([make_trial()]).take(np.array([0])).prompt_ids is None
