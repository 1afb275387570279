"""The one layout in which the actor and the critic score (prompt, response) rows.

Prompts are left-padded to one width ``P`` and responses right-padded to ``R``, so the
position that predicts response token ``j`` (and holds the state before it) is
``P - 1 + j`` for every row; the last ``R + 1`` positions cover all of them. Position
ids count real tokens only, so a row's RoPE phases do not depend on its batch's padding.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch


@dataclass(frozen=True, slots=True)
class PackedRows:
    """Model inputs of a micro-batch of rows, all on one device."""

    input_ids: torch.Tensor
    """long ``(rows, P + R)``."""
    attention_mask: torch.Tensor
    """long ``(rows, P + R)``: 1 on real tokens."""
    position_ids: torch.Tensor
    """long ``(rows, P + R)``."""
    response_mask: torch.Tensor
    """float32 ``(rows, R)``: 1 on real response tokens."""
    prompt_width: int
    """``P``."""


def pack_rows(
    rows: Sequence[tuple[Sequence[int], Sequence[int], ...]],
    pad_id: int,
    device: torch.device | str = "cpu",
) -> PackedRows:
    """Pack ``(prompt_ids, response_ids, ...)`` rows (extra items ignored)."""
    prompt_width = max(len(row[0]) for row in rows)
    response_width = max(len(row[1]) for row in rows)
    width = prompt_width + response_width
    input_ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    attention_mask = torch.zeros((len(rows), width), dtype=torch.long)
    response_mask = torch.zeros((len(rows), response_width), dtype=torch.float32)
    for slot, (prompt, response, *_) in enumerate(rows):
        start = prompt_width - len(prompt)
        input_ids[slot, start:prompt_width] = torch.as_tensor(list(prompt), dtype=torch.long)
        end = prompt_width + len(response)
        input_ids[slot, prompt_width:end] = torch.as_tensor(list(response), dtype=torch.long)
        attention_mask[slot, start:end] = 1
        response_mask[slot, : len(response)] = 1.0
    position_ids = (attention_mask.cumsum(-1) - 1).clamp(min=0)
    return PackedRows(
        input_ids=input_ids.to(device),
        attention_mask=attention_mask.to(device),
        position_ids=position_ids.to(device),
        response_mask=response_mask.to(device),
        prompt_width=prompt_width,
    )


def pad_tensors(rows: Sequence[torch.Tensor], width: int, device: torch.device) -> torch.Tensor:
    """Right-pad 1-D tensors with zeros into float32 ``(len(rows), width)``."""
    out = torch.zeros((len(rows), width), dtype=torch.float32, device=device)
    for slot, row in enumerate(rows):
        out[slot, : len(row)] = torch.as_tensor(row, dtype=torch.float32).to(device)
    return out


def micro_batches(
    rows: Sequence[int],
    samples: Sequence[tuple[Sequence[int], ...]],
    size: int,
    *,
    max_tokens: int | None = None,
    by_length: bool = True,
) -> list[list[int]]:
    """Row indices cut into micro-batches: ``size`` rows each, or, with ``max_tokens``,
    as many rows as fit in that many padded tokens.

    Rows are first grouped by total length (less padding; ties keep index order, so the
    split is deterministic), or kept in order with ``by_length=False``. Under a token
    budget a micro-batch of rows costs ``rows x (P + R)`` tokens in the
    :func:`pack_rows` layout (``P`` its longest prompt, ``R`` its longest response);
    rows are added greedily while that stays within ``max_tokens``, and a row longer
    than the budget forms a micro-batch alone.
    """
    ordered = list(rows)
    if by_length:
        ordered = sorted(ordered, key=lambda i: (len(samples[i][0]) + len(samples[i][1]), i))
    if max_tokens is None:
        return [ordered[i : i + size] for i in range(0, len(ordered), size)]
    chunks: list[list[int]] = []
    current: list[int] = []
    prompt_width = response_width = 0
    for index in ordered:
        prompt, response = len(samples[index][0]), len(samples[index][1])
        wider_prompt, wider_response = max(prompt_width, prompt), max(response_width, response)
        if current and (len(current) + 1) * (wider_prompt + wider_response) > max_tokens:
            chunks.append(current)
            current, wider_prompt, wider_response = [], prompt, response
        current.append(index)
        prompt_width, response_width = wider_prompt, wider_response
    if current:
        chunks.append(current)
    return chunks
