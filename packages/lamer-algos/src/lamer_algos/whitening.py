"""Masked whitening over all valid tokens of a batch, as the reference applies it."""

from __future__ import annotations

import numpy as np

#: The reference adds this to the token count (in the mean) and to the variance.
WHITEN_EPS = 1e-8


def masked_whiten(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Shift and scale ``values`` to mean 0 and unit (unbiased) variance over masked tokens.

    With ``N = sum(mask)``::

        mu  = sum(x * mask) / (N + 1e-8)
        var = sum((x - mu)^2 * mask) / (N + 1e-8) * N / (N - 1)
        out = (x - mu) / sqrt(var + 1e-8)

    Every position is transformed, valid or not (callers re-mask when they need to).
    The ``1e-8`` terms make a constant input give a tiny non-zero output in float64;
    reproduced on purpose.

    Args:
        values: float ``(bs, T)``; mask: 0/1 ``(bs, T)``.

    Raises:
        ValueError: fewer than 2 valid tokens (the unbiased variance is undefined).
    """
    mask = np.asarray(mask, dtype=np.float64)
    count = mask.sum()
    if count < 2:
        raise ValueError(
            f"whitening needs at least 2 valid tokens in the batch, got {count:g}; "
            "check response_mask"
        )
    mean = (values * mask).sum() / (count + WHITEN_EPS)
    centred = values - mean
    variance = (centred * centred * mask).sum() / (count + WHITEN_EPS) * (count / (count - 1))
    return centred / np.sqrt(variance + WHITEN_EPS)
