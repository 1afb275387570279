"""Stepping many text envs at once: in-process, or spread over worker processes.

Both pools share one interface (:class:`EnvPool`). Every call takes the indices of the
envs it concerns, so a trial loop can step only the envs still playing and restart only
those starting a new attempt::

    pool = make_pool("lamer/Sokoban-v0", num_envs=16)            # in-process
    pool = make_pool("lamer/WebShop-v0", num_envs=16, num_workers=4)  # heavy env
    observations, infos = pool.reset(seeds)                        # all envs
    results = pool.step(actions, indices=[0, 3, 5])                # a subset
    pool.close()

:class:`InProcessPool` is the default: Sokoban and MineSweeper steps take micro- to
milliseconds, so inter-process messaging would cost more than it saves.
:class:`ProcessPool` (``spawn`` workers, one pipe each) suits envs whose steps are
heavy. Results always come back in the order of ``indices``.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import signal
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any, Protocol

import gymnasium

__all__ = [
    "EnvPool",
    "EnvWorkerError",
    "InProcessPool",
    "ProcessPool",
    "StepResults",
    "make_pool",
]

EnvFactory = Callable[[], gymnasium.Env]


@dataclass(frozen=True, slots=True)
class StepResults:
    """Per-env results of :meth:`EnvPool.step`, in the order of the requested indices."""

    observations: list[str]
    rewards: list[float]
    terminated: list[bool]
    truncated: list[bool]
    infos: list[dict[str, Any]]

    def __getitem__(self, position: int) -> tuple[str, float, bool, bool, dict[str, Any]]:
        """Result ``position`` as ``env.step`` returns it:
        ``(observation, reward, terminated, truncated, info)``."""
        return (
            self.observations[position],
            self.rewards[position],
            self.terminated[position],
            self.truncated[position],
            self.infos[position],
        )


class EnvPool(Protocol):
    """N envs addressed by index 0..N-1."""

    num_envs: int

    def reset(
        self, seeds: Sequence[int | None], indices: Sequence[int] | None = None
    ) -> tuple[list[str], list[dict[str, Any]]]:
        """Reset env ``indices[k]`` (default: all) with ``seeds[k]``."""
        ...

    def step(self, actions: Sequence[str], indices: Sequence[int] | None = None) -> StepResults:
        """Step env ``indices[k]`` (default: all) with ``actions[k]``."""
        ...

    def get_attr(self, name: str, indices: Sequence[int] | None = None) -> list[Any]:
        """An attribute of each env (e.g. ``"rules"``, ``"initial_observation"``)."""
        ...

    def close(self) -> None: ...


def _make_env(env_id: str, env_kwargs: dict[str, Any]) -> gymnasium.Env:
    import lamer_envs  # noqa: F401  (registers the built-in ids in a fresh process)

    return gymnasium.make(env_id, **env_kwargs)


def _check_lengths(values: Sequence[Any], indices: Sequence[int], what: str) -> None:
    if len(values) != len(indices):
        raise ValueError(f"got {len(values)} {what} for {len(indices)} envs")


class InProcessPool:
    """A list of envs stepped one after another in this process."""

    def __init__(
        self, env_id: str, num_envs: int, env_kwargs: dict[str, Any] | None = None
    ) -> None:
        if num_envs < 1:
            raise ValueError(f"num_envs must be >= 1, got {num_envs}")
        self.num_envs = num_envs
        self.envs = [_make_env(env_id, dict(env_kwargs or {})) for _ in range(num_envs)]

    def _indices(self, indices: Sequence[int] | None) -> list[int]:
        chosen = list(range(self.num_envs)) if indices is None else list(indices)
        for index in chosen:
            if not 0 <= index < self.num_envs:
                raise IndexError(f"env index {index} outside 0..{self.num_envs - 1}")
        return chosen

    def reset(
        self, seeds: Sequence[int | None], indices: Sequence[int] | None = None
    ) -> tuple[list[str], list[dict[str, Any]]]:
        chosen = self._indices(indices)
        _check_lengths(seeds, chosen, "seeds")
        results = [self.envs[i].reset(seed=seed) for i, seed in zip(chosen, seeds, strict=True)]
        return [obs for obs, _ in results], [info for _, info in results]

    def step(self, actions: Sequence[str], indices: Sequence[int] | None = None) -> StepResults:
        chosen = self._indices(indices)
        _check_lengths(actions, chosen, "actions")
        results = [self.envs[i].step(a) for i, a in zip(chosen, actions, strict=True)]
        return _collect(results)

    def get_attr(self, name: str, indices: Sequence[int] | None = None) -> list[Any]:
        return [getattr(self.envs[i].unwrapped, name) for i in self._indices(indices)]

    def close(self) -> None:
        for env in self.envs:
            env.close()

    def __enter__(self) -> InProcessPool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _collect(results: list[tuple[str, float, bool, bool, dict[str, Any]]]) -> StepResults:
    return StepResults(
        observations=[r[0] for r in results],
        rewards=[float(r[1]) for r in results],
        terminated=[bool(r[2]) for r in results],
        truncated=[bool(r[3]) for r in results],
        infos=[r[4] for r in results],
    )


def _worker(connection: Connection, env_id: str, env_kwargs: dict[str, Any], count: int) -> None:
    """Serve commands for ``count`` envs until ``close``. An error goes back as
    ``("error", (local env index or None, traceback text))``."""
    envs: list[gymnasium.Env] = []
    try:
        envs = [_make_env(env_id, env_kwargs) for _ in range(count)]
        connection.send(("ok", None))
    except Exception:
        connection.send(("error", (None, traceback.format_exc())))
        return
    while True:
        try:
            command, payload = connection.recv()
        except (EOFError, OSError):  # the parent is gone
            return
        current = None
        try:
            if command == "reset":
                reply: Any = []
                for current, seed in payload:
                    reply.append(envs[current].reset(seed=seed))
            elif command == "step":
                reply = []
                for current, action in payload:
                    reply.append(envs[current].step(action))
            elif command == "get_attr":
                name, local = payload
                reply = [getattr(envs[i].unwrapped, name) for i in local]
            elif command == "close":
                for env in envs:
                    env.close()
                connection.send(("ok", None))
                return
            else:
                raise ValueError(f"unknown command {command!r}")
            connection.send(("ok", reply))
        except BaseException as error:
            # SystemExit or KeyboardInterrupt from env code: report it, then stop.
            connection.send(("error", (current, traceback.format_exc())))
            if not isinstance(error, Exception):
                return


class EnvWorkerError(RuntimeError):
    """An env of a :class:`ProcessPool` raised, or its worker process died; the message
    names the env index, its task seed and the worker's own error."""


def _exit_description(exitcode: int | None) -> str:
    if exitcode is None:
        return "it stopped answering"
    if exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        return f"it was killed by {name}"
    return f"it exited with code {exitcode}"


class ProcessPool:
    """Envs spread over ``num_workers`` spawned processes (contiguous blocks of indices).

    Each call sends one message per worker concerned, then gathers the replies, so the
    workers step their envs in parallel. An exception inside an env, or a worker process
    that died, is raised here as :class:`EnvWorkerError` naming the env index, the task
    seed it was last reset with and the worker's traceback (or how the process ended).
    """

    def __init__(
        self,
        env_id: str,
        num_envs: int,
        env_kwargs: dict[str, Any] | None = None,
        num_workers: int = 2,
    ) -> None:
        if num_envs < 1:
            raise ValueError(f"num_envs must be >= 1, got {num_envs}")
        if num_workers < 1:
            raise ValueError(f"num_workers must be >= 1, got {num_workers}")
        self.num_envs = num_envs
        num_workers = min(num_workers, num_envs)
        context = multiprocessing.get_context("spawn")
        base, extra = divmod(num_envs, num_workers)
        # owner[i] = (worker, local index) of env i.
        self._owner: list[tuple[int, int]] = []
        self._connections: list[Connection] = []
        self._processes = []
        for worker in range(num_workers):
            count = base + (1 if worker < extra else 0)
            parent_end, child_end = context.Pipe()
            process = context.Process(
                target=_worker,
                args=(child_end, env_id, dict(env_kwargs or {}), count),
                daemon=True,
            )
            process.start()
            child_end.close()
            self._connections.append(parent_end)
            self._processes.append(process)
            self._owner.extend((worker, local) for local in range(count))
        self._closed = False
        # Task seed of each env's last reset ("not reset yet" until the first).
        self._seeds: list[Any] = ["not reset yet"] * num_envs
        for worker in range(num_workers):
            self._receive(worker, "building its envs", [])

    @property
    def worker_pids(self) -> list[int | None]:
        """Process ids of the workers (for monitoring)."""
        return [process.pid for process in self._processes]

    def _describe(self, worker: int, local: int | None, envs: Sequence[int]) -> str:
        if local is not None:
            envs = [self._owner.index((worker, local))]
        shown = ", ".join(
            f"env {i} ({seed if isinstance(seed, str) else f'task seed {seed}'})"
            for i, seed in ((i, self._seeds[i]) for i in envs[:8])
        )
        more = f" and {len(envs) - 8} more" if len(envs) > 8 else ""
        pid = self._processes[worker].pid
        return f"env worker {worker} (pid {pid}){': ' + shown + more if shown else ''}"

    def _send(self, worker: int, message: Any, doing: str, envs: Sequence[int]) -> None:
        try:
            self._connections[worker].send(message)
        except (BrokenPipeError, ConnectionResetError, EOFError, OSError):
            self._raise_dead(worker, doing, envs)

    def _receive(self, worker: int, doing: str, envs: Sequence[int]) -> Any:
        try:
            status, payload = self._connections[worker].recv()
        except (BrokenPipeError, ConnectionResetError, EOFError, OSError):
            self._raise_dead(worker, doing, envs)
        if status == "error":
            local, text = payload
            raise EnvWorkerError(
                f"{self._describe(worker, local, envs)} failed while {doing}:\n{text}"
            )
        return payload

    def _raise_dead(self, worker: int, doing: str, envs: Sequence[int]) -> None:
        process = self._processes[worker]
        process.join(timeout=5)
        raise EnvWorkerError(
            f"{self._describe(worker, None, envs)} died while {doing}: "
            f"{_exit_description(process.exitcode)} (out of memory, a crash in native "
            "env code, or killed from outside)"
        ) from None

    def _scatter(self, command: str, items: Sequence[tuple[int, Any]]) -> list[Any]:
        """Send per-worker batches of ``(env index, value)``; replies in ``items`` order."""
        if self._closed:
            raise RuntimeError("the pool is closed")
        batches: dict[int, list[tuple[int, Any]]] = {}
        slots: dict[int, list[int]] = {}
        for position, (index, value) in enumerate(items):
            if not 0 <= index < self.num_envs:
                raise IndexError(f"env index {index} outside 0..{self.num_envs - 1}")
            worker, local = self._owner[index]
            batches.setdefault(worker, []).append((local, value))
            slots.setdefault(worker, []).append(position)
        doing = {"reset": "resetting", "step": "stepping"}.get(command, command)
        envs_of = {w: [items[p][0] for p in positions] for w, positions in slots.items()}
        if command == "reset":
            for index, seed in items:
                self._seeds[index] = seed
        for worker, batch in batches.items():
            self._send(worker, (command, batch), doing, envs_of[worker])
        results: list[Any] = [None] * len(items)
        errors = []
        for worker in batches:
            try:
                replies = self._receive(worker, doing, envs_of[worker])
            except EnvWorkerError as error:  # drain every worker before raising
                errors.append(error)
                continue
            for position, reply in zip(slots[worker], replies, strict=True):
                results[position] = reply
        if errors:
            raise errors[0]
        return results

    def _indices(self, indices: Sequence[int] | None) -> list[int]:
        return list(range(self.num_envs)) if indices is None else list(indices)

    def reset(
        self, seeds: Sequence[int | None], indices: Sequence[int] | None = None
    ) -> tuple[list[str], list[dict[str, Any]]]:
        chosen = self._indices(indices)
        _check_lengths(seeds, chosen, "seeds")
        results = self._scatter("reset", list(zip(chosen, seeds, strict=True)))
        return [obs for obs, _ in results], [info for _, info in results]

    def step(self, actions: Sequence[str], indices: Sequence[int] | None = None) -> StepResults:
        chosen = self._indices(indices)
        _check_lengths(actions, chosen, "actions")
        return _collect(self._scatter("step", list(zip(chosen, actions, strict=True))))

    def get_attr(self, name: str, indices: Sequence[int] | None = None) -> list[Any]:
        chosen = self._indices(indices)
        by_worker: dict[int, list[int]] = {}
        for index in chosen:
            by_worker.setdefault(self._owner[index][0], []).append(self._owner[index][1])
        values: dict[tuple[int, int], Any] = {}
        doing = f"reading attribute {name!r}"
        envs_of = {w: [self._owner.index((w, i)) for i in local] for w, local in by_worker.items()}
        for worker, local in by_worker.items():
            self._send(worker, ("get_attr", (name, local)), doing, envs_of[worker])
        for worker, local in by_worker.items():
            for local_index, value in zip(
                local, self._receive(worker, doing, envs_of[worker]), strict=True
            ):
                values[(worker, local_index)] = value
        return [values[self._owner[index]] for index in chosen]

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for connection in self._connections:
            try:
                connection.send(("close", None))
                connection.recv()
            except (BrokenPipeError, EOFError, OSError):
                pass
            connection.close()
        for process in self._processes:
            process.join(timeout=10)
            if process.is_alive():
                process.terminate()

    def __enter__(self) -> ProcessPool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __del__(self) -> None:
        # At interpreter shutdown the pipes may already be gone: nothing left to clean.
        with contextlib.suppress(Exception):
            self.close()


def make_pool(
    env_id: str, num_envs: int, *, num_workers: int = 0, **env_kwargs: Any
) -> InProcessPool | ProcessPool:
    """An in-process pool (``num_workers=0``) or a process pool with that many workers."""
    if num_workers == 0:
        return InProcessPool(env_id, num_envs, env_kwargs)
    return ProcessPool(env_id, num_envs, env_kwargs, num_workers)
