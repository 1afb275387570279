"""lamer_algos: cross-attempt returns and advantage estimators on plain numpy arrays.

    returns, episode_rewards = cross_attempt_returns(step_batch, step_gamma=0.95, traj_gamma=0.6)
    batch = AdvantageInput.from_step_batch(step_batch, step_gamma=0.95, traj_gamma=0.6)
    advantages = get_estimator("gigpo")(batch, mode="mean_norm", step_advantage_w=1.0)

No torch: any trainer can call it.
"""

from lamer_algos.batch import AdvantageInput, TrialColumns, as_advantage_input
from lamer_algos.gae import gae, gae_advantages_and_returns
from lamer_algos.gigpo import GiGPOParts, gigpo, gigpo_parts
from lamer_algos.grpo import grpo
from lamer_algos.policy_loss import PolicyLoss, agg_loss, ppo_policy_loss
from lamer_algos.registry import (
    ENTRY_POINT_GROUP,
    Estimator,
    estimator_names,
    get_estimator,
    register_estimator,
)
from lamer_algos.reinforce_pp import reinforce_pp, reinforce_pp_baseline, reinforce_pp_returns
from lamer_algos.returns import cross_attempt_returns
from lamer_algos.rloo import rloo
from lamer_algos.whitening import masked_whiten

__version__ = "0.1.0"

__all__ = [
    "ENTRY_POINT_GROUP",
    "AdvantageInput",
    "Estimator",
    "GiGPOParts",
    "PolicyLoss",
    "TrialColumns",
    "agg_loss",
    "as_advantage_input",
    "cross_attempt_returns",
    "estimator_names",
    "gae",
    "gae_advantages_and_returns",
    "get_estimator",
    "gigpo",
    "gigpo_parts",
    "grpo",
    "masked_whiten",
    "ppo_policy_loss",
    "register_estimator",
    "reinforce_pp",
    "reinforce_pp_baseline",
    "reinforce_pp_returns",
    "rloo",
]
