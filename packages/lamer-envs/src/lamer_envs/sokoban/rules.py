"""Prompt texts of the Sokoban env (our own words)."""

from __future__ import annotations


def sokoban_rules(num_actions_per_turn: int) -> str:
    """Rules of the puzzle and the meaning of every map symbol."""
    return (
        "You are playing Sokoban, a box-pushing puzzle on a grid seen from above.\n"
        "Goal: move every box onto a target square.\n"
        "Map symbols: '#' wall, '_' empty floor, 'O' empty target, 'X' box, "
        "'√' box sitting on a target, 'P' you, 'S' you standing on a target.\n"
        "Each line of the map starts with its row number; row 0 is at the top.\n"
        "Moves: up (row - 1), down (row + 1), left (column - 1), right (column + 1).\n"
        "Walking into a box pushes it one square in the same direction, but only if the "
        "square behind it is floor or an empty target. You cannot pull boxes, push two "
        "boxes at once, or walk through walls.\n"
        "A box pushed into a corner or against a wall may never reach a target; such a "
        "position ends the game as lost.\n"
        f"You may send up to {num_actions_per_turn} moves per turn; they run in order and "
        "stop early if the game ends.\n"
        "Rewards: -0.1 per move, +1 for putting a box on a target, -1 for taking one off, "
        "+10 when all boxes are on targets."
    )


def sokoban_action_format(num_actions_per_turn: int) -> str:
    """How to write a turn's moves."""
    return (
        f"Write up to {num_actions_per_turn} moves, separated by commas, inside "
        "<action></action>, using the words up, down, left, right. "
        "For example: <action>up, left</action>"
    )
