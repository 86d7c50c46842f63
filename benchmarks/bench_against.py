"""The engine benchmark of this working tree and of a reference commit, run in turns.

The machines here are shared: the same code has measured 20.4 M household-months/s one day and
7.4 M the next (``bench_engine.py`` at aa8d0f6, 2026-11-22 and 2026-12-03). A figure alone
cannot say whether a change made the engine slower or the machine was busy. This script runs
``benchmarks/bench_engine.py`` (1 M households × 120 months by default) for the working tree and
for ``--reference`` (checked out into a temporary git worktree, removed after) in alternation,
``--rounds`` times each, and prints every figure, the medians and their ratio. The reference's
first run compiles its kernels (a few minutes, not timed).

Beside each rate it prints the run's CPU time, which the hypervisor's steal does not count, and
the steal share of the run (``benchmarks/machine.py``): on 2026-12-03 the host took up to half of
the time the vCPUs had work, so wall-time rates of the two trees can differ by the steal alone;
their CPU times tell the code apart more closely.

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

from machine import Steal  # benchmarks/machine.py

ROOT = Path(__file__).resolve().parents[1]
#: The line of ``bench_engine.py``'s output with the engine's figure (set-up included).
RATE = re.compile(r"-> ([0-9.]+) M household-months/s")
#: The line with the engine run's CPU time (every thread).
CPU = re.compile(r"CPU time ([0-9.]+) s over")


def engine_rate(tree: Path, households: int, months: int) -> tuple[float, float, float]:
    """``bench_engine.py`` of ``tree`` run with ``tree`` first on the import path: the engine's
    M household-months/s (set-up included, its first figure), the engine run's CPU seconds and
    the steal share over the whole script."""
    env = dict(os.environ, PYTHONPATH=str(tree))
    cmd = [sys.executable, str(tree / "benchmarks" / "bench_engine.py"), "--households",
           str(households), "--months", str(months), "--agents", "200", "--agent-months", "1"]
    steal = Steal.start()
    out = subprocess.run(cmd, cwd=tree, env=env, capture_output=True, text=True)
    stolen = steal.share()
    if out.returncode != 0:
        raise SystemExit(f"bench_engine.py failed in {tree}:\n{out.stderr[-2000:]}")
    found, cpu = RATE.search(out.stdout), CPU.search(out.stdout)
    if found is None or cpu is None:
        raise SystemExit(f"no household-months/s or CPU time figure in the output of {tree}:\n"
                         f"{out.stdout}")
    return float(found.group(1)), float(cpu.group(1)), stolen


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
            current: list[tuple[float, float, float]] = []
            reference: list[tuple[float, float, float]] = []
            for k in range(args.rounds):
                current.append(engine_rate(ROOT, args.households, args.months))
                reference.append(engine_rate(ref, args.households, args.months))
                (c_rate, c_cpu, c_steal), (r_rate, r_cpu, r_steal) = current[-1], reference[-1]
                print(f"round {k + 1}: this tree {c_rate:.1f} M household-months/s (CPU {c_cpu:.1f} s, "
                      f"steal {c_steal:.0%}), reference {r_rate:.1f} (CPU {r_cpu:.1f} s, steal "
                      f"{r_steal:.0%})", flush=True)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(ref)], cwd=ROOT,
                           capture_output=True)
    c, r = (statistics.median(x[0] for x in current), statistics.median(x[0] for x in reference))
    c_cpu, r_cpu = (statistics.median(x[1] for x in current), statistics.median(x[1] for x in reference))
    print(f"median over {args.rounds} rounds, {args.households:,} households × {args.months} "
          f"months: this tree {c:.1f}, {args.reference} {r:.1f} M household-months/s; "
          f"ratio {c / r:.2f}; CPU time {c_cpu:.1f} s against {r_cpu:.1f} s (ratio {r_cpu / c_cpu:.2f}, "
          "above 1 when this tree needs less)")


if __name__ == "__main__":
    main()
