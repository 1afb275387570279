"""``lamer/Sokoban-v0``: the paper's Sokoban as a text env.

Paper config (the defaults): 6x6 room, 2 boxes, up to 3 moves per turn,
``max_steps`` 30 primitive moves, dead-state search depth 100, generated rooms whose
shortest solution takes 5..21 moves.

Observation: the map, one line per row, ``"0: # _ O X √ P S"`` (see :mod:`.grid`).
Action: a model response (moves inside ``<action>...</action>``, read with the
reference's projection) or a bare move list such as ``"up, left"``.

A turn runs its moves in order and **stops at the first move that ends the episode**;
its reward is the **sum** over the moves it ran. (The reference keeps executing after
the end and reports only the last move's reward, which drops box rewards; see the
package README.) ``terminated`` = all boxes on targets or a dead state; ``truncated`` =
``max_steps`` moves used without either. Stepping after the end raises
:class:`gymnasium.error.ResetNeeded`.

An unusable response costs ``-0.1`` (the reference's no-op), changes nothing and does
not count as a move; ``info["action"]`` is then ``INVALID_ACTION``.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import gymnasium
import numpy as np
from gymnasium.error import ResetNeeded

from lamer_envs.protocol import (
    ACTION,
    ACTION_IS_VALID,
    ANCHOR,
    INVALID_ACTION,
    WON,
    ParsedAction,
    text_space,
)
from lamer_envs.sokoban.generator import GeneratedRoom, generate_task
from lamer_envs.sokoban.grid import state_from_arrays
from lamer_envs.sokoban.parsing import (
    ACTION_END,
    ACTION_START,
    action_text,
    parse_bare_actions,
    project_response,
)
from lamer_envs.sokoban.room import STEP_PENALTY, SokobanRoom
from lamer_envs.sokoban.rules import sokoban_action_format, sokoban_rules
from lamer_envs.sokoban.solver import bfs_solution, shortest_solution_length

#: Longest action text the action space describes; longer responses are still parsed.
MAX_ACTION_CHARS = 8192
#: Seeds whose generated room (and distance table) an env keeps, so restarting the same
#: task for the next attempt skips generation.
_TASK_CACHE_SIZE = 16


class SokobanEnv(gymnasium.Env[str, str]):
    """Sokoban with string observations/actions; see the module docstring."""

    metadata = {"render_modes": ["ansi"]}  # noqa: RUF012 (gymnasium's convention)

    def __init__(
        self,
        dim_room: tuple[int, int] = (6, 6),
        num_boxes: int = 2,
        max_steps: int = 30,
        search_depth: int = 100,
        min_steps: int = 5,
        max_sol_steps: int = 21,
        num_actions_per_turn: int = 3,
        max_env_attempts: int = 10,
        num_gen_steps: int | None = None,
        p_change_directions: float = 0.35,
        render_mode: str | None = None,
    ) -> None:
        rows, cols = (int(v) for v in dim_room)
        if rows < 4 or cols < 4:
            raise ValueError(f"dim_room must be at least (4, 4), got {dim_room}")
        if num_boxes < 1 or num_boxes > (rows - 2) * (cols - 2) - 2:
            raise ValueError(f"num_boxes={num_boxes} does not fit a {rows}x{cols} room")
        if not 1 <= min_steps <= max_sol_steps:
            raise ValueError("need 1 <= min_steps <= max_sol_steps")
        if max_steps < 1 or search_depth < 1 or num_actions_per_turn < 1:
            raise ValueError("max_steps, search_depth and num_actions_per_turn must be >= 1")
        if render_mode not in (None, "ansi"):
            raise ValueError(f"render_mode must be None or 'ansi', got {render_mode!r}")
        self.dim_room = (rows, cols)
        self.num_boxes = num_boxes
        self.max_steps = max_steps
        self.search_depth = search_depth
        self.min_steps = min_steps
        self.max_sol_steps = max_sol_steps
        self.num_actions_per_turn = num_actions_per_turn
        self.max_env_attempts = max_env_attempts
        self.num_gen_steps = num_gen_steps
        self.p_change_directions = p_change_directions
        self.render_mode = render_mode

        # "r:" + " c" per cell, rows joined by newlines (rows up to 3 digits).
        obs_chars = rows * (len(f"{rows - 1}:") + 2 * cols) + rows - 1
        self.observation_space = text_space(max_length=obs_chars)
        self.action_space = text_space(max_length=MAX_ACTION_CHARS)

        self._task: GeneratedRoom | None = None
        self._room: SokobanRoom | None = None
        self._episode_over = False
        self._initial_observation = ""
        self._task_cache: OrderedDict[int, tuple[GeneratedRoom, dict[str, Any]]] = OrderedDict()

    # -- prompt surface -------------------------------------------------------------------

    @property
    def rules(self) -> str:
        return sokoban_rules(self.num_actions_per_turn)

    @property
    def action_format(self) -> str:
        return sokoban_action_format(self.num_actions_per_turn)

    @property
    def initial_observation(self) -> str:
        """The map right after the last reset."""
        return self._initial_observation

    def parse_action(self, response: str) -> ParsedAction:
        """The paper's projection of a model response (bare lists are *not* accepted
        here, as in the paper; :meth:`step` also accepts them)."""
        if not isinstance(response, str):
            return ParsedAction(None, False)
        actions, valid = project_response(response, self.num_actions_per_turn)
        start = response.find(ACTION_START)
        thought = response[:start].strip() if start > 0 else ""
        return ParsedAction(action_text(actions) if valid else None, valid, thought)

    def sample_action(self, rng: np.random.Generator) -> str:
        """A random turn of 1..``num_actions_per_turn`` moves (for tests and baselines)."""
        count = int(rng.integers(1, self.num_actions_per_turn + 1))
        moves = action_text([int(a) for a in rng.integers(1, 5, size=count)])
        return f"<action>{moves}</action>" if rng.random() < 0.5 else moves

    # -- state access for tests, solvers and data generation ------------------------------

    @property
    def room(self) -> SokobanRoom:
        if self._room is None:
            raise ResetNeeded("call reset() first")
        return self._room

    def solution(self) -> list[str]:
        """Shortest move list from the current state (``[]``: none within search depth)."""
        room = self.room
        path = bfs_solution(room.grid, room.player, room.boxes, self.search_depth)
        return [action_text([a]) for a in path]

    # -- gymnasium API ----------------------------------------------------------------------

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[str, dict[str, Any]]:
        """Start the task of ``seed`` (the same seed always gives the same room).

        ``options={"room_fixed": grid, "room_state": grid}`` (reference 0..5 grids)
        starts from a given room instead of generating one.
        """
        super().reset(seed=seed)
        task = self._task_cache.get(seed) if seed is not None else None
        if options and "room_fixed" in options:
            generated = self._room_from_options(options)
        elif task is not None:
            self._task_cache.move_to_end(seed)
            generated, rng_state = task
            # Leave the generator exactly where a fresh generation would have left it.
            self.np_random.bit_generator.state = rng_state
        else:
            generated = generate_task(
                self.np_random,
                self.dim_room,
                self.num_boxes,
                search_depth=self.search_depth,
                min_steps=self.min_steps,
                max_sol_steps=self.max_sol_steps,
                max_env_attempts=self.max_env_attempts,
                num_gen_steps=self.num_gen_steps,
                p_change_directions=self.p_change_directions,
            )
            if seed is not None:
                self._task_cache[seed] = (generated, self.np_random.bit_generator.state)
                if len(self._task_cache) > _TASK_CACHE_SIZE:
                    self._task_cache.popitem(last=False)
        self._task = generated
        self._room = SokobanRoom(
            generated.grid,
            generated.player,
            generated.boxes,
            max_steps=self.max_steps,
            search_depth=self.search_depth,
            distances=generated.distances,
        )
        self._episode_over = False
        obs = self._room.render()
        self._initial_observation = obs
        info = {
            WON: False,
            ACTION_IS_VALID: True,
            ANCHOR: obs,
            ACTION: "",
            "solution_length": generated.solution_length,
        }
        return obs, info

    def step(self, action: str) -> tuple[str, float, bool, bool, dict[str, Any]]:
        """Run one turn (see the module docstring)."""
        room = self._room
        if room is None:
            raise ResetNeeded("call reset() before step()")
        if self._episode_over:
            raise ResetNeeded(
                "the episode is over (terminated or truncated); call reset(seed=...) to "
                "start again (the same seed restarts the same room)"
            )
        actions = self._read_actions(action)
        if actions is None:
            obs = room.render()
            info = self._info(obs, won=False, valid=False, action=INVALID_ACTION)
            info["action_is_effective"] = False
            return obs, STEP_PENALTY, False, False, info

        reward = 0.0
        executed: list[int] = []
        effective = False
        outcome = None
        for primitive in actions:
            outcome = room.step(primitive)
            executed.append(primitive)
            reward += outcome.reward
            effective = effective or outcome.action_is_effective
            if outcome.done:
                break
        assert outcome is not None
        if self._task is not None and self._task.distances is None:
            self._task.distances = room.built_distances
        terminated = outcome.all_boxes_on_target or outcome.dead_state
        truncated = outcome.max_steps_reached and not terminated
        self._episode_over = terminated or truncated
        obs = room.render()
        info = self._info(obs, won=outcome.won, valid=True, action=action_text(executed))
        info["action_is_effective"] = effective
        info["dead_state"] = outcome.dead_state
        info["num_env_steps"] = room.num_env_steps
        return obs, reward, terminated, truncated, info

    def render(self) -> str | None:
        if self.render_mode == "ansi" and self._room is not None:
            return self._room.render()
        return None

    # -- helpers -------------------------------------------------------------------------

    def _room_from_options(self, options: dict[str, Any]) -> GeneratedRoom:
        if "room_state" not in options:
            raise ValueError("options with 'room_fixed' also need 'room_state'")
        grid, player, boxes = state_from_arrays(options["room_fixed"], options["room_state"])
        length = shortest_solution_length(grid, player, boxes, self.search_depth)
        return GeneratedRoom(grid, player, boxes, length, attempts=0)

    def _read_actions(self, response: Any) -> list[int] | None:
        if not isinstance(response, str):
            return None
        actions, valid = project_response(response, self.num_actions_per_turn)
        if valid:
            return actions
        if ACTION_START in response or ACTION_END in response:
            return None
        return parse_bare_actions(response, self.num_actions_per_turn)

    @staticmethod
    def _info(obs: str, *, won: bool, valid: bool, action: str) -> dict[str, Any]:
        return {WON: won, ACTION_IS_VALID: valid, ANCHOR: obs, ACTION: action}
