"""Reflection and action parsing: golden reference cases and our default semantics."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lamer_memory.parsing import (
    ParsedPlay,
    extract_action_text,
    find_tag,
    parse_play,
    parse_reflection,
)

# One copy of the projection cases, kept with the envs' golden files (their README).
GOLDEN = Path(__file__).parents[2] / "lamer-envs" / "tests" / "golden" / "envs"


def _reflect_cases(name: str) -> list[dict]:
    with (GOLDEN / name).open(encoding="utf-8") as f:
        cases = [json.loads(line) for line in f if line.strip()]
    return [c for c in cases if c["phase"] == "reflect"]


SOKOBAN_REFLECT = _reflect_cases("sokoban_projection.jsonl")
MINESWEEPER_REFLECT = _reflect_cases("minesweeper_projection.jsonl")


def test_golden_files_hold_the_documented_number_of_reflect_cases():
    assert len(SOKOBAN_REFLECT) == 12
    assert len(MINESWEEPER_REFLECT) == 13


@pytest.mark.parametrize("case", SOKOBAN_REFLECT, ids=lambda c: c["case_id"])
def test_first_tags_style_reproduces_reference_sokoban_reflection(case):
    parsed = parse_reflection(case["response"], style="first_tags")
    assert parsed.text == case["reflection"]
    assert parsed.is_valid == bool(case["valid"])


@pytest.mark.parametrize("case", MINESWEEPER_REFLECT, ids=lambda c: c["case_id"])
def test_last_tags_style_reproduces_reference_minesweeper_reflection(case):
    parsed = parse_reflection(case["response"], style="last_tags")
    assert parsed.text == case["reflection"]
    assert parsed.is_valid == bool(case["valid"])


@pytest.mark.parametrize(
    ("response", "text", "valid"),
    [
        ("<remark>plan A</remark>", "plan A", True),
        ("<remark>first</remark> <remark>second</remark>", "second", True),
        # A trailing unclosed tag does not hide the last complete block.
        ("<remark>a</remark> <remark>b", "a", True),
        ("no tags at all", "", False),
        ("<remark>unclosed", "", False),
        ("</remark> reversed <remark>", "", False),
        ("<remark>   </remark>", "", False),
        ("<REMARK>upper</REMARK>", "", False),
        ("<remark>outer <remark>inner</remark>", "inner", True),
    ],
)
def test_default_style_takes_last_complete_remark(response, text, valid):
    parsed = parse_reflection(response)
    assert (parsed.text, parsed.is_valid) == (text, valid)


def test_reflection_is_capped_after_stripping():
    parsed = parse_reflection("<remark>  " + "é" * 3000 + "  </remark>", max_chars=2000)
    assert parsed.text == "é" * 2000
    assert parse_reflection("<remark>abcdef</remark>", max_chars=3).text == "abc"


def test_reflection_thought_is_the_text_outside_the_block():
    parsed = parse_reflection("I pushed too early.\n<remark>Go left first.</remark>\nbye")
    assert parsed.thought == "I pushed too early.\n\nbye"
    assert parse_reflection("just thinking ").thought == "just thinking"


def test_non_string_response_is_invalid_not_an_error():
    assert parse_reflection(None).is_valid is False  # type: ignore[arg-type]


def test_find_tag_rejects_unknown_style():
    with pytest.raises(ValueError, match="unknown tag style"):
        find_tag("<remark>x</remark>", "remark", style="middle")  # type: ignore[arg-type]


def test_extract_action_text_strips_last_complete_block():
    assert extract_action_text("<action> up </action> then <action>left</action>") == "left"
    assert extract_action_text("<action>up") is None


def _toy_parser(response: str) -> ParsedPlay:
    text = extract_action_text(response)
    if text in ("up", "down"):
        return ParsedPlay(text, True, "")
    return ParsedPlay(None, False, "")


def test_parse_play_delegates_the_grammar_to_the_env_parser():
    parsed = parse_play("The box is above.\n<action>up</action>", _toy_parser)
    assert (parsed.action, parsed.is_valid) == ("up", True)
    assert parsed.thought == "The box is above."
    bad = parse_play("<action>fly</action>", _toy_parser)
    assert (bad.action, bad.is_valid) == (None, False)


def test_parse_play_keeps_the_env_thought_when_given():
    parsed = parse_play("x", lambda r: ParsedPlay("up", True, "env thought"))
    assert parsed.thought == "env thought"


def test_parse_play_drops_the_action_of_an_invalid_parse():
    parsed = parse_play("x", lambda r: ParsedPlay("<invalid>", False))
    assert parsed.action is None and parsed.is_valid is False
