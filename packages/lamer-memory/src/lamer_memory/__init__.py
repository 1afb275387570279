"""lamer_memory."""

__version__ = "0.1.0"
