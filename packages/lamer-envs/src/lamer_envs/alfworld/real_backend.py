"""Play ALFWorld's own game files through the real engine (ALFWorld + TextWorld).

Used by ``ALFWorldEnv(backend="real")``; the env's info fields are the same as with the
built-in engine. Needs the optional dependencies (``pip install 'lamer-envs[alfworld]'``,
which pulls ``alfworld`` and ``textworld[pddl]``) and game files: ALFWorld's data
(``alfworld-download`` puts it under ``$ALFWORLD_DATA``; pass ``data_path`` otherwise)
or our generated games written in the same format (:mod:`.export`).

Games are ``json_2.1.1/<folder>/<task dir>/<trial>/game.tw-pddl``. Our train splits
read the ``train`` folder and our eval splits ``valid_unseen`` (ALFRED's unseen rooms),
each filtered to the split's task types; like ALFWorld we skip "movable" and "Sliced"
games and games not marked solvable. Unlike ALFWorld, a file we cannot use is never
skipped silently: :func:`scan_game_files` gives each skipped file with its reason, a
folder with no playable game raises an error that lists them, and malformed files next
to playable ones raise a warning. ``reset(seed)`` picks a game from the seed.

Everything here imports ALFWorld lazily, so ``import lamer_envs`` never needs it.
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lamer_core.seeding import make_rng
from lamer_envs.alfworld.export import DATA_FOLDER, GAME_FILE, TRAJECTORY_FILE, split_folder
from lamer_envs.alfworld.simulator import StepOutcome
from lamer_envs.alfworld.splits import Split
from lamer_envs.alfworld.tasks import TaskType

_INSTALL_HINT = (
    "the real ALFWorld backend needs the optional dependencies: "
    "pip install 'lamer-envs[alfworld]' (alfworld and textworld[pddl]); "
    "or use the built-in engine (backend='builtin', the default)"
)
_TASK_PREFIX = "Your task is to: "
_GAME_KEYS = ("pddl_domain", "grammar", "pddl_problem")
# Facts that record history rather than state: receptacles looked at, and the negated
# facts TextWorld keeps after an action removed one ("not_atlocation" of every place
# left). The anchor ignores them, so it keys the same states as the built-in engine.
_HISTORY_FACTS = frozenset({"checked", "examined"})
_LISTED_SKIPS = 10


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
    return split_folder(split.name)


def _read_json_object(path: Path) -> dict[str, Any]:
    """The JSON object in ``path``; ``ValueError`` saying what is wrong otherwise."""
    try:
        data = json.loads(path.read_text())
    except OSError as error:
        raise ValueError(f"cannot read {path.name}: {error.strerror or error}") from error
    except ValueError as error:  # JSONDecodeError, UnicodeDecodeError
        raise ValueError(f"{path.name} is not valid JSON ({error})") from error
    if not isinstance(data, dict):
        raise ValueError(f"{path.name} holds a {type(data).__name__}, not a JSON object")
    return data


def task_type_of(game_file: Path) -> TaskType:
    """The task type of a game: ``task_type`` in its ``traj_data.json``, or, for releases
    that ship game files only, the task dir's name (``<task_type>-<obj>-...``).
    Raises ``ValueError`` naming what is wrong."""
    trajectory = game_file.with_name(TRAJECTORY_FILE)
    if trajectory.is_file():
        data = _read_json_object(trajectory)
        if "task_type" not in data:
            raise ValueError(f"{TRAJECTORY_FILE} has no 'task_type'")
        name, where = data["task_type"], TRAJECTORY_FILE
    else:
        name, where = game_file.parent.parent.name.split("-", 1)[0], "the task folder name"
    try:
        return TaskType.parse(name)
    except ValueError:
        raise ValueError(f"unknown task type {name!r} in {where}") from None


@dataclass
class GameScan:
    """What :func:`scan_game_files` found: playable games and every file it skipped."""

    folder: Path
    games: list[Path] = field(default_factory=list)
    skipped: list[tuple[Path, str]] = field(default_factory=list)
    """``(game file, reason)`` of each game of a wanted type that cannot be played."""
    other_types: int = 0
    """Games of task types the split does not use (not an error)."""

    @property
    def malformed(self) -> list[tuple[Path, str]]:
        """Skipped files that are broken (not the ALFWorld conventions: unsolvable,
        movable, sliced)."""
        return [(path, why) for path, why in self.skipped if not why.startswith("ALFWorld")]

    def summary(self, entries: list[tuple[Path, str]] | None = None) -> str:
        """One line per skipped file (the first few), with its reason."""
        entries = self.skipped if entries is None else entries
        lines = [f"  {path}: {why}" for path, why in entries[:_LISTED_SKIPS]]
        if len(entries) > _LISTED_SKIPS:
            lines.append(f"  ... and {len(entries) - _LISTED_SKIPS} more")
        return "\n".join(lines)


def _check_game_file(game_file: Path) -> None:
    """Raise ``ValueError`` (the reason) unless the file is a playable solvable game."""
    data = _read_json_object(game_file)
    missing = [key for key in _GAME_KEYS if not isinstance(data.get(key), str)]
    if missing:
        raise ValueError(f"{GAME_FILE} lacks {missing} (a PDDL game needs {list(_GAME_KEYS)})")
    if "solvable" not in data:
        raise ValueError(f"{GAME_FILE} has no 'solvable' key (run ALFWorld's alfworld-generate)")
    if not data["solvable"]:
        raise ValueError("ALFWorld: marked unsolvable")


def scan_game_files(folder: Path, task_types: tuple[TaskType, ...]) -> GameScan:
    """Solvable ``game.tw-pddl`` files under ``folder`` of the given task types (sorted),
    and the reason each other game of those types was skipped."""
    scan = GameScan(folder=Path(folder))
    for game_file in sorted(Path(folder).rglob(GAME_FILE)):
        relative = str(game_file.relative_to(folder))
        if "movable" in relative or "Sliced" in relative:
            scan.skipped.append((game_file, "ALFWorld: movable/sliced games are not supported"))
            continue
        try:
            task_type = task_type_of(game_file)
            if task_type not in task_types:
                scan.other_types += 1
                continue
            _check_game_file(game_file)
        except ValueError as error:
            scan.skipped.append((game_file, str(error)))
            continue
        scan.games.append(game_file)
    return scan


def find_game_files(folder: Path, task_types: tuple[TaskType, ...]) -> list[Path]:
    """Solvable ``game.tw-pddl`` files under ``folder`` of the given task types, sorted."""
    return scan_game_files(folder, task_types).games


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
        folder = root / DATA_FOLDER / folder_for_split(split)
        self.split = split
        types = [t.short_name for t in split.task_types]
        if not folder.is_dir():
            raise FileNotFoundError(
                f"ALFWorld game folder {folder} does not exist; run ALFWorld's "
                "`alfworld-download`, pass data_path, or write generated games there "
                "(lamer_envs.alfworld.export.write_game; tools/alfworld_export_games.py)"
            )
        self.scan = scan_game_files(folder, split.task_types)
        self.game_files = self.scan.games
        if not self.game_files:
            details = f" Skipped:\n{self.scan.summary()}" if self.scan.skipped else ""
            raise FileNotFoundError(
                f"no playable ALFWorld games of types {types} under {folder} "
                f"({len(self.scan.skipped)} skipped, {self.scan.other_types} of other "
                f"types).{details}"
            )
        if self.scan.malformed:
            warnings.warn(
                f"{len(self.scan.malformed)} malformed ALFWorld game(s) under {folder} "
                f"skipped ({len(self.game_files)} playable):\n"
                f"{self.scan.summary(self.scan.malformed)}",
                stacklevel=3,
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
        try:
            task_type = task_type_of(self.game_file)
        except ValueError as error:
            raise ValueError(f"{self.game_file}: {error}") from None
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
        facts = sorted(
            str(fact)
            for fact in infos.get("facts", [[]])[0] or []
            if fact.name not in _HISTORY_FACTS and not fact.name.startswith("not_")
        )
        self._facts_key = hashlib.blake2b("\n".join(facts).encode(), digest_size=8).hexdigest()
        self.won = bool(infos["won"][0])

    def reset(self) -> str:
        try:
            if self._env is None:
                self._env = self._start_engine()
            observations, infos = self._env.reset()
        except ImportError:
            raise
        except Exception as error:  # the engine's parse/translate errors have many types
            raise RuntimeError(
                f"{self.game_file}: the ALFWorld engine cannot load this game "
                f"({type(error).__name__}: {error})"
            ) from error
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
