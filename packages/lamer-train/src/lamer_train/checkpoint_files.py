"""Integrity of the files a run writes: atomic text files, checkpoint manifests, the
choice of the checkpoint to resume from, and cleanup after a kill. No torch import.

Every checkpoint folder carries ``manifest.json``, written last, listing the size and
SHA-256 of every other file in the folder (sub-folders included, so any layout is
covered). A checkpoint is *intact* when its manifest parses and every listed file is
there with that size and checksum. Resume takes the newest intact checkpoint and says
which newer ones it skipped and why.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

CHECKPOINTS = "checkpoints"
LATEST = "latest"
"""Text file in ``checkpoints/`` naming the newest complete checkpoint."""
MANIFEST = "manifest.json"
CHECKPOINT_PREFIX = "iter_"
_CHUNK = 1 << 20
# Only folders and files this package creates: '.tmp-iter_000004-1234' (a checkpoint
# being written by process 1234) and '.tmp-<file>-1234' (write_text_atomic).
_STALE_TEMPORARY = re.compile(r"\.tmp-(iter_\d+|[\w.]+)-\d+")


class CheckpointError(RuntimeError):
    """A checkpoint cannot be written or read; the message names the folder or file."""


def fsync_dir(path: Path) -> None:
    """Make a rename inside ``path`` durable; not every platform can open a directory."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and ``os.replace``: a reader
    (or a kill) sees the old content or the new one, never a truncated file."""
    path = Path(path)
    tmp = path.with_name(f".tmp-{path.name}-{os.getpid()}")
    try:
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _files(folder: Path) -> list[Path]:
    return sorted(
        p for p in folder.rglob("*") if p.is_file() and p.relative_to(folder).as_posix() != MANIFEST
    )


def write_manifest(folder: Path) -> None:
    """List size and SHA-256 of every file under ``folder`` in ``folder/manifest.json``
    (flushed to disk). Call it after every other file of the checkpoint is written."""
    entries = {}
    for path in _files(folder):
        entries[path.relative_to(folder).as_posix()] = {
            "size": path.stat().st_size,
            "sha256": _sha256(path),
        }
    with open(folder / MANIFEST, "w", encoding="utf-8") as handle:
        json.dump({"files": entries}, handle, indent=1)
        handle.flush()
        os.fsync(handle.fileno())


def verify_checkpoint(folder: Path) -> str | None:
    """``None`` when ``folder`` is an intact checkpoint, else why not (naming the file)."""
    manifest = folder / MANIFEST
    if not manifest.is_file():
        return f"{manifest} is missing (the checkpoint was not completed)"
    try:
        entries = json.loads(manifest.read_text(encoding="utf-8"))["files"]
        listed = {name: (int(e["size"]), str(e["sha256"])) for name, e in entries.items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        return f"{manifest} is damaged ({type(error).__name__}: {error})"
    if "trainer_state.json" not in listed:
        return f"{manifest} does not list trainer_state.json"
    for name, (size, checksum) in listed.items():
        path = folder / name
        if not path.is_file():
            return f"{path} is missing"
        actual = path.stat().st_size
        if actual != size:
            return f"{path} has {actual} bytes, the manifest says {size} (truncated or damaged)"
        if _sha256(path) != checksum:
            return f"{path} does not match its checksum in the manifest (damaged)"
    unlisted = [p.relative_to(folder).as_posix() for p in _files(folder)]
    extra = sorted(set(unlisted) - set(listed))
    if extra:
        return f"{folder} holds files its manifest does not list: {extra}"
    return None


def list_checkpoints(run_dir: Path) -> list[Path]:
    """Checkpoint folders of a run (complete or not), oldest first."""
    root = Path(run_dir) / CHECKPOINTS
    if not root.is_dir():
        return []
    found = [p for p in root.iterdir() if p.is_dir() and p.name.startswith(CHECKPOINT_PREFIX)]
    return sorted(found, key=lambda p: p.name)


def seal_checkpoint(tmp: Path) -> None:
    """Make a checkpoint written into the temporary folder ``tmp`` durable: every file and
    sub-folder flushed to disk, then the manifest (written last), then the folder."""
    for item in sorted(tmp.rglob("*")):
        if item.is_file():
            with open(item, "rb") as handle:
                os.fsync(handle.fileno())
        elif item.is_dir():
            fsync_dir(item)
    write_manifest(tmp)
    fsync_dir(tmp)


def publish_checkpoint(tmp: Path, final: Path, keep_last: int) -> None:
    """Rename the sealed ``tmp`` into place as ``final`` (replacing a checkpoint of the
    same iteration saved again after a resume), point the ``latest`` file of its folder
    at it, and remove all but the ``keep_last`` newest checkpoints (``<= 0``: keep all)."""
    root = final.parent
    if final.exists():
        shutil.rmtree(final)
    os.rename(tmp, final)
    fsync_dir(root)
    write_text_atomic(root / LATEST, final.name + "\n")
    if keep_last > 0:
        for old in list_checkpoints(root.parent)[:-keep_last]:
            shutil.rmtree(old, ignore_errors=True)


@dataclass(slots=True)
class ResumePoint:
    """Where a resumed run continues: the newest intact checkpoint (``None`` = none was
    written yet) and the newer ones skipped, each with its reason."""

    checkpoint: Path | None
    skipped: list[tuple[Path, str]]


def find_resume_checkpoint(run_dir: Path) -> ResumePoint:
    """The newest intact checkpoint of ``run_dir``.

    Raises :class:`CheckpointError` naming every damaged file when the run has
    checkpoints but none is intact (resuming from scratch would silently redo the run).
    """
    skipped = []
    for folder in reversed(list_checkpoints(run_dir)):
        reason = verify_checkpoint(folder)
        if reason is None:
            return ResumePoint(folder, skipped)
        skipped.append((folder, reason))
    if skipped:
        reasons = "\n".join(f"  {path.name}: {reason}" for path, reason in skipped)
        raise CheckpointError(
            f"no intact checkpoint in {Path(run_dir) / CHECKPOINTS}:\n{reasons}\n"
            "move the damaged folders away to restart the run from iteration 1"
        )
    return ResumePoint(None, [])


def remove_stale_temporaries(folder: Path) -> list[Path]:
    """Delete leftovers of an interrupted write in ``folder`` (``.tmp-iter_*`` checkpoint
    folders, ``.tmp-<file>-<pid>`` files) of processes that are gone; returns them."""
    removed = []
    if not Path(folder).is_dir():
        return removed
    for path in Path(folder).iterdir():
        match = _STALE_TEMPORARY.fullmatch(path.name)
        if match is None or int(path.name.rsplit("-", 1)[1]) == os.getpid():
            continue
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        removed.append(path)
    return removed


def folder_size(folder: Path) -> int:
    """Bytes in the files under ``folder``."""
    return sum(p.stat().st_size for p in Path(folder).rglob("*") if p.is_file())
