"""ALFWorld: household text tasks, playable offline.

- :mod:`~lamer_envs.alfworld.simulator`: our engine for ALFWorld 0.4's text semantics
  (reproduces the real engine's transcripts exactly);
- :mod:`~lamer_envs.alfworld.generator` and :mod:`~lamer_envs.alfworld.planner`:
  generated scenes and tasks of the six task types, each with an expert plan;
- :mod:`~lamer_envs.alfworld.splits`: task-type (ID/OOD) and floor-plan splits;
- :mod:`~lamer_envs.alfworld.real_backend`: game files in ALFWorld's format played on
  the real engine, when installed;
- :mod:`~lamer_envs.alfworld.export`: our games written in ALFWorld's file format;
- :mod:`~lamer_envs.alfworld.env`: ``ALFWorldEnv`` (``lamer/ALFWorld-v0``).
"""
