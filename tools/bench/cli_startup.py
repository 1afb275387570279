"""How long ``lamer-train`` takes to answer before any work: help, show-config, list and
config errors (target: < 2 s each).

    uv run python tools/bench/cli_startup.py            # 5 runs of each command
    uv run python tools/bench/cli_startup.py --runs 10

Each command runs in a fresh interpreter (``python -m lamer_train.cli``), as a user's
would. Printed per command: the median wall time and CPU time (user + system) of the
process, and the ratio to a reference measured in the same run: importing torch and
transformers, which every command paid before configs became torch-free. On a shared
machine wall time includes waiting for a core; CPU time does not.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

#: name -> (arguments, expected exit code: 2 = config error, which must never start a run)
COMMANDS = {
    "--help": (["--help"], 0),
    "show-config": (["show-config"], 0),
    "show-config --config lamer_webshop": (["show-config", "--config", "lamer_webshop"], 0),
    "list": (["list"], 0),
    "config error (bad value)": (["trial.group_size=-1"], 2),
    "config error (estimator params)": (["algorithm.estimator_params.mode=nonsense"], 2),
    "config error (env kwargs)": (["env.kwargs.num_boxes=0"], 2),
}
REFERENCE = [sys.executable, "-c", "import torch, transformers"]


def _time(command: list[str], runs: int, expected: int = 0) -> tuple[float, float]:
    walls, cpus = [], []
    for _ in range(runs):
        before = os.times()
        started = time.perf_counter()
        code = subprocess.run(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120
        ).returncode
        if code != expected:
            raise SystemExit(f"{command} exited with {code}, expected {expected}")
        walls.append(time.perf_counter() - started)
        after = os.times()
        cpus.append(
            (after.children_user - before.children_user)
            + (after.children_system - before.children_system)
        )
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        os.chdir(folder)  # a config error must not leave a run folder behind: check it
        ref_wall, ref_cpu = _time(REFERENCE, args.runs)
        print(
            f"{'reference: import torch, transformers':42s} wall {ref_wall:5.2f}s  cpu {ref_cpu:5.2f}s"
        )
        for name, (argv, expected) in COMMANDS.items():
            command = [sys.executable, "-m", "lamer_train.cli", *argv]
            wall, cpu = _time(command, args.runs, expected)
            print(
                f"{'lamer-train ' + name:42s} wall {wall:5.2f}s  cpu {cpu:5.2f}s  "
                f"({wall / ref_wall:.2f}x the reference's wall time)"
            )
        assert not os.listdir(folder), f"left behind: {os.listdir(folder)}"


if __name__ == "__main__":
    main()
