"""Gymnasium ids of the built-in envs. Entry points are ``"module:Class"`` strings, so
nothing heavy is imported until ``gymnasium.make`` builds an env."""

from __future__ import annotations

import gymnasium

ENV_IDS: dict[str, str] = {
    "lamer/Sokoban-v0": "lamer_envs.sokoban.env:SokobanEnv",
    "lamer/MineSweeper-v0": "lamer_envs.minesweeper.env:MineSweeperEnv",
    "lamer/WebShop-v0": "lamer_envs.webshop.env:WebShopEnv",
    "lamer/ALFWorld-v0": "lamer_envs.alfworld.env:ALFWorldEnv",
}


def register_envs() -> None:
    """Register every built-in id with gymnasium (idempotent)."""
    for env_id, entry_point in ENV_IDS.items():
        if env_id not in gymnasium.registry:
            # No TimeLimit/OrderEnforcing wrappers: turn limits belong to the trial loop,
            # and each env enforces its own step semantics.
            gymnasium.register(
                id=env_id,
                entry_point=entry_point,
                disable_env_checker=True,
                order_enforce=False,
            )
