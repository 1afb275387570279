"""lamer_algos: cross-attempt returns and advantage estimators on plain numpy arrays.

    returns, episode_rewards = cross_attempt_returns(step_batch, step_gamma=0.95, traj_gamma=0.6)
    batch = AdvantageInput(score=episode_rewards - 0.5 * ~step_batch.action_is_valid,
                           group_id=step_batch.group_id, trajectory_id=step_batch.trajectory_id,
                           step_return=returns, anchor=step_batch.anchor)
    advantages = get_estimator("gigpo")(batch, mode="mean_norm", step_advantage_w=1.0)

No torch: any trainer can call it.
"""

from lamer_algos.batch import AdvantageInput, TrialColumns, as_advantage_input
from lamer_algos.gae import gae, gae_advantages_and_returns, gae_value_targets
from lamer_algos.gigpo import GiGPOParts, gigpo, gigpo_parts
from lamer_algos.grpo import grpo
from lamer_algos.registry import (
    ENTRY_POINT_GROUP,
    Estimator,
    estimator_names,
    get_estimator,
    register_estimator,
    value_targets,
)
from lamer_algos.reinforce_pp import reinforce_pp, reinforce_pp_baseline, reinforce_pp_returns
from lamer_algos.returns import backward_returns, cross_attempt_returns
from lamer_algos.rloo import rloo
from lamer_algos.whitening import masked_whiten

__version__ = "0.1.0"

__all__ = [
    "ENTRY_POINT_GROUP",
    "AdvantageInput",
    "Estimator",
    "GiGPOParts",
    "TrialColumns",
    "as_advantage_input",
    "backward_returns",
    "cross_attempt_returns",
    "estimator_names",
    "gae",
    "gae_advantages_and_returns",
    "gae_value_targets",
    "get_estimator",
    "gigpo",
    "gigpo_parts",
    "grpo",
    "masked_whiten",
    "register_estimator",
    "reinforce_pp",
    "reinforce_pp_baseline",
    "reinforce_pp_returns",
    "rloo",
    "value_targets",
]
