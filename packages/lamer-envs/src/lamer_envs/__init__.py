"""lamer_envs: text environments of the LaMer paper behind one gymnasium protocol.

``import lamer_envs`` registers ``lamer/Sokoban-v0``, ``lamer/MineSweeper-v0``,
``lamer/WebShop-v0`` and ``lamer/ALFWorld-v0`` with gymnasium.
"""

from lamer_envs.checker import TextEnvCheckError, check_text_env
from lamer_envs.pool import EnvPool, InProcessPool, ProcessPool, StepResults, make_pool
from lamer_envs.protocol import (
    ACTION,
    ACTION_IS_VALID,
    ANCHOR,
    INFO_KEYS,
    INVALID_ACTION,
    WON,
    ParsedAction,
    TextEnv,
    text_space,
)
from lamer_envs.registration import ENV_IDS, register_envs

register_envs()

__version__ = "0.1.0"

__all__ = [
    "ACTION",
    "ACTION_IS_VALID",
    "ANCHOR",
    "ENV_IDS",
    "INFO_KEYS",
    "INVALID_ACTION",
    "WON",
    "EnvPool",
    "InProcessPool",
    "ParsedAction",
    "ProcessPool",
    "StepResults",
    "TextEnv",
    "TextEnvCheckError",
    "check_text_env",
    "make_pool",
    "register_envs",
    "text_space",
]
