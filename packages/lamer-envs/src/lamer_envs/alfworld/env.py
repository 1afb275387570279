"""``lamer/ALFWorld-v0``: ALFWorld household tasks as a LaMer text env.

Defaults follow the paper: ``max_steps`` 30 engine steps, reward 10 on the winning step
(0 otherwise). By default games are generated offline (:mod:`.generator`) from the
seed and the split (:mod:`.splits`: train = in-distribution task types on training
floor plans); ``backend="real"`` plays ALFWorld's own game files instead
(:mod:`.real_backend`, needs ``lamer-envs[alfworld]`` and the ALFWorld data).

Observation: the engine's text (``reset``: the welcome text with the task). Action: a
model response whose command sits in ``<action>...</action>`` (the paper's projection,
see :mod:`.parsing`), or a bare command that is admissible as written.

``info`` carries the protocol keys plus ``admissible_actions`` (sorted list of the
commands valid now), ``action_is_admissible``, ``task``, ``task_type`` and
``game_id``. ``action_is_valid`` follows the paper: the response held a command in
action tags. Such a command that is not admissible reads ``Nothing happens.``, changes
nothing and still uses a step, as in ALFWorld. A response without a command is invalid
(``info["action"] == INVALID_ACTION``), reads ``Nothing happens.``, changes nothing and
also uses a step; the invalid-action penalty is the trainer's (``action_is_valid``),
not a reward here. ``terminated`` = won; ``truncated`` = ``max_steps`` used without
winning. Stepping after the end raises :class:`gymnasium.error.ResetNeeded`.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import gymnasium
import numpy as np
from gymnasium.error import ResetNeeded

from lamer_envs.alfworld.generator import generate_game
from lamer_envs.alfworld.parsing import (
    ACTION_END,
    ACTION_FORMAT,
    ACTION_START,
    MAX_COMMAND_LENGTH,
    RULES,
    normalize_command,
    project_response,
    thought_of,
)
from lamer_envs.alfworld.planner import plan
from lamer_envs.alfworld.scene import Game, RecordError, game_from_record
from lamer_envs.alfworld.simulator import Simulator
from lamer_envs.alfworld.splits import (
    DEFAULT_IN_DISTRIBUTION,
    DEFAULT_OUT_OF_DISTRIBUTION,
    Split,
    make_split,
)
from lamer_envs.alfworld.tasks import TaskType
from lamer_envs.protocol import (
    ACTION,
    ACTION_IS_VALID,
    ANCHOR,
    INVALID_ACTION,
    WON,
    ParsedAction,
    text_space,
)

ADMISSIBLE_ACTIONS = "admissible_actions"
"""info key: sorted list of the commands valid in the current state."""

_GAME_CACHE_SIZE = 64


class ALFWorldEnv(gymnasium.Env[str, str]):
    """ALFWorld as a text env (see the module docstring)."""

    metadata: ClassVar[dict[str, Any]] = {"render_modes": ["ansi"]}

    def __init__(
        self,
        split: str = "train",
        in_distribution: Sequence[TaskType | int | str] = DEFAULT_IN_DISTRIBUTION,
        out_of_distribution: Sequence[TaskType | int | str] = DEFAULT_OUT_OF_DISTRIBUTION,
        max_steps: int = 30,
        win_reward: float = 10.0,
        backend: str = "builtin",
        data_path: str | None = None,
        games: Sequence[Game | Mapping[str, Any]] | None = None,
        anchor: str = "state",
        render_mode: str | None = None,
    ) -> None:
        """
        Args:
            split: which games ``reset(seed)`` draws (:func:`.splits.make_split`).
            in_distribution / out_of_distribution: the task-type split.
            max_steps: engine steps per episode (the paper: 30).
            win_reward: reward of the winning step (the paper: 10).
            backend: ``"builtin"`` (generated games) or ``"real"`` (ALFWorld's files).
            data_path: real backend only: the ALFWorld data folder
                (default ``$ALFWORLD_DATA``).
            games: play these games instead (``reset(seed)`` takes
                ``games[seed % len(games)]``); e.g. golden-transcript records.
            anchor: ``"state"`` (default): ``info["anchor"]`` keys the true engine
                state; ``"observation"``: it is the observation text, as in the
                reference's GiGPO (where e.g. every "Nothing happens." shares a group).
        """
        if max_steps < 1:
            raise ValueError(f"max_steps must be >= 1, got {max_steps}")
        if backend not in ("builtin", "real"):
            raise ValueError(f"backend must be 'builtin' or 'real', got {backend!r}")
        if anchor not in ("state", "observation"):
            raise ValueError(f"anchor must be 'state' or 'observation', got {anchor!r}")
        if render_mode not in (None, "ansi"):
            raise ValueError(f"render_mode must be None or 'ansi', got {render_mode!r}")
        self.split: Split = make_split(split, in_distribution, out_of_distribution)
        self.max_steps = max_steps
        self.win_reward = float(win_reward)
        self.backend = backend
        self.anchor = anchor
        self.render_mode = render_mode
        self.observation_space = text_space(max_length=16_384)
        self.action_space = text_space(max_length=512)
        self._games = tuple(_read_games(games)) if games is not None else None
        if self._games is not None and not self._games:
            raise ValueError("games must not be empty")
        self._real_games = None
        if backend == "real":
            from lamer_envs.alfworld.real_backend import RealGameFiles

            self._real_games = RealGameFiles(self.split, data_path=data_path)
        self._session: Any = None
        self._session_seed: int | None = None
        self._initial_observation = ""
        self._game_id = ""
        self._episode_over = False
        self._cache: OrderedDict[int, Game] = OrderedDict()

    # -- prompt surface -------------------------------------------------------------------

    @property
    def rules(self) -> str:
        return RULES

    @property
    def action_format(self) -> str:
        return ACTION_FORMAT

    @property
    def initial_observation(self) -> str:
        """The welcome text (with the task) of the last reset."""
        return self._initial_observation

    @property
    def task(self) -> str:
        """The current task sentence, e.g. ``put a clean mug in coffeemachine``."""
        return self._session.task.text if self._session is not None else ""

    def parse_action(self, response: str) -> ParsedAction:
        """The paper's projection (see :mod:`.parsing`); bare commands are not accepted
        here, as in the paper (:meth:`step` also takes an admissible bare command)."""
        if not isinstance(response, str):
            return ParsedAction(None, False)
        command = project_response(response)
        return ParsedAction(command, command is not None, thought_of(response))

    def sample_action(self, rng: np.random.Generator) -> str:
        """A random admissible command (a random agent; also used by the env checks)."""
        if self._session is None or self._session.done:
            return "look"
        commands = self._session.admissible_commands()
        return commands[int(rng.integers(len(commands)))]

    def expert_plan(self) -> list[str]:
        """The built-in expert's commands from the current state to a win (``[]`` once
        the game is over); e.g. for demonstrations. Built-in engine only."""
        if not isinstance(self._session, Simulator):
            raise NotImplementedError("expert_plan needs the built-in engine (backend='builtin')")
        return plan(self._session)

    def admissible_actions(self) -> list[str]:
        """The commands valid now (sorted)."""
        return self._session.admissible_commands() if self._session is not None else []

    # -- gymnasium API --------------------------------------------------------------------

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[str, dict[str, Any]]:
        """Start the game of ``seed`` (same seed, same game, in any process).

        ``options={"game": Game or record}`` plays that game instead.
        """
        super().reset(seed=seed)
        if seed is None:
            seed = int(self.np_random.integers(2**31))
        game = (options or {}).get("game")
        if game is not None:
            game = game if isinstance(game, Game) else game_from_record(game)
            self._session = Simulator(game, max_steps=self.max_steps)
            self._session_seed = None
        elif self._session is None or self._session_seed != seed:
            # (A new attempt at the same seed skips this: it only rewinds the engine.)
            if self._real_games is not None:
                self._session = self._real_games.open(seed, max_steps=self.max_steps)
            else:
                self._session = Simulator(self._game_for_seed(seed), max_steps=self.max_steps)
            self._session_seed = seed
        self._session.reset()
        self._episode_over = False
        self._initial_observation = self._session.intro
        info = self._info(won=False, valid=True, admissible=True, action="")
        return self._initial_observation, info

    def step(self, action: str) -> tuple[str, float, bool, bool, dict[str, Any]]:
        """Run one command (see the module docstring)."""
        if self._session is None:
            raise ResetNeeded("call reset() before step()")
        if self._episode_over:
            raise ResetNeeded(
                "the episode is over (won or out of steps); call reset(seed=...) to start "
                "again (the same seed restarts the same game)"
            )
        command = self._read_command(action)
        # An unusable response is sent as an empty command: the engine answers "Nothing
        # happens." and the step counts, as when the reference forwards garbage text.
        outcome = self._session.step(command or "")
        won = bool(outcome.won)
        terminated = won
        truncated = bool(outcome.done) and not won
        self._episode_over = terminated or truncated
        info = self._info(
            won=won,
            valid=command is not None,
            admissible=outcome.valid,
            action=command if command is not None else INVALID_ACTION,
        )
        reward = self.win_reward if won else 0.0
        return outcome.observation, reward, terminated, truncated, info

    def render(self) -> str | None:
        if self.render_mode == "ansi" and self._session is not None:
            return self._session.last_observation
        return None

    # -- helpers -------------------------------------------------------------------------

    def _game_for_seed(self, seed: int) -> Game:
        if self._games is not None:
            return self._games[seed % len(self._games)]
        game = self._cache.get(seed)
        if game is None:
            game = generate_game(
                seed, self.split.task_types, self.split.floorplans, stream=self.split.name
            )
            self._cache[seed] = game
            if len(self._cache) > _GAME_CACHE_SIZE:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(seed)
        return game

    def _read_command(self, response: Any) -> str | None:
        if not isinstance(response, str):
            return None
        command = project_response(response)
        if command is not None:
            return command
        lowered = response.lower()
        if ACTION_START in lowered or ACTION_END in lowered:
            return None
        # A bare command counts only when it is admissible as written (normalised).
        bare = normalize_command(response) if len(response) <= 4 * MAX_COMMAND_LENGTH else ""
        if bare and bare in self._session.admissible_commands():
            return bare
        return None

    def _info(self, *, won: bool, valid: bool, admissible: bool, action: str) -> dict[str, Any]:
        session = self._session
        return {
            WON: won,
            ACTION_IS_VALID: valid,
            ANCHOR: session.state_key() if self.anchor == "state" else session.last_observation,
            ACTION: action,
            ADMISSIBLE_ACTIONS: session.admissible_commands(),
            "action_is_admissible": bool(admissible and valid),
            "task": session.task.text,
            "task_type": session.task.task_type.short_name,
            "game_id": session.game_id,
        }


def _read_games(games: Sequence[Game | Mapping[str, Any]]) -> list[Game]:
    """``games=`` as :class:`Game` objects; a bad record raises ``RecordError`` naming its
    position, its ``game_id`` and the field."""
    out = []
    for index, game in enumerate(games):
        if isinstance(game, Game):
            out.append(game)
            continue
        try:
            out.append(game_from_record(game))
        except RecordError as error:
            raise RecordError(f"games[{index}]: {error}") from None
    return out


__all__ = ["ADMISSIBLE_ACTIONS", "ALFWorldEnv"]
