"""The engine benchmark of this working tree and of a reference commit, run in turns.

The machines here are shared: the same code has measured 20.4 M household-months/s one day and
7.4 M the next (``bench_engine.py`` at aa8d0f6, 2026-11-22 and 2026-12-03). A figure alone
cannot say whether a change made the engine slower or the machine was busy. This script runs
``benchmarks/bench_engine.py`` (1 M households × 120 months by default) for the working tree and
for ``--reference`` (checked out into a temporary git worktree, removed after) in alternation,
``--rounds`` times each, and prints every figure, the medians and their ratio. The reference's
first run compiles its kernels (a few minutes, not timed).

Usage: python benchmarks/bench_against.py [--reference aa8d0f6] [--rounds 3]
                                          [--households 1000000] [--months 120]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: The line of ``bench_engine.py``'s output with the engine's figure (set-up included).
RATE = re.compile(r"-> ([0-9.]+) M household-months/s")


def engine_rate(tree: Path, households: int, months: int) -> float:
    """``bench_engine.py`` of ``tree`` run with ``tree`` first on the import path: the engine's
    M household-months/s, set-up included (its first figure)."""
    env = dict(os.environ, PYTHONPATH=str(tree))
    cmd = [sys.executable, str(tree / "benchmarks" / "bench_engine.py"), "--households",
           str(households), "--months", str(months), "--agents", "200", "--agent-months", "1"]
    out = subprocess.run(cmd, cwd=tree, env=env, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"bench_engine.py failed in {tree}:\n{out.stderr[-2000:]}")
    found = RATE.search(out.stdout)
    if found is None:
        raise SystemExit(f"no household-months/s figure in the output of {tree}:\n{out.stdout}")
    return float(found.group(1))


def main() -> None:
    """Run both in turns and print the figures."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reference", default="aa8d0f6",
                    help="commit to compare with (default: the code that measured 20.4 M "
                         "household-months/s on 2026-11-22)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--households", type=int, default=1_000_000)
    ap.add_argument("--months", type=int, default=120)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-reference-") as tmp:
        ref = Path(tmp) / "tree"
        subprocess.run(["git", "worktree", "add", "--detach", str(ref), args.reference], cwd=ROOT,
                       check=True, capture_output=True)
        try:
            print(f"compiling the reference's kernels ({args.reference}, once) ...", flush=True)
            engine_rate(ref, 2_000, 2)
            engine_rate(ROOT, 2_000, 2)
            current: list[float] = []
            reference: list[float] = []
            for k in range(args.rounds):
                current.append(engine_rate(ROOT, args.households, args.months))
                reference.append(engine_rate(ref, args.households, args.months))
                print(f"round {k + 1}: this tree {current[-1]:.1f}, reference {reference[-1]:.1f} "
                      "M household-months/s", flush=True)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(ref)], cwd=ROOT,
                           capture_output=True)
    c, r = statistics.median(current), statistics.median(reference)
    print(f"median over {args.rounds} rounds, {args.households:,} households × {args.months} "
          f"months: this tree {c:.1f}, {args.reference} {r:.1f} M household-months/s; "
          f"ratio {c / r:.2f}")


if __name__ == "__main__":
    main()
