"""Play ALFWorld's own game files through the real engine (ALFWorld + TextWorld).

Used by ``ALFWorldEnv(backend="real")``; the env's info fields are the same as with the
built-in engine. Needs the optional dependencies (``pip install 'lamer-envs[alfworld]'``,
which pulls ``alfworld`` and ``textworld[pddl]``) and the game data (ALFWorld's
``alfworld-download`` puts it under ``$ALFWORLD_DATA``; pass ``data_path`` otherwise).

Games are ``json_2.1.1/<folder>/<task dir>/<trial>/game.tw-pddl``. Our train splits
read the ``train`` folder and our eval splits ``valid_unseen`` (ALFRED's unseen rooms),
each filtered to the split's task types; like ALFWorld we skip "movable" and "Sliced"
games and games not marked solvable. ``reset(seed)`` picks a game from the seed.

Everything here imports ALFWorld lazily, so ``import lamer_envs`` never needs it.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lamer_core.seeding import make_rng
from lamer_envs.alfworld.simulator import StepOutcome
from lamer_envs.alfworld.splits import Split
from lamer_envs.alfworld.tasks import TaskType

_INSTALL_HINT = (
    "the real ALFWorld backend needs the optional dependencies: "
    "pip install 'lamer-envs[alfworld]' (alfworld and textworld[pddl]); "
    "or use the built-in engine (backend='builtin', the default)"
)
_TASK_PREFIX = "Your task is to: "


def require_alfworld() -> None:
    """Raise a clear ``ImportError`` when ``alfworld``/``textworld`` are missing."""
    try:
        import alfworld  # noqa: F401
        import textworld  # noqa: F401
    except ImportError as error:
        raise ImportError(f"{_INSTALL_HINT} ({error})") from error


def default_data_path() -> Path:
    """``$ALFWORLD_DATA``, else ALFWorld's default cache folder."""
    return Path(os.environ.get("ALFWORLD_DATA", Path.home() / ".cache" / "alfworld"))


def folder_for_split(split: Split) -> str:
    return "train" if split.name.startswith("train") else "valid_unseen"


def _task_type_of(game_file: Path) -> TaskType | None:
    trajectory = game_file.with_name("traj_data.json")
    name = ""
    if trajectory.is_file():
        try:
            name = str(json.loads(trajectory.read_text()).get("task_type", ""))
        except (OSError, ValueError):
            return None
    else:  # some releases ship game files only; the task dir is "<task_type>-<obj>-..."
        name = game_file.parent.parent.name.split("-", 1)[0]
    try:
        return TaskType.parse(name)
    except ValueError:
        return None


def find_game_files(folder: Path, task_types: tuple[TaskType, ...]) -> list[Path]:
    """Solvable ``game.tw-pddl`` files under ``folder`` of the given task types, sorted."""
    found = []
    for game_file in sorted(folder.rglob("game.tw-pddl")):
        if "movable" in str(game_file) or "Sliced" in str(game_file):
            continue
        if _task_type_of(game_file) not in task_types:
            continue
        try:
            solvable = json.loads(game_file.read_text()).get("solvable", False)
        except (OSError, ValueError):
            continue
        if solvable:
            found.append(game_file)
    return found


@dataclass(frozen=True, slots=True)
class RealTask:
    """The task of a real game (what the env reports in ``info``)."""

    text: str
    task_type: TaskType


class RealGameFiles:
    """The game files of one split; :meth:`open` starts the game of a seed."""

    def __init__(self, split: Split, data_path: str | os.PathLike[str] | None = None) -> None:
        require_alfworld()
        root = Path(data_path) if data_path is not None else default_data_path()
        folder = root / "json_2.1.1" / folder_for_split(split)
        self.split = split
        self.game_files = find_game_files(folder, split.task_types)
        if not self.game_files:
            raise FileNotFoundError(
                f"no solvable ALFWorld games of types {[t.short_name for t in split.task_types]} "
                f"under {folder}; run ALFWorld's `alfworld-download` or pass data_path"
            )

    def open(self, seed: int, max_steps: int) -> RealGame:
        index = int(make_rng(seed, "alfworld-real", self.split.name).integers(len(self.game_files)))
        return RealGame(self.game_files[index], max_steps=max_steps)


class RealGame:
    """One real ALFWorld game with the :class:`~.simulator.Simulator` interface.

    Pickles by dropping the engine and replaying the commands on first use.
    """

    def __init__(self, game_file: Path, max_steps: int) -> None:
        self.game_file = Path(game_file)
        self.max_steps = max_steps
        self.game_id = str(Path(*self.game_file.parts[-3:-1]))
        task_type = _task_type_of(self.game_file)
        if task_type is None:
            raise ValueError(f"unknown task type for {self.game_file}")
        self.task = RealTask(text="", task_type=task_type)
        self._env: Any = None
        self._history: list[str] = []
        self.intro = ""
        self._reset_fields()

    def _reset_fields(self) -> None:
        self.steps = 0
        self.won = False
        self.done = False
        self.last_observation = self.intro
        self._admissible: list[str] = []
        self._facts_key = ""

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_env"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        if self._history or self.intro:
            history = list(self._history)
            self.reset()
            for command in history:
                self.step(command)

    def _start_engine(self) -> Any:
        require_alfworld()
        import textworld
        import textworld.gym
        from alfworld.agents.environment.alfred_tw_env import AlfredDemangler, AlfredInfos

        request_infos = textworld.EnvInfos(
            won=True, admissible_commands=True, facts=True, extras=["gamefile"]
        )
        env_id = textworld.gym.register_games(
            [str(self.game_file)],
            request_infos,
            batch_size=1,
            asynchronous=False,
            max_episode_steps=self.max_steps + 1,  # our own counter ends the episode
            wrappers=[AlfredDemangler(shuffle=False), AlfredInfos],
        )
        return textworld.gym.make(env_id)

    def _absorb(self, infos: dict[str, Any]) -> None:
        self._admissible = sorted(set(infos["admissible_commands"][0]))
        facts = sorted(str(fact) for fact in infos.get("facts", [[]])[0] or [])
        self._facts_key = hashlib.blake2b("\n".join(facts).encode(), digest_size=8).hexdigest()
        self.won = bool(infos["won"][0])

    def reset(self) -> str:
        if self._env is None:
            self._env = self._start_engine()
        observations, infos = self._env.reset()
        self.intro = observations[0]
        text = self.intro.rsplit(_TASK_PREFIX, 1)[-1].strip().rstrip(".")
        self.task = RealTask(text=text, task_type=self.task.task_type)
        self._reset_fields()
        self._history = []
        self._absorb(infos)
        return self.intro

    def admissible_commands(self) -> list[str]:
        return list(self._admissible)

    def state_key(self) -> str:
        return self._facts_key

    def step(self, command: str) -> StepOutcome:
        if self._env is None:
            self.reset()
        if self.done:
            return StepOutcome(self.last_observation, int(self.won), self.won, True, False)
        command = command.strip()
        valid = command in self._admissible
        self._history.append(command)
        self.steps += 1
        observations, _, _, infos = self._env.step([command])
        observation = observations[0]
        self._absorb(infos)
        self.done = self.won or self.steps >= self.max_steps
        self.last_observation = observation
        return StepOutcome(observation, int(self.won), self.won, self.done, valid)
