"""Primitive Sokoban dynamics: one action (0..4) at a time, exactly as the reference.

:class:`SokobanRoom` reproduces gym-sokoban's ``step`` as LaMer runs it, including its
quirks (stepping after done is allowed; ``max_steps`` is an equality test; action 0 is
a free no-op that does not count as a step). The gymnasium env builds its turn
semantics on top of it (see ``env.py``); the golden-vector tests drive this class.

Rewards (per primitive action 1..4): ``-0.1`` per step, ``+1`` when a box lands on a
target, ``-1`` when one leaves a target, ``+10`` once every box is on a target.
After every step that is not already done, the state is checked for being dead: no
solution within ``search_depth`` actions ends the episode (reward unchanged).
"""

from __future__ import annotations

from dataclasses import dataclass

from lamer_envs.sokoban.grid import NOOP, SokobanGrid
from lamer_envs.sokoban.solver import (
    MAX_TABLE_STATES,
    SolutionDistances,
    bfs_solution,
    estimated_state_count,
)

STEP_PENALTY = -0.1
BOX_ON_TARGET_REWARD = 1.0
ALL_BOXES_REWARD = 10.0


@dataclass(frozen=True, slots=True)
class StepOutcome:
    """What one primitive action did."""

    reward: float
    done: bool
    won: bool
    """All boxes are on targets (the reference's ``info["won"]``)."""
    action_is_effective: bool
    """The player moved."""
    all_boxes_on_target: bool
    max_steps_reached: bool
    dead_state: bool
    """Done because no solution within ``search_depth`` remains."""


class SokobanRoom:
    """A room being played: fixed grid + player + boxes + the reference's counters.

    ``distances`` (optional, shared between rooms with the same grid) makes the dead-state
    check a table lookup; without it the check runs the reference's BFS.
    """

    __slots__ = (
        "_distances",
        "boxes",
        "boxes_on_target",
        "grid",
        "max_steps",
        "num_boxes",
        "num_env_steps",
        "player",
        "search_depth",
    )

    def __init__(
        self,
        grid: SokobanGrid,
        player: int,
        boxes: int,
        *,
        max_steps: int = 30,
        search_depth: int = 100,
        distances: SolutionDistances | None = None,
    ) -> None:
        self.grid = grid
        self.player = player
        self.boxes = boxes
        self.num_boxes = boxes.bit_count()
        self.max_steps = max_steps
        self.search_depth = search_depth
        self.num_env_steps = 0
        # The reference's counter starts at 0 (generated rooms never start with a box on
        # a target), whatever the room holds.
        self.boxes_on_target = 0
        self._distances = distances

    @property
    def distances(self) -> SolutionDistances | None:
        """The room's distance table, built on first use when the room is small enough."""
        if self._distances is None and (
            estimated_state_count(self.grid, self.num_boxes) <= MAX_TABLE_STATES
        ):
            self._distances = SolutionDistances(self.grid, self.num_boxes)
        return self._distances

    @property
    def built_distances(self) -> SolutionDistances | None:
        """The distance table if it was built already (never builds it)."""
        return self._distances

    @property
    def player_on_target(self) -> bool:
        return bool(self.grid.targets >> self.player & 1)

    def render(self) -> str:
        return self.grid.render_text(self.player, self.boxes)

    def is_dead(self) -> bool:
        """No solution of at most ``search_depth`` actions (the reference's BFS test)."""
        table = self.distances
        if table is not None:
            distance = table.distance(self.player, self.boxes)
            # Distance 0 = solved: the reference BFS also returns [] there.
            return distance is None or distance == 0 or distance > self.search_depth
        if self.boxes & self.grid.dead_cells:
            return True  # a box that can never reach a target: no search needed
        return not bfs_solution(self.grid, self.player, self.boxes, self.search_depth)

    def step(self, action: int) -> StepOutcome:
        """Apply one primitive action: 0 no-op, 1 up, 2 down, 3 left, 4 right."""
        if action == NOOP:
            return StepOutcome(STEP_PENALTY, False, False, False, False, False, False)
        if action not in (1, 2, 3, 4):
            raise ValueError(f"primitive Sokoban actions are 0..4, got {action!r}")
        grid = self.grid
        self.num_env_steps += 1
        table = grid.neighbours[action]
        step_to = table[self.player]
        moved = False
        if step_to >= 0:
            if self.boxes >> step_to & 1:
                push_to = table[step_to]
                if push_to >= 0 and not self.boxes >> push_to & 1:
                    self.boxes ^= (1 << step_to) | (1 << push_to)
                    self.player = step_to
                    moved = True
            else:
                self.player = step_to
                moved = True

        # The reference counts uncovered targets, and a player standing on a target hides it.
        player_on_target = grid.targets >> self.player & 1
        empty_targets = (grid.targets & ~self.boxes).bit_count() - player_on_target
        uncovered = empty_targets + player_on_target
        covered = self.num_boxes - uncovered
        reward = STEP_PENALTY
        if covered > self.boxes_on_target:
            reward += BOX_ON_TARGET_REWARD
        elif covered < self.boxes_on_target:
            reward -= BOX_ON_TARGET_REWARD
        all_on_target = empty_targets == 0 and not player_on_target
        if all_on_target:
            reward += ALL_BOXES_REWARD
        self.boxes_on_target = covered

        max_steps_reached = self.num_env_steps == self.max_steps
        done = all_on_target or max_steps_reached
        dead = False
        if not done and self.is_dead():
            dead = done = True
        return StepOutcome(
            reward=reward,
            done=done,
            won=covered == self.num_boxes,
            action_is_effective=moved,
            all_boxes_on_target=all_on_target,
            max_steps_reached=max_steps_reached,
            dead_state=dead,
        )
