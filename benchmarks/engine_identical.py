"""Check that a change to the engine keeps its results identical to the bit.

``--save DIR`` runs the engine on six profiles (the five localities and ``china_2021`` from their
calibration target month for 36 months, seeds 1 and 2; ``china_2018`` from 2018-02 for 47 months,
seed 1) on 3,000 generated households each, and saves every final state array
(``model.persons`` and ``model.households`` fields) and the monthly table. ``--check DIR`` runs
the same and compares: arrays with ``np.array_equal``, tables with
``pd.testing.assert_frame_equal`` (exact). Prints one line per run and exits 1 on a difference.

``--existing`` (with ``--check``) compares only what the saved results have: the saved arrays,
and the saved programmes' rows and columns of the monthly table; new arrays, programmes and
columns are listed, not compared. It checks that an engine change adding outputs (for example
the special-assistance programmes of issue 12) leaves every existing result identical.

``--set PATH=VALUE`` (repeatable) runs the check under a policy change from each run's start,
e.g. ``--set admin.review_lag=false`` (a review the offices have no hours for waits, or not).
On a difference the check names the monthly table's columns that differ.

Usage: python benchmarks/engine_identical.py (--save DIR | --check DIR [--existing]) [--set PATH=VALUE ...]
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import fields
from pathlib import Path

import numpy as np
import pandas as pd

from simulation.engine.model import SimulationModel
from simulation.policy import load_policy
from simulation.population import generate, load_profile

LOCALITIES = ("qijiang", "jiaohe", "lanzhou_xinqu", "boshan", "china_2021")


def cases() -> list[tuple[str, str, int, int]]:
    """(profile, start month, months, seed) of every run compared."""
    out = []
    for name in LOCALITIES:
        start = load_profile(name).target_date[:7]
        out += [(name, start, 36, seed) for seed in (1, 2)]
    out.append(("china_2018", "2018-02", 47, 1))
    return out


def _value(text: str) -> object:
    """A ``--set`` value: true/false, a number, else the text."""
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return text


def run_case(name: str, start: str, months: int, seed: int,
             changes: dict[str, object] | None = None) -> tuple[dict, pd.DataFrame]:
    """The final state arrays (``persons.*``, ``households.*``) and the monthly table."""
    profile = load_profile(name)
    pop = generate(profile, 3000, seed=1)
    reforms = [{path: {f"{start}-01": {"value": v, "reference": "reform: engine_identical --set"}}
                for path, v in (changes or {}).items()}]
    model = SimulationModel(pop, load_policy(profile.policy, reforms=reforms if changes else None),
                            start=start, months=months, seed=seed)
    model.run_for(months)
    arrays = {}
    for prefix, obj in (("persons", model.persons), ("households", model.households)):
        for f in fields(obj):
            arrays[f"{prefix}.{f.name}"] = np.asarray(getattr(obj, f.name))
    return arrays, model.result().monthly


def main() -> int:
    """Save or check the reference results; 1 if any differs."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--save", type=Path)
    mode.add_argument("--check", type=Path)
    parser.add_argument("--existing", action="store_true",
                        help="compare only the saved arrays, programmes and columns")
    parser.add_argument("--set", action="append", default=[], metavar="PATH=VALUE",
                        help="a policy change from each run's start (repeatable)")
    args = parser.parse_args()
    changes = {}
    for item in args.set:
        path, sep, text = item.partition("=")
        if not sep:
            parser.error(f"--set expects PATH=VALUE, got {item!r}")
        changes[path] = _value(text)
    folder = args.save or args.check
    folder.mkdir(parents=True, exist_ok=True)
    failed = 0
    for name, start, months, seed in cases():
        tag = f"{name}_{start}_{months}_s{seed}"
        arrays, monthly = run_case(name, start, months, seed, changes)
        if args.save:
            np.savez(folder / f"{tag}.npz", **arrays)
            monthly.to_pickle(folder / f"{tag}.pkl")
            print(f"{tag}: saved {len(arrays)} arrays, monthly {monthly.shape}")
            continue
        ref = np.load(folder / f"{tag}.npz")
        different = [k for k in ref.files if k not in arrays or not np.array_equal(
            ref[k], arrays[k]) or ref[k].dtype != arrays[k].dtype]
        new = [k for k in arrays if k not in ref.files]
        saved = pd.read_pickle(folder / f"{tag}.pkl")
        if args.existing:
            new_rows = sorted(set(monthly["programme"]) - set(saved["programme"]))
            new_cols = [c for c in monthly.columns if c not in saved.columns]
            monthly = monthly[monthly["programme"].isin(set(saved["programme"]))]
            monthly = monthly[list(saved.columns)].reset_index(drop=True)
            print(f"{tag}: new arrays {new}, programmes {new_rows}, columns {new_cols} "
                  "(not compared)")
        else:
            different += new
        try:
            pd.testing.assert_frame_equal(monthly, saved, check_exact=True)
            table = "monthly identical"
        except AssertionError as exc:
            columns = [c for c in saved.columns if c in monthly.columns and not
                       monthly[c].equals(saved[c])] if monthly.shape == saved.shape else []
            table = (f"monthly DIFFERS in {', '.join(columns)}" if columns
                     else f"monthly DIFFERS: {str(exc).splitlines()[0]}")
            failed += 1
        failed += bool(different)
        print(f"{tag}: {len(ref.files) - len(set(different) & set(ref.files))}/{len(ref.files)} "
              f"arrays equal{' (different: ' + ', '.join(different) + ')' if different else ''}; "
              f"{table}")
    if args.check:
        print("ALL IDENTICAL" if not failed else f"{failed} DIFFERENCES")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
