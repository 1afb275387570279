"""Expert planner: a short command sequence that solves the task from the current state.

The expert knows the true state (like ALFWorld's PDDL expert). For each way to do the
task (which object, which appliance, which destination; for two-object tasks, which
pair in which order) it writes the commands, tracking the agent's location and open
doors, and keeps the shortest; ties go to the first in listing order. If the agent is
holding something useless it first puts it down. :func:`solve` replays a plan in a
fresh engine and cuts it at the winning step, so a plan it returns is verified.
"""

from __future__ import annotations

from itertools import permutations

from lamer_envs.alfworld.scene import Game
from lamer_envs.alfworld.simulator import Simulator
from lamer_envs.alfworld.tasks import TaskType

_TREATMENT = {
    TaskType.PICK_CLEAN_THEN_PLACE: ("clean", "SinkBasin"),
    TaskType.PICK_HEAT_THEN_PLACE: ("heat", "Microwave"),
    TaskType.PICK_COOL_THEN_PLACE: ("cool", "Fridge"),
}


class _Route:
    """Commands written so far, with the agent location and open doors they lead to."""

    def __init__(self, scene_receptacles, location: str, opened: set[int]) -> None:
        self.receptacles = scene_receptacles
        self.location = location
        self.opened = set(opened)
        self.commands: list[str] = []

    def copy(self) -> _Route:
        route = _Route(self.receptacles, self.location, self.opened)
        route.commands = list(self.commands)
        return route

    def visit(self, receptacle: int) -> None:
        """Walk to the receptacle (no-op when already at its location)."""
        target = self.receptacles[receptacle]
        if target.location != self.location:
            self.commands.append(f"go to {target.name}")
            self.location = target.location

    def reach(self, receptacle: int) -> None:
        """Walk to the receptacle and open it if needed, so its contents can be used."""
        self.visit(receptacle)
        target = self.receptacles[receptacle]
        if target.openable and receptacle not in self.opened:
            self.commands.append(f"open {target.name}")
            self.opened.add(receptacle)


def plan(simulator: Simulator) -> list[str]:
    """A shortest expert plan (over the strategies above) from the simulator's state.

    Returns ``[]`` when the game is over. Raises ``ValueError`` when the scene offers no
    way to do the task (generated scenes never do: they are checked with :func:`solve`).
    """
    if simulator.done:
        return []
    scene, task = simulator.game.scene, simulator.task
    receptacles, items = scene.receptacles, scene.items
    target = task.object_target
    route = _Route(
        receptacles,
        simulator.location,
        {i for i, is_open in enumerate(simulator.opened) if is_open},
    )
    places = list(simulator.places)
    held = simulator.holding
    if held >= 0 and items[held].type != target:
        _put_down(simulator, route, held, places)
        held = -1

    def fetch(route: _Route, item: int) -> None:
        if item == held:
            return
        route.reach(places[item])
        route.commands.append(f"take {items[item].name} from {receptacles[places[item]].name}")

    def place(route: _Route, item: int, destination: int) -> None:
        route.reach(destination)
        route.commands.append(f"move {items[item].name} to {receptacles[destination].name}")

    candidates = [i for i, item in enumerate(items) if item.type == target and item.pickupable]
    destinations = [
        r
        for r, receptacle in enumerate(receptacles)
        if receptacle.type == task.parent_target
        and target in scene.can_contain.get(receptacle.type, ())
    ]
    best: list[str] | None = None

    def consider(candidate_route: _Route) -> None:
        nonlocal best
        if best is None or len(candidate_route.commands) < len(best):
            best = candidate_route.commands

    if task.task_type is TaskType.LOOK_AT_OBJ_IN_LIGHT:
        lamps = [
            i
            for i, item in enumerate(items)
            if item.type == task.toggle_target and item.toggleable and places[i] >= 0
        ]
        for item in candidates:
            for lamp in lamps:
                attempt = route.copy()
                fetch(attempt, item)
                attempt.visit(places[lamp])
                if not simulator.toggled[lamp]:
                    attempt.commands.append(f"use {items[lamp].name}")
                consider(attempt)
    elif task.task_type is TaskType.PICK_TWO_OBJ_AND_PLACE:
        for destination in destinations:
            already = [i for i in candidates if places[i] == destination]
            movable = [i for i in candidates if places[i] != destination]
            needed = max(0, 2 - len(already))
            for chosen in permutations(movable, needed):
                if held >= 0 and held in chosen and chosen[0] != held:
                    continue  # the held object must go first
                attempt = route.copy()
                for item in chosen:
                    fetch(attempt, item)
                    place(attempt, item, destination)
                consider(attempt)
    else:
        treatment = _TREATMENT.get(task.task_type)
        flags = {
            TaskType.PICK_CLEAN_THEN_PLACE: simulator.clean,
            TaskType.PICK_HEAT_THEN_PLACE: simulator.hot,
            TaskType.PICK_COOL_THEN_PLACE: simulator.cool,
        }.get(task.task_type)
        appliances = (
            [r for r, receptacle in enumerate(receptacles) if receptacle.type == treatment[1]]
            if treatment
            else [-1]
        )
        for item in candidates:
            for destination in destinations:
                for appliance in appliances:
                    attempt = route.copy()
                    fetch(attempt, item)
                    if treatment and not (flags is not None and flags[item]):
                        attempt.visit(appliance)
                        attempt.commands.append(
                            f"{treatment[0]} {items[item].name} with {receptacles[appliance].name}"
                        )
                    place(attempt, item, destination)
                    consider(attempt)
    if best is None:
        raise ValueError(f"no plan for {task.text!r} in this scene")
    return best


def _put_down(simulator: Simulator, route: _Route, held: int, places: list[int]) -> None:
    """Put the held (useless) object into the cheapest receptacle that accepts it."""
    scene = simulator.game.scene
    held_item = scene.items[held]
    options = []
    for r, receptacle in enumerate(scene.receptacles):
        if held_item.type in scene.can_contain.get(receptacle.type, ()):
            attempt = route.copy()
            attempt.reach(r)
            options.append((len(attempt.commands), r, attempt))
    if not options:
        raise ValueError(f"nowhere to put down {held_item.name}")
    _, receptacle, attempt = min(options, key=lambda option: option[:2])
    attempt.commands.append(f"move {held_item.name} to {scene.receptacles[receptacle].name}")
    route.location, route.opened, route.commands = (
        attempt.location,
        attempt.opened,
        attempt.commands,
    )
    places[held] = receptacle


def solve(game: Game, max_steps: int | None = None) -> list[str] | None:
    """The expert plan from the start, replayed in a fresh engine and cut at the winning
    step; ``None`` when it does not win (within ``max_steps`` when given)."""
    simulator = Simulator(game)
    try:
        commands = plan(simulator)
    except ValueError:
        return None
    for count, command in enumerate(commands, start=1):
        outcome = simulator.step(command)
        if not outcome.valid:
            return None
        if outcome.won:
            return commands[:count] if max_steps is None or count <= max_steps else None
    return None
