"""Sokoban as in the LaMer paper: generator, dynamics, solver, projection and the env.

``lamer_envs.sokoban.env.SokobanEnv`` is registered as ``lamer/Sokoban-v0``.
"""

from lamer_envs.sokoban.generator import GeneratedRoom, generate_room, generate_task
from lamer_envs.sokoban.grid import SokobanGrid, state_from_arrays
from lamer_envs.sokoban.parsing import project_response
from lamer_envs.sokoban.room import SokobanRoom, StepOutcome
from lamer_envs.sokoban.solver import (
    SolutionDistances,
    bfs_solution,
    shortest_solution_length,
)

__all__ = [
    "GeneratedRoom",
    "SokobanGrid",
    "SokobanRoom",
    "SolutionDistances",
    "StepOutcome",
    "bfs_solution",
    "generate_room",
    "generate_task",
    "project_response",
    "shortest_solution_length",
    "state_from_arrays",
]
