"""The built-in ALFWorld engine: state, preconditions, effects, feedback, admissible commands.

It reproduces ALFWorld 0.4.2's text game (PDDL domain + TextWorld grammar) on a
:class:`~lamer_envs.alfworld.scene.Game`: given the same scene, every observation,
admissible-command list, score and done flag matches the real engine (checked against
the golden transcripts). Rules, in short (*here* = a receptacle at the agent's location):

====================  ===========================================================
command               valid when
====================  ===========================================================
look, inventory, help always
go to R               R's location is not the agent's location
open R / close R      R here, openable, closed / open
take O from R         R here and open (or not openable), O in R and pickupable,
                      hands empty
move O to R           holding O, R here and open (or not openable), R's type
                      accepts O's type
examine R             R here
examine O             holding O
use O                 O toggleable and in a receptacle here
heat/cool/clean O     holding O, O heatable/coolable/cleanable, R a Microwave /
  with R              Fridge / SinkBasin here (open or closed)
slice O with K        holding a Knife/ButterKnife K, O sliceable and in a
                      receptacle here
====================  ===========================================================

A command is matched exactly after stripping surrounding whitespace; anything else
reads ``Nothing happens.`` and changes nothing (the step still counts). The set of
valid commands *is* the admissible list, so one table drives both.
"""

from __future__ import annotations

import hashlib
from bisect import insort
from typing import NamedTuple

from lamer_envs.alfworld import feedback
from lamer_envs.alfworld.scene import Game
from lamer_envs.alfworld.tasks import TaskType

# Action opcodes of the command table: (opcode, first index, second index).
_LOOK, _INVENTORY, _HELP = 0, 1, 2
_GOTO, _OPEN, _CLOSE, _TAKE, _MOVE = 3, 4, 5, 6, 7
_EXAMINE_RECEPTACLE, _EXAMINE_ITEM, _USE = 8, 9, 10
_HEAT, _COOL, _CLEAN, _SLICE = 11, 12, 13, 14

#: Commands that never change the state (the command table stays valid after them).
_READ_ONLY = frozenset({_LOOK, _INVENTORY, _HELP, _EXAMINE_RECEPTACLE, _EXAMINE_ITEM})

_APPLIANCE_OF = {_HEAT: "Microwave", _COOL: "Fridge", _CLEAN: "SinkBasin"}
_KNIFE_TYPES = frozenset({"Knife", "ButterKnife"})

Action = tuple[int, int, int]


class StepOutcome(NamedTuple):
    """What one command did."""

    observation: str
    score: int
    """1 once the goal holds (the step that wins and every step after), else 0."""
    won: bool
    done: bool
    valid: bool
    """The command was admissible in the state it was sent in."""


class Simulator:
    """One ALFWorld game in play. Plain attributes only, so it pickles and copies."""

    def __init__(self, game: Game, max_steps: int | None = None) -> None:
        """``max_steps``: commands allowed before the game ends lost (``None``: no limit)."""
        self.game = game
        self.max_steps = max_steps
        scene, task = game.scene, game.task
        receptacles, items = scene.receptacles, scene.items

        self._receptacle_names = [r.name for r in receptacles]
        self._receptacle_types = [r.type for r in receptacles]
        self._receptacle_locations = [r.location for r in receptacles]
        self._openable = [r.openable for r in receptacles]
        self._receptacles_at: dict[str, list[int]] = {}
        for index, receptacle in enumerate(receptacles):
            self._receptacles_at.setdefault(receptacle.location, []).append(index)
        receptacle_index = {name: index for index, name in enumerate(self._receptacle_names)}

        self._item_names = [i.name for i in items]
        self._item_types = [i.type for i in items]
        self._pickupable = [i.pickupable for i in items]
        self._receptacle_object = [i.receptacle_object for i in items]
        self._toggleable = [i.toggleable for i in items]
        self._sliceable = [i.sliceable for i in items]
        self._is_knife = [i.type in _KNIFE_TYPES for i in items]
        self._treatable = {
            _HEAT: [i.heatable for i in items],
            _COOL: [i.coolable for i in items],
            _CLEAN: [i.cleanable for i in items],
        }
        self._start_places = [receptacle_index[i.receptacle] for i in items]
        self._start_flags = [(i.hot, i.cool, i.clean, i.sliced, i.toggled) for i in items]
        self._fits = [
            [item_type in scene.can_contain.get(rtype, ()) for item_type in self._item_types]
            for rtype in self._receptacle_types
        ]

        self.task = task
        self.intro = feedback.INTRO.format(
            receptacles=feedback.list_with_articles(self._receptacle_names), task=task.text
        )
        self._goal_receptacles = [
            index
            for index, rtype in enumerate(self._receptacle_types)
            if rtype == task.parent_target
        ]
        self._goto_tables: dict[str, dict[str, Action]] = {}
        self._fingerprint = hashlib.blake2b(
            repr(
                (game.game_id, self._receptacle_names, self._item_names, self._start_places)
            ).encode(),
            digest_size=8,
        ).hexdigest()
        self.reset()

    # -- state ----------------------------------------------------------------------------

    def reset(self) -> str:
        """Restore the initial state; returns the intro text."""
        self.location = self.game.scene.agent_start_location
        self.holding = -1
        self.places = list(self._start_places)
        """Receptacle index of each item; -1 while held."""
        self.contents: list[list[int]] = [[] for _ in self._receptacle_names]
        for item, place in enumerate(self.places):
            self.contents[place].append(item)  # items are in listing order already
        self.opened = [False] * len(self._receptacle_names)
        self.hot, self.cool, self.clean, self.sliced, self.toggled = (
            (list(flags) for flags in zip(*self._start_flags, strict=True))
            if self._start_flags
            else ([], [], [], [], [])
        )
        self.steps = 0
        self.won = False
        self.done = False
        self.last_observation = self.intro
        self._actions: dict[str, Action] | None = None
        return self.intro

    def state_key(self) -> str:
        """Key of the raw state (location, hands, places, open doors, object flags):
        equal states give equal keys, in any process."""
        raw = "|".join(
            (
                self.location,
                str(self.holding),
                ",".join(map(str, self.places)),
                "".join("1" if flag else "0" for flag in self.opened),
                "".join(
                    chr(65 + hot + 2 * cool + 4 * clean + 8 * sliced + 16 * toggled)
                    for hot, cool, clean, sliced, toggled in zip(
                        self.hot, self.cool, self.clean, self.sliced, self.toggled, strict=True
                    )
                ),
            )
        )
        return self._fingerprint + hashlib.blake2b(raw.encode(), digest_size=8).hexdigest()

    @property
    def game_id(self) -> str:
        return self.game.game_id

    @property
    def held_item(self) -> str | None:
        return self._item_names[self.holding] if self.holding >= 0 else None

    # -- commands -------------------------------------------------------------------------

    def admissible_commands(self) -> list[str]:
        """Every valid command in the current state, sorted by code point."""
        return sorted(self._command_table())

    def step(self, command: str) -> StepOutcome:
        """Run one command (exact match after stripping whitespace)."""
        if self.done:
            # The engine ignores commands once the game is over and repeats itself.
            return StepOutcome(self.last_observation, int(self.won), self.won, True, False)
        self.steps += 1
        action = self._command_table().get(command.strip())
        if action is None:
            observation = feedback.NOTHING_HAPPENS
        else:
            observation = self._apply(action)
            if action[0] not in _READ_ONLY:
                self._actions = None
                self.won = self._goal_satisfied()
        self.done = self.won or (self.max_steps is not None and self.steps >= self.max_steps)
        self.last_observation = observation
        return StepOutcome(observation, int(self.won), self.won, self.done, action is not None)

    def _command_table(self) -> dict[str, Action]:
        if self._actions is None:
            self._actions = self._build_command_table()
        return self._actions

    def _goto_table(self, location: str) -> dict[str, Action]:
        table = self._goto_tables.get(location)
        if table is None:
            table = {
                f"go to {name}": (_GOTO, index, 0)
                for index, name in enumerate(self._receptacle_names)
                if self._receptacle_locations[index] != location
            }
            self._goto_tables[location] = table
        return table

    def _build_command_table(self) -> dict[str, Action]:
        table: dict[str, Action] = {
            "look": (_LOOK, 0, 0),
            "inventory": (_INVENTORY, 0, 0),
            "help": (_HELP, 0, 0),
        }
        table.update(self._goto_table(self.location))
        held = self.holding
        item_names = self._item_names
        for receptacle in self._receptacles_at.get(self.location, ()):
            name = self._receptacle_names[receptacle]
            table[f"examine {name}"] = (_EXAMINE_RECEPTACLE, receptacle, 0)
            reachable = True
            if self._openable[receptacle]:
                if self.opened[receptacle]:
                    table[f"close {name}"] = (_CLOSE, receptacle, 0)
                else:
                    table[f"open {name}"] = (_OPEN, receptacle, 0)
                    reachable = False
            contents = self.contents[receptacle]
            if held < 0:
                if reachable:
                    for item in contents:
                        if self._pickupable[item]:
                            table[f"take {item_names[item]} from {name}"] = (
                                _TAKE,
                                item,
                                receptacle,
                            )
            else:
                held_name = item_names[held]
                if reachable and self._fits[receptacle][held]:
                    table[f"move {held_name} to {name}"] = (_MOVE, held, receptacle)
                receptacle_type = self._receptacle_types[receptacle]
                for opcode, appliance in _APPLIANCE_OF.items():
                    if receptacle_type == appliance and self._treatable[opcode][held]:
                        verb = ("heat", "cool", "clean")[opcode - _HEAT]
                        table[f"{verb} {held_name} with {name}"] = (opcode, held, receptacle)
                if self._is_knife[held]:
                    for item in contents:
                        if self._sliceable[item]:
                            table[f"slice {item_names[item]} with {held_name}"] = (
                                _SLICE,
                                item,
                                held,
                            )
            for item in contents:
                if self._toggleable[item]:
                    table[f"use {item_names[item]}"] = (_USE, item, receptacle)
        if held >= 0:
            table[f"examine {item_names[held]}"] = (_EXAMINE_ITEM, held, 0)
        return table

    def _describe(self, receptacle: int) -> str:
        return feedback.describe_receptacle(
            self._receptacle_names[receptacle],
            self._openable[receptacle],
            self.opened[receptacle],
            [self._item_names[item] for item in self.contents[receptacle]],
        )

    def _apply(self, action: Action) -> str:
        opcode, first, second = action
        names, item_names = self._receptacle_names, self._item_names
        if opcode == _GOTO:
            self.location = self._receptacle_locations[first]
            return f"You arrive at {names[first]}. {self._describe(first)}"
        if opcode == _TAKE:
            self.contents[second].remove(first)
            self.places[first] = -1
            self.holding = first
            return f"You pick up the {item_names[first]} from the {names[second]}."
        if opcode == _MOVE:
            insort(self.contents[second], first)
            self.places[first] = second
            self.holding = -1
            return f"You move the {item_names[first]} to the {names[second]}."
        if opcode == _OPEN:
            self.opened[first] = True
            return f"You open the {names[first]}. {self._describe(first)}"
        if opcode == _CLOSE:
            self.opened[first] = False
            return f"You close the {names[first]}."
        if opcode == _LOOK:
            return feedback.describe_location(
                [names[r] for r in self._receptacles_at.get(self.location, ())]
            )
        if opcode == _INVENTORY:
            return feedback.describe_inventory(self.held_item)
        if opcode == _EXAMINE_RECEPTACLE:
            return self._describe(first)
        if opcode == _EXAMINE_ITEM:
            return feedback.describe_item(
                item_names[first],
                receptacle_object=self._receptacle_object[first],
                hot=self.hot[first],
                cool=self.cool[first],
                clean=self.clean[first],
                sliced=self.sliced[first],
            )
        if opcode == _USE:
            # The engine only checks "has been toggled": every use reads "turn on".
            self.toggled[first] = True
            return f"You turn on the {item_names[first]}."
        if opcode == _HEAT:
            self.hot[first], self.cool[first] = True, False
            return f"You heat the {item_names[first]} using the {names[second]}."
        if opcode == _COOL:
            self.cool[first], self.hot[first] = True, False
            return f"You cool the {item_names[first]} using the {names[second]}."
        if opcode == _CLEAN:
            self.clean[first] = True
            return f"You clean the {item_names[first]} using the {names[second]}."
        if opcode == _SLICE:
            self.sliced[first] = True
            return f"You sliced the {item_names[first]} with the {item_names[second]}."
        if opcode == _HELP:
            return feedback.HELP
        raise AssertionError(f"unknown opcode {opcode}")  # the command table only holds known ones

    # -- goal -----------------------------------------------------------------------------

    def _goal_satisfied(self) -> bool:
        task = self.task
        target = task.object_target
        item_types = self._item_types
        if task.task_type is TaskType.LOOK_AT_OBJ_IN_LIGHT:
            if self.holding < 0 or item_types[self.holding] != target:
                return False
            return any(
                self.toggled[item] and item_types[item] == task.toggle_target
                for receptacle in self._receptacles_at.get(self.location, ())
                for item in self.contents[receptacle]
            )
        flag = {
            TaskType.PICK_CLEAN_THEN_PLACE: self.clean,
            TaskType.PICK_HEAT_THEN_PLACE: self.hot,
            TaskType.PICK_COOL_THEN_PLACE: self.cool,
        }.get(task.task_type)
        needed = 2 if task.task_type is TaskType.PICK_TWO_OBJ_AND_PLACE else 1
        for receptacle in self._goal_receptacles:
            count = sum(
                1
                for item in self.contents[receptacle]
                if item_types[item] == target and (flag is None or flag[item])
            )
            if count >= needed:
                return True
        return False
