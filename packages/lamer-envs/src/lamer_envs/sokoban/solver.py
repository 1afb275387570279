"""Exact shortest solutions of Sokoban states (moves + pushes, each action costs 1).

Two tools answer the same question in different shapes:

- :func:`bfs_solution` — the reference's breadth-first search from one state, returning
  its (unique) first shortest action sequence; used by tests and data generation.
- :class:`SolutionDistances` — one backward search from every solved state of a room,
  giving the exact distance-to-solved of every state at once. The env asks it, after
  every step, whether the new state is dead ("no solution within ``search_depth``",
  the reference's rule) in O(1) instead of re-running a BFS per step.

Both treat a wall bump or a blocked push as no move at all (the reference's BFS skips
them), so they agree: ``len(bfs_solution(s, d)) == distance(s)`` whenever that is <= d.
The forward searches never push a box onto a dead cell (:attr:`SokobanGrid.dead_cells`):
such states cannot lead to a solution, so results are unchanged and searches shrink.
"""

from __future__ import annotations

from collections import deque
from itertools import combinations
from math import comb

from lamer_envs.sokoban.grid import SokobanGrid

#: Above this many states per room, :class:`SolutionDistances` is not built and the env
#: falls back to a forward BFS per step (big rooms of the harder variants).
MAX_TABLE_STATES = 400_000


def _encode(grid: SokobanGrid, player: int, boxes: int) -> int:
    return boxes * grid.num_cells + player


def bfs_solution(grid: SokobanGrid, player: int, boxes: int, max_depth: int = 100) -> list[int]:
    """The reference's BFS: shortest action list (1..4) that puts every box on a target.

    Expands up, down, left, right in that order, so among equally short solutions the
    one returned is the reference's. Returns ``[]`` when the state is already solved or
    has no solution of length ``<= max_depth`` (the reference's "dead" signal).
    """
    targets = grid.targets
    dead = grid.dead_cells
    if boxes & dead:
        return []
    neighbours = grid.neighbours
    num_cells = grid.num_cells
    start = _encode(grid, player, boxes)
    parent: dict[int, tuple[int, int]] = {start: (-1, 0)}
    depth_of = {start: 0}
    queue = deque([start])
    while queue:
        key = queue.popleft()
        depth = depth_of[key]
        if depth > max_depth:
            return []
        boxes_now, player_now = divmod(key, num_cells)
        if not boxes_now & ~targets:
            path = []
            while parent[key][0] != -1:
                key, action = parent[key]
                path.append(action)
            return path[::-1]
        for action in (1, 2, 3, 4):
            table = neighbours[action]
            step_to = table[player_now]
            if step_to < 0:
                continue
            new_boxes = boxes_now
            if boxes_now >> step_to & 1:
                push_to = table[step_to]
                if push_to < 0 or (boxes_now | dead) >> push_to & 1:
                    continue  # blocked, or the box would be stuck for good
                new_boxes = boxes_now ^ (1 << step_to) ^ (1 << push_to)
            child = new_boxes * num_cells + step_to
            if child not in parent:
                parent[child] = (key, action)
                depth_of[child] = depth + 1
                queue.append(child)
    return []


def shortest_solution_length(
    grid: SokobanGrid, player: int, boxes: int, max_depth: int = 100
) -> int:
    """``len(bfs_solution(...))`` without building the path (0: solved or no solution).

    Level-by-level BFS that stops as soon as a solved state is generated, one level
    earlier than testing states when they are dequeued.
    """
    targets = grid.targets
    dead = grid.dead_cells
    if not boxes & ~targets or boxes & dead:
        return 0
    neighbours = grid.neighbours
    num_cells = grid.num_cells
    start = boxes * num_cells + player
    seen = {start}
    frontier = [start]
    depth = 0
    while frontier and depth < max_depth:
        depth += 1
        next_frontier = []
        for key in frontier:
            boxes_now, player_now = divmod(key, num_cells)
            for action in (1, 2, 3, 4):
                table = neighbours[action]
                step_to = table[player_now]
                if step_to < 0:
                    continue
                if boxes_now >> step_to & 1:
                    push_to = table[step_to]
                    if push_to < 0 or (boxes_now | dead) >> push_to & 1:
                        continue  # blocked, or the box would be stuck for good
                    new_boxes = boxes_now ^ (1 << step_to) ^ (1 << push_to)
                    if not new_boxes & ~targets:
                        return depth
                    child = new_boxes * num_cells + step_to
                else:
                    child = key - player_now + step_to
                if child not in seen:
                    seen.add(child)
                    next_frontier.append(child)
        frontier = next_frontier
    return 0


def estimated_state_count(grid: SokobanGrid, num_boxes: int) -> int:
    """Upper bound on the states of a room: player cell x box placements."""
    floor = len(grid.floor_cells())
    return floor * comb(max(floor - 1, 0), num_boxes)


class SolutionDistances:
    """Distance-to-solved of every state of one room (backward BFS from solved states).

    A solved state has every box on a target. When the room has more targets than
    boxes, every way of filling ``num_boxes`` targets counts as solved (the reference's
    "no box off target" test).
    """

    __slots__ = ("_distance", "grid")

    def __init__(self, grid: SokobanGrid, num_boxes: int) -> None:
        self.grid = grid
        num_cells = grid.num_cells
        neighbours = grid.neighbours
        opposite = (0, 2, 1, 4, 3)
        floor = grid.floor_cells()
        target_cells = [i for i in floor if grid.targets >> i & 1]
        distance: dict[int, int] = {}
        queue: deque[int] = deque()
        for chosen in combinations(target_cells, num_boxes):
            boxes = sum(1 << i for i in chosen)
            for player in floor:
                if not boxes >> player & 1:
                    key = boxes * num_cells + player
                    distance[key] = 0
                    queue.append(key)
        # For each cell the player can stand on after a move: (where it came from, the
        # cell ahead of it in the move's direction) per move that reaches it.
        arrivals: list[tuple[tuple[int, int], ...]] = [()] * num_cells
        for cell in floor:
            arrivals[cell] = tuple(
                (neighbours[opposite[action]][cell], neighbours[action][cell])
                for action in (1, 2, 3, 4)
                if neighbours[opposite[action]][cell] >= 0
            )
        while queue:
            key = queue.popleft()
            next_distance = distance[key] + 1
            boxes, player = divmod(key, num_cells)
            for came_from, ahead in arrivals[player]:
                if boxes >> came_from & 1:
                    continue
                # The predecessor stood on `came_from` and walked onto `player` ...
                plain = key - player + came_from
                if plain not in distance:
                    distance[plain] = next_distance
                    queue.append(plain)
                # ... or it pushed a box from `player` to the cell ahead.
                if ahead >= 0 and boxes >> ahead & 1:
                    pushed = (boxes ^ (1 << ahead) ^ (1 << player)) * num_cells + came_from
                    if pushed not in distance:
                        distance[pushed] = next_distance
                        queue.append(pushed)
        self._distance = distance

    def distance(self, player: int, boxes: int) -> int | None:
        """Shortest number of actions to a solved state, ``None`` if unsolvable."""
        return self._distance.get(boxes * self.grid.num_cells + player)

    def __len__(self) -> int:
        return len(self._distance)
