"""Seeds derived from one run seed with :class:`numpy.random.SeedSequence`.

Every random choice in LaMer flows from a single run seed. A component asks for the
seed of its *key* (e.g. ``("train-task", 12)`` or ``("sampling", iteration, attempt)``);
the same key gives the same seed in every process, and different keys give
independent streams. Strings in a key are turned into integers with a stable digest,
never with Python's per-process ``hash()``.
"""

from __future__ import annotations

import hashlib

import numpy as np

KeyPart = int | str

_MAX_SEED = 2**32


def key_to_ints(key: tuple[KeyPart, ...]) -> tuple[int, ...]:
    """Turn a key of ints and strings into non-negative ints, stably across processes."""
    out: list[int] = []
    for part in key:
        if isinstance(part, bool) or not isinstance(part, int | str):
            raise TypeError(f"seed key parts must be int or str, got {type(part).__name__}")
        if isinstance(part, str):
            # 'str:' prefix keeps "1" and 1 apart.
            digest = hashlib.blake2b(b"str:" + part.encode("utf-8"), digest_size=8).digest()
            out.append(int.from_bytes(digest, "little"))
        elif part < 0:
            raise ValueError(f"seed key parts must be >= 0, got {part}")
        else:
            out.append(part)
    return tuple(out)


def seed_sequence(run_seed: int, *key: KeyPart) -> np.random.SeedSequence:
    """The :class:`~numpy.random.SeedSequence` of ``key`` under ``run_seed``."""
    if run_seed < 0:
        raise ValueError(f"run_seed must be >= 0, got {run_seed}")
    return np.random.SeedSequence(run_seed, spawn_key=key_to_ints(key))


def derive_seed(run_seed: int, *key: KeyPart) -> int:
    """A 32-bit integer seed for ``key`` (fits ``env.reset(seed=...)`` and ``torch.manual_seed``)."""
    return int(seed_sequence(run_seed, *key).generate_state(1, dtype=np.uint32)[0])


def make_rng(run_seed: int, *key: KeyPart) -> np.random.Generator:
    """A fresh :class:`numpy.random.Generator` for ``key``."""
    return np.random.Generator(np.random.PCG64(seed_sequence(run_seed, *key)))


def task_seeds(run_seed: int, split: str, count: int, start: int = 0) -> list[int]:
    """Env seeds of tasks ``start .. start+count-1`` of a split (e.g. ``"train"``, ``"eval"``).

    Different splits draw from independent streams; a split's seeds never depend on
    ``count``, so growing a run does not reshuffle the tasks it already used.
    """
    return [derive_seed(run_seed, "task", split, index) for index in range(start, start + count)]
