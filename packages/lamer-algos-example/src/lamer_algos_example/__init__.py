"""lamer_algos_example: a third-party estimator package, as a template to copy."""

from lamer_algos_example.median_baseline import median_baseline

__version__ = "0.1.0"

__all__ = ["median_baseline"]
