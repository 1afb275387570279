"""A run folder's ``config.yaml``: written atomically, read back strictly.

``--resume`` continues with the settings in this file, so a damaged copy must never
turn into defaults: the file ends with :data:`END_MARKER` (a truncated file lacks it)
and must name every section. Hand edits are fine as long as the last line stays.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from lamer_train.checkpoint_files import write_text_atomic
from lamer_train.config import (
    ConfigError,
    LaMerConfig,
    config_to_yaml,
    load_config,
    parse_yaml_mapping,
)

CONFIG_FILE = "config.yaml"
END_MARKER = "# end of lamer-train run config"


def write_run_config(run_dir: Path, config: LaMerConfig) -> None:
    """``run_dir/config.yaml`` = the resolved config, replaced atomically."""
    write_text_atomic(Path(run_dir) / CONFIG_FILE, config_to_yaml(config) + END_MARKER + "\n")


def load_run_config(run_dir: Path, overrides: Sequence[str] = ()) -> LaMerConfig:
    """The config of an existing run (plus ``overrides``); a missing, empty, truncated
    or unparseable file is a :class:`ConfigError` naming it."""
    path = Path(run_dir) / CONFIG_FILE
    if not path.is_file():
        raise ConfigError(f"{run_dir}: no {CONFIG_FILE} there (not a run folder)")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path} cannot be read as UTF-8 text: {error}") from None
    if not text.strip():
        raise ConfigError(f"{path} is empty; the run's settings are lost (restore the file)")
    if text.rstrip().splitlines()[-1].strip() != END_MARKER:
        raise ConfigError(
            f"{path} is truncated or was not written by lamer-train: its last line must be "
            f"{END_MARKER!r}"
        )
    data = parse_yaml_mapping(text, path)
    missing = sorted(set(LaMerConfig.model_fields) - set(data))
    if missing:
        raise ConfigError(f"{path} lacks sections {missing} (damaged run config)")
    return load_config(path, overrides)
