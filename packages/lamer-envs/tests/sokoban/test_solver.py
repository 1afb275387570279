"""The distance table and the reference BFS agree on every state a random policy visits."""

from __future__ import annotations

import numpy as np
import pytest

from lamer_envs.sokoban import SokobanRoom, bfs_solution, generate_task
from lamer_envs.sokoban.solver import SolutionDistances, shortest_solution_length


@pytest.mark.parametrize(
    ("dim_room", "num_boxes", "num_rooms"), [((6, 6), 2, 25), ((6, 6), 1, 25), ((7, 7), 3, 4)]
)
def test_dead_state_decisions_match_the_per_step_bfs(
    dim_room: tuple, num_boxes: int, num_rooms: int
) -> None:
    rng = np.random.default_rng(7)
    states = 0
    dead = 0
    for _ in range(num_rooms):
        task = generate_task(rng, dim_room, num_boxes)
        table = SolutionDistances(task.grid, num_boxes)
        for search_depth in (100, 6):
            room = SokobanRoom(task.grid, task.player, task.boxes, search_depth=search_depth)
            for _ in range(30):
                room.step(int(rng.integers(1, 5)))
                path = bfs_solution(room.grid, room.player, room.boxes, search_depth)
                distance = table.distance(room.player, room.boxes)
                by_table = distance is None or distance == 0 or distance > search_depth
                assert by_table == (not path)
                assert room.is_dead() == (not path)
                if room.boxes & room.grid.dead_cells:
                    assert distance is None  # a box on a dead cell: truly unsolvable
                if path:
                    assert distance == len(path)
                    assert shortest_solution_length(
                        room.grid, room.player, room.boxes, search_depth
                    ) == len(path)
                states += 1
                dead += not path
    assert states >= 60 * num_rooms and 0 < dead < states


def test_solution_replay_solves_the_room() -> None:
    task = generate_task(np.random.default_rng(3))
    room = SokobanRoom(task.grid, task.player, task.boxes)
    path = bfs_solution(task.grid, task.player, task.boxes)
    assert len(path) == task.solution_length
    outcomes = [room.step(action) for action in path]
    assert outcomes[-1].won and outcomes[-1].done
    assert not any(o.done for o in outcomes[:-1])


def test_a_lone_box_on_a_dead_cell_is_unsolvable_and_targets_are_live() -> None:
    checked = 0
    for seed in range(5):
        grid = generate_task(np.random.default_rng(seed), (7, 7), 1).grid
        table = SolutionDistances(grid, 1)
        assert not grid.dead_cells & grid.targets
        for cell in grid.floor_cells():
            if grid.dead_cells >> cell & 1:
                checked += 1
                assert all(
                    table.distance(player, 1 << cell) is None
                    for player in grid.floor_cells()
                    if player != cell
                )
    assert checked > 0
