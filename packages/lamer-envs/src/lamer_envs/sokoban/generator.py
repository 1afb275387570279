"""Room generation as in gym-sokoban with the changes LaMer's reference made.

One attempt (:func:`generate_room`):

1. topology: a random walk carves floor out of a walled ``rows x cols`` box, stamping
   one of five small masks at every step (``num_gen_steps`` steps, direction changes
   with probability ``p_change_directions``);
2. the player and ``num_boxes`` targets are placed on random floor cells;
3. reverse play: a depth-limited depth-first search in which every player move also
   *pulls* the box behind it, starting from the solved state. The kept state maximises
   ``box swaps x total box displacement`` among states with no box on a target and the
   player off the targets (first best in search order);
4. the player wanders 0..3 random steps (never back onto a cell it visited).

The topology/reverse play is retried (``tries`` times) when no box moved.
:func:`generate_task` then repeats attempts until the BFS-shortest solution length lies
in ``[min_steps, max_sol_steps]`` (at most ``max_env_attempts`` rooms, else the last).

Every random draw comes from one :class:`numpy.random.Generator`, so a seed fixes the
room in any process. The reference draws from Python's and numpy's global generators in
another order, so rooms are not bit-identical to it; the task distribution is the same
(see the generation-statistics test).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from lamer_envs.sokoban.grid import SokobanGrid
from lamer_envs.sokoban.solver import (
    MAX_TABLE_STATES,
    SolutionDistances,
    estimated_state_count,
    shortest_solution_length,
)

#: Stamps of the topology walk (1 = carve), centred on the walker.
_MASKS = (
    ((0, 0, 0), (1, 1, 1), (0, 0, 0)),
    ((0, 1, 0), (0, 1, 0), (0, 1, 0)),
    ((0, 0, 0), (1, 1, 0), (0, 1, 0)),
    ((0, 0, 0), (1, 1, 0), (1, 1, 0)),
    ((0, 0, 0), (0, 1, 1), (0, 1, 0)),
)
#: The carved cells of each mask as (row, col) offsets from the walker.
_MASK_CELLS = tuple(
    tuple((r - 1, c - 1) for r in range(3) for c in range(3) if mask[r][c]) for mask in _MASKS
)
_WALK_DIRECTIONS = ((1, 0), (0, 1), (-1, 0), (0, -1))
#: Explored-state cap of the reverse play (the reference's).
MAX_REVERSE_STATES = 300_000


class _Uniforms:
    """Uniform draws handed out one by one from blocks of one ``rng.random`` call each.

    A scalar ``Generator`` call costs microseconds; a generation attempt needs ~70 draws.
    """

    __slots__ = ("_block", "_rng")

    def __init__(self, rng: np.random.Generator) -> None:
        self._rng = rng
        self._block: list[float] = []

    def random(self) -> float:
        if not self._block:
            self._block = self._rng.random(128).tolist()[::-1]
        return self._block.pop()

    def below(self, count: int) -> int:
        """A uniform int in ``0 .. count - 1``."""
        return int(self.random() * count)


class GenerationError(RuntimeError):
    """One attempt could not produce a room (too little floor, or no box moved)."""


@dataclass(slots=True)
class GeneratedRoom:
    """A room ready to play: fixed grid, start state and its shortest solution length."""

    grid: SokobanGrid
    player: int
    boxes: int
    solution_length: int
    """BFS-shortest solution length (0 if unsolvable within the search depth)."""
    attempts: int
    """Rooms generated until this one was accepted."""
    distances: SolutionDistances | None = None
    """The room's distance table once something built it (kept to reuse across attempts)."""


def carve_topology(
    draws: _Uniforms, rows: int, cols: int, num_steps: int, p_change_directions: float
) -> list[int]:
    """Flat floor (1) / wall (0) cells carved by a random walk; the border stays wall."""
    level = [0] * (rows * cols)
    direction = _WALK_DIRECTIONS[draws.below(4)]
    row, col = 1 + draws.below(rows - 1), 1 + draws.below(cols - 1)
    for _ in range(num_steps):
        if draws.random() < p_change_directions:
            direction = _WALK_DIRECTIONS[draws.below(4)]
        row = max(min(row + direction[0], rows - 2), 1)
        col = max(min(col + direction[1], cols - 2), 1)
        for d_row, d_col in _MASK_CELLS[draws.below(len(_MASKS))]:
            level[(row + d_row) * cols + col + d_col] = 1
    for index in _border_cells(rows, cols):
        level[index] = 0
    return level


@lru_cache(maxsize=4096)
def _manhattan_from(origin: int, rows: int, cols: int) -> tuple[int, ...]:
    row, col = divmod(origin, cols)
    return tuple(abs(row - c // cols) + abs(col - c % cols) for c in range(rows * cols))


@lru_cache(maxsize=64)
def _border_cells(rows: int, cols: int) -> tuple[int, ...]:
    return tuple(
        r * cols + c
        for r in range(rows)
        for c in range(cols)
        if r in (0, rows - 1) or c in (0, cols - 1)
    )


class _ReversePlay:
    """Depth-first pull-only search from the solved state (reference semantics).

    A state is (player, box cells, which boxes were ever pulled): the reference hashes
    whole grids in which a never-pulled box differs from a pulled one standing on the
    same cell. States are packed into one int for hashing. The reference's recursion
    enters a child only to return at once when the child is explored or out of depth;
    here that test runs before the call.
    """

    def __init__(self, grid: SokobanGrid, origins: tuple[int, ...], depth: int) -> None:
        self.targets = grid.targets
        self.origins = origins
        self.depth = depth
        num_cells = grid.num_cells
        # manhattan[b][cell]: distance of `cell` from box b's origin target.
        self.manhattan = [_manhattan_from(o, grid.rows, grid.cols) for o in origins]
        # moves[cell]: (cell moved to, cell behind) of each action that does not hit a wall.
        up, down, left, right = grid.neighbours[1:]
        moves: list[tuple[tuple[int, int], ...]] = [()] * num_cells
        for cell in grid.floor_cells():
            options = []
            for ahead, behind in ((up, down), (down, up), (left, right), (right, left)):
                if ahead[cell] >= 0:
                    options.append((ahead[cell], behind[cell]))
            moves[cell] = tuple(options)
        self.moves = moves
        self.box_shift = 16  # player indices stay below 2**16
        self.mask_shift = 16 + num_cells
        self.explored: set[int] = set()
        self.best_score = -1
        self.best: tuple[int, tuple[int, ...], int, int] = (-1, origins, 0, 0)

    def run(self, player: int) -> tuple[int, tuple[int, ...], int, int]:
        """``(player, box positions, total displacement, depth)`` of the best state found.

        ``depth`` (moves from the solved state) bounds the best state's solution length:
        replaying its reverse moves forwards solves it.
        """
        boxes = sum(1 << i for i in self.origins)
        if self.depth > 1:
            self._search(player, boxes, self.origins, 0, 0, 0, -1, self.depth - 1)
        return self.best

    def _search(
        self,
        player: int,
        boxes: int,
        positions: tuple[int, ...],
        displacement: int,
        pulled_mask: int,
        swaps: int,
        last_pull: int,
        ttl: int,
    ) -> None:
        # `ttl` is already decremented for this call (the reference's `ttl -= 1`).
        explored = self.explored
        box_shift, mask_shift = self.box_shift, self.mask_shift
        explored.add(player | boxes << box_shift | pulled_mask << mask_shift)
        targets = self.targets
        # Scored only when every target is visibly empty: no box on one, no player on one.
        if not (boxes & targets or targets >> player & 1):
            score = swaps * displacement
            if score > self.best_score:
                self.best_score = score
                self.best = (player, positions, displacement, self.depth - 1 - ttl)
        elif self.best_score < 0:
            self.best_score = 0
            self.best = (player, positions, displacement, self.depth - 1 - ttl)
        child_ttl = ttl - 1
        if child_ttl <= 0:
            return
        for step_to, behind in self.moves[player]:
            if boxes >> step_to & 1:
                continue  # blocked: the state does not change, nothing new to explore
            if len(explored) >= MAX_REVERSE_STATES:
                return
            if behind >= 0 and boxes >> behind & 1:
                index = positions.index(behind)
                new_mask = pulled_mask | (1 << index)
                new_boxes = boxes ^ (1 << behind) ^ (1 << player)
                if step_to | new_boxes << box_shift | new_mask << mask_shift in explored:
                    continue
                distances = self.manhattan[index]
                self._search(
                    step_to,
                    new_boxes,
                    (*positions[:index], player, *positions[index + 1 :]),
                    displacement - distances[behind] + distances[player],
                    new_mask,
                    swaps + (index != last_pull),
                    index,
                    child_ttl,
                )
            elif step_to | boxes << box_shift | pulled_mask << mask_shift not in explored:
                self._search(
                    step_to,
                    boxes,
                    positions,
                    displacement,
                    pulled_mask,
                    swaps,
                    last_pull,
                    child_ttl,
                )


def _wander(
    draws: _Uniforms,
    grid: SokobanGrid,
    player: int,
    boxes: int,
    move_probability: float,
    continue_probability: float = 0.5,
    max_moves: int = 3,
) -> tuple[int, int]:
    """Move the player up to ``max_moves`` random steps onto free cells it has not
    visited; returns ``(player, moves made)``."""
    if draws.random() > move_probability:
        return player, 0
    visited = [player]
    moves = 0
    while moves < max_moves:
        options = [
            cell
            for cell in (grid.neighbours[a][player] for a in (1, 2, 3, 4))
            if cell >= 0 and not boxes >> cell & 1 and cell not in visited
        ]
        if not options:
            break
        player = options[draws.below(len(options))]
        visited.append(player)
        moves += 1
        if moves >= max_moves or draws.random() > continue_probability:
            break
    return player, moves


def generate_room(
    rng: np.random.Generator,
    dim_room: tuple[int, int] = (6, 6),
    num_boxes: int = 2,
    *,
    num_gen_steps: int | None = None,
    p_change_directions: float = 0.35,
    search_depth: int = 100,
    tries: int = 4,
) -> tuple[SokobanGrid, int, int, int]:
    """One generation attempt: ``(grid, player, boxes, solution_bound)``.

    ``solution_bound`` is the length of a known solution (reverse play + wander moves),
    an upper bound on the shortest one. Raises :class:`GenerationError`.
    """
    rows, cols = dim_room
    if num_gen_steps is None:
        num_gen_steps = int(1.7 * (rows + cols))
    draws = _Uniforms(rng)
    for _ in range(tries):
        level = carve_topology(draws, rows, cols, num_gen_steps, p_change_directions)
        floor = [i for i, value in enumerate(level) if value]
        if len(floor) <= num_boxes + 1:
            raise GenerationError(
                f"{len(floor)} floor cells cannot hold a player and {num_boxes} boxes"
            )
        player = floor.pop(draws.below(len(floor)))
        origins = [floor.pop(draws.below(len(floor))) for _ in range(num_boxes)]
        for origin in origins:
            level[origin] = 2
        grid = SokobanGrid.from_flat(rows, cols, level)
        search = _ReversePlay(grid, tuple(sorted(origins)), search_depth)
        player, positions, displacement, depth = search.run(player)
        if displacement > 0:
            break
    else:
        raise GenerationError("reverse play moved no box")
    boxes = sum(1 << i for i in positions)
    move_probability = 0.8 if displacement == 1 else 0.5
    player, wander_moves = _wander(draws, grid, player, boxes, move_probability)
    return grid, player, boxes, depth + wander_moves


def _solution_length(
    grid: SokobanGrid, player: int, boxes: int, num_boxes: int, search_depth: int
) -> tuple[int, SolutionDistances | None]:
    """Shortest solution length (0: none within ``search_depth``), with the room's
    distance table when the room is small enough to build one (cheaper than a BFS
    here, and the env reuses it for its dead-state checks)."""
    if estimated_state_count(grid, num_boxes) > MAX_TABLE_STATES:
        return shortest_solution_length(grid, player, boxes, search_depth), None
    table = SolutionDistances(grid, num_boxes)
    distance = table.distance(player, boxes)
    return (distance if distance is not None and distance <= search_depth else 0), table


def generate_task(
    rng: np.random.Generator,
    dim_room: tuple[int, int] = (6, 6),
    num_boxes: int = 2,
    *,
    search_depth: int = 100,
    min_steps: int = 5,
    max_sol_steps: int = 21,
    max_env_attempts: int = 10,
    num_gen_steps: int | None = None,
    p_change_directions: float = 0.35,
    max_failed_generations: int = 1000,
) -> GeneratedRoom:
    """A room whose shortest solution length lies in ``[min_steps, max_sol_steps]``.

    Failed generations (:class:`GenerationError`) are retried with further draws and do
    not count as attempts. After ``max_env_attempts`` rooms outside the range, the last
    one is returned (as the reference does).
    """
    failures = 0
    attempts = 0
    last: GeneratedRoom | None = None
    while attempts < max_env_attempts:
        try:
            grid, player, boxes, bound = generate_room(
                rng,
                dim_room,
                num_boxes,
                num_gen_steps=num_gen_steps,
                p_change_directions=p_change_directions,
                search_depth=search_depth,
            )
        except GenerationError as error:
            failures += 1
            if failures >= max_failed_generations:
                raise ValueError(
                    f"could not generate a {dim_room} room with {num_boxes} boxes in "
                    f"{failures} tries ({error}); use a larger room or fewer boxes"
                ) from error
            continue
        attempts += 1
        if bound < min_steps and attempts < max_env_attempts:
            continue  # a known solution is already too short: no search needed
        length, table = _solution_length(grid, player, boxes, num_boxes, search_depth)
        last = GeneratedRoom(grid, player, boxes, length, attempts, table)
        if min_steps <= length <= max_sol_steps:
            return last
    assert last is not None
    return last
