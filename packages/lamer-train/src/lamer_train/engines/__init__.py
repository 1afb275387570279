"""Rollout engines: the :class:`Engine` protocol and its implementations."""

from lamer_train.engines.base import ChatMessage, Completion, Engine, SamplingConfig

__all__ = ["ChatMessage", "Completion", "Engine", "SamplingConfig"]
