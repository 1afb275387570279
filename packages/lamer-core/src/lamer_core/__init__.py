"""lamer_core: the shared vocabulary of LaMer (records, seeding, plugin registry)."""

from lamer_core.records import PHASES, REFLECTION_ANCHOR, Phase, StepBatch, Trial, Turn
from lamer_core.registry import (
    DuplicatePluginError,
    PluginError,
    PluginRegistry,
    UnknownPluginError,
)
from lamer_core.seeding import derive_seed, make_rng, seed_sequence, task_seeds

__version__ = "0.1.0"

__all__ = [
    "PHASES",
    "REFLECTION_ANCHOR",
    "DuplicatePluginError",
    "Phase",
    "PluginError",
    "PluginRegistry",
    "StepBatch",
    "Trial",
    "Turn",
    "UnknownPluginError",
    "derive_seed",
    "make_rng",
    "seed_sequence",
    "task_seeds",
]
