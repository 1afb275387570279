"""What a run does when training values stop being finite.

:class:`~lamer_train.actor.Actor` skips an optimizer step whose loss or gradient norm is
NaN/inf, and a whole update whose advantages are (the weights stay as they were). The
:class:`SkipGuard` here turns those skips into report lines, and stops the run with
:class:`TrainingStopped` when ``max_consecutive`` updates in a row were skipped or the
weights themselves became non-finite: after that no further iteration can learn, and
continuing would only overwrite good checkpoints with useless ones.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the CLI imports this module; torch loads only with the trainer
    import torch


class TrainingStopped(RuntimeError):
    """The run cannot continue (non-finite training values); the message says why."""


def non_finite_parameters(named: Iterable[tuple[str, torch.Tensor]]) -> list[str]:
    """Names of the parameters holding NaN or inf."""
    import torch

    return [name for name, p in named if not bool(torch.isfinite(p.detach()).all())]


class SkipGuard:
    """Counts skipped updates across iterations; stops the run after ``max_consecutive``."""

    def __init__(self, max_consecutive: int) -> None:
        self.max_consecutive = max_consecutive
        self.consecutive = 0
        self.total = 0

    def after_update(
        self,
        iteration: int,
        metrics: dict[str, float],
        reasons: list[str],
        parameters: Iterable[tuple[str, torch.Tensor]],
    ) -> list[str]:
        """Lines to report for this iteration's update; raises :class:`TrainingStopped`."""
        bad = non_finite_parameters(parameters)
        if bad:
            raise TrainingStopped(
                f"iteration {iteration + 1}: {len(bad)} weights became NaN or inf "
                f"(first: {bad[0]}); nothing is saved from them, the last checkpoint is kept"
            )
        skipped_update = metrics.get("skipped_updates", 0.0) > 0
        self.consecutive = self.consecutive + 1 if skipped_update else 0
        self.total += int(skipped_update)
        metrics["skipped_updates_total"] = float(self.total)
        lines = []
        if reasons:
            steps = int(metrics.get("skipped_steps", 0))
            what = "update skipped" if skipped_update else f"{steps} optimizer step(s) skipped"
            lines.append(f"iteration {iteration + 1}: {what}: " + "; ".join(reasons[:3]))
        if self.max_consecutive and self.consecutive >= self.max_consecutive:
            raise TrainingStopped(
                f"{self.consecutive} consecutive updates skipped for non-finite values (last: "
                f"{'; '.join(reasons[:3])}); stopping at iteration {iteration + 1}. The "
                "checkpoints hold the last finite weights"
            )
        return lines
