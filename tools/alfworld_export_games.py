"""Export generated ALFWorld games in ALFWorld's own format, to cross-check them on the
original ALFWorld stack.

    uv run python tools/alfworld_export_games.py --out DIR [--games 20] [--split train]
        [--first-seed 0] [--verify]

Writes the games that ``ALFWorldEnv(split=SPLIT)`` plays for seeds ``first-seed`` ..
``first-seed + games - 1`` under ``DIR/json_2.1.1/<train|valid_unseen>/<task dir>/<trial>/``
(``game.tw-pddl``, ``traj_data.json``, ``initial_state.pddl``), as ALFWorld's own data is
laid out. Play them with ALFWorld (``alfworld-play-tw <game folder> --domain
<alfworld>/data/alfred.pddl --grammar <alfworld>/data/alfred.twl2``, or ALFWorld's
``AlfredTWEnv`` with its data path set to the split folder), or with
``ALFWorldEnv(backend="real", data_path=DIR, split=SPLIT)`` (it draws its own game per
seed among the files). ``--verify`` replays each game's walkthrough (the built-in
planner's solution) on the real engine and reports whether it wins.

Needs ``lamer-envs[alfworld]``: the domain and grammar come from the installed
``alfworld`` package.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

from lamer_envs.alfworld.export import alfworld_logic, split_folder, write_game
from lamer_envs.alfworld.generator import generate_game
from lamer_envs.alfworld.splits import SPLIT_NAMES, make_split


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True, help="data folder to write (ALFWORLD_DATA style)")
    parser.add_argument("--games", type=int, default=20, help="how many games (default 20)")
    parser.add_argument("--split", default="train", choices=SPLIT_NAMES)
    parser.add_argument("--first-seed", type=int, default=0, help="seed of the first game")
    parser.add_argument(
        "--verify", action="store_true", help="replay each walkthrough on the real engine"
    )
    args = parser.parse_args(argv)
    if args.games < 1 or args.first_seed < 0:
        parser.error("--games must be >= 1 and --first-seed >= 0")
    try:
        logic = alfworld_logic()
    except ImportError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2

    split = make_split(args.split)
    folder = split_folder(args.split)
    written, types = [], Counter()
    for seed in range(args.first_seed, args.first_seed + args.games):
        # The same game ALFWorldEnv(split=...) plays for this seed.
        game = generate_game(seed, split.task_types, split.floorplans, stream=split.name)
        written.append((game, write_game(game, args.out, folder=folder, logic=logic)))
        types[game.task.task_type.short_name] += 1
    root = Path(args.out) / "json_2.1.1" / folder
    print(f"wrote {len(written)} games under {root} ({dict(sorted(types.items()))})")

    if args.verify:
        from lamer_envs.alfworld.real_backend import RealGame

        failures = 0
        for game, game_file in written:
            real = RealGame(game_file, max_steps=len(game.metadata["expert_plan"]))
            real.reset()
            won = any(real.step(command).won for command in game.metadata["expert_plan"])
            failures += not won
            print(f"  {'won ' if won else 'LOST'} {game_file.parent.relative_to(root)}")
        print(f"real engine: {len(written) - failures}/{len(written)} walkthroughs win")
        return 1 if failures else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
