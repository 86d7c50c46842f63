"""Command line: ``python -m simulation <command>`` (also installed as ``socsim``).

Commands:
  assess        the example households' entitlements for a locality and month
  run           run a scenario file (default data/scenarios/default.yaml: a locality's baseline
                against a 5% standard increase over three years), print a summary, write results
  compare       compare stored results (total cost by year) side by side
  calibrate     fit a locality's free population parameters (simulation.population.calibrate)
  export-excel  write a stored result as an Excel workbook for the finance bureau

Bad input exits with status 2 and a message naming the file, field and value; a failed engine
run exits with status 1 naming the locality, variant and replication.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from simulation.scenarios.scenario import DEFAULT_SCENARIO


def _input_errors() -> tuple[type[BaseException], ...]:
    """Exception types that mean bad input (reported without a traceback)."""
    from simulation.admin.parameters import AdminParameterError
    from simulation.scenarios.results import ResultsError
    from simulation.scenarios.scenario import ScenarioError

    errors: list[type[BaseException]] = [ScenarioError, ResultsError, AdminParameterError, FileNotFoundError]
    for mod, name in (("simulation.policy", "PolicyError"), ("simulation.errors", "InputError"),
                      ("simulation.population.profiles", "ProfileError")):
        try:
            errors.append(getattr(__import__(mod, fromlist=[name]), name))
        except (ImportError, AttributeError):
            pass
    return tuple(errors)


def cmd_assess(args: argparse.Namespace) -> int:
    """Print the example households' entitlements (simulation.rules) for a locality and month."""
    from simulation.policy import load_policy
    from simulation.rules import assess, example_persons, format_assessment
    from simulation.rules.params import standards_text
    from simulation.scenarios.scenario import known_localities, policy_of

    # a population profile id (e.g. china_2021) assesses under the policy it names
    policy = load_policy(policy_of(args.locality) if args.locality in known_localities() else args.locality)
    persons = pd.read_csv(args.persons) if args.persons else example_persons()
    table = assess(persons, policy, month=f"{args.month}-01", source=str(args.persons or "examples"))
    print(f"{args.locality} {policy.name_zh} — entitlements in {args.month} (yuan per month)")
    print(format_assessment(table))
    print(standards_text(policy.at(f"{args.month}-01")))
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    """Run a scenario file and print its summary table; write results (and Excel if asked)."""
    from simulation.scenarios.executors import make_executor
    from simulation.scenarios.runner import EngineUnavailable, run_scenario
    from simulation.scenarios.scenario import load_scenario

    sc = load_scenario(args.scenario)
    changes = {}
    if args.households is not None:
        changes["households"] = args.households
    if args.replications is not None:
        changes["replications"] = args.replications
    if args.months is not None:
        changes["months"] = args.months
    if changes:
        sc = sc.with_changes(**changes)
    if sc.months <= 0 or (sc.households is not None and sc.households <= 0) or sc.replications < 1:
        raise SystemExit("--months, --households and --replications must be positive")
    try:
        import simulation.engine as engine

        if not hasattr(engine, "run"):
            raise EngineUnavailable("simulation.engine has no run() yet")
    except (ImportError, EngineUnavailable) as exc:
        print(f"note: the engine is not available ({exc}); falling back to `assess` for "
              f"{sc.localities[0]} in {sc.start}", file=sys.stderr)
        return cmd_assess(argparse.Namespace(locality=sc.localities[0], month=sc.start, persons=None))
    kind = args.executor or sc.executor
    print(f"scenario {sc.name}: {', '.join(sc.localities)}, {sc.start} + {sc.months} months, "
          f"{sc.households or 'profile'} households, {sc.replications} replication(s), "
          f"{len(sc.variants)} variant(s), executor {kind}", file=sys.stderr)
    with make_executor(kind, args.workers or sc.workers, args.address or sc.address) as ex:
        result = run_scenario(sc, executor=ex, progress=not args.no_progress, output=args.output)
    print(result.summary_text())
    print(f"\nresults: {result.path}")
    if args.excel:
        from simulation.scenarios.excel import write_excel

        out = write_excel(result.tables, {**result.manifest, "run_id": result.path.name if result.path else ""},
                          args.excel)
        print(f"excel: {out}")
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    """Total cost per year (P50, 万元) of stored results side by side, and each minus the first."""
    from simulation.scenarios.results import read_results

    frames = []
    for i, path in enumerate(args.results, start=1):
        stored = read_results(path)
        tb = stored.tables["cost_total_bands"]
        # numbered, so that the same folder given twice stays two rows
        frames.append(tb.assign(run=f"{i}. {stored.manifest.get('scenario')}:{Path(path).name}"))
    table = pd.concat(frames).pivot_table(index=["run", "variant"], columns="year", values="p50", sort=False)
    print("Total cost per year, P50, 万元 (10,000 yuan)")
    print((table / 1e4).round(1).to_string())
    if len(table) > 1:
        print("\nminus the first row, 万元")
        print(((table - table.iloc[0]) / 1e4).round(1).to_string())
    return 0


def cmd_calibrate(args: argparse.Namespace) -> int:
    """Delegate to ``simulation.population.calibrate.main`` (its arguments pass through)."""
    from simulation.population.calibrate import main as calibrate_main

    return int(calibrate_main(list(args.calibrate_args)))


def cmd_export_excel(args: argparse.Namespace) -> int:
    """Write a stored result as an Excel workbook."""
    from simulation.scenarios.excel import write_excel
    from simulation.scenarios.results import read_results

    stored = read_results(args.result)
    out = Path(args.output) if args.output else stored.path.parent / f"{stored.path.name}.xlsx"
    write_excel(stored.tables, stored.manifest, out)
    print(f"excel: {out}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (one sub-command per job)."""
    p = argparse.ArgumentParser(prog="socsim", description="Social assistance (社会救助) fiscal simulation")
    sub = p.add_subparsers(dest="command", required=True)

    a = sub.add_parser("assess", help="example households' entitlements for a locality and month")
    a.add_argument("--locality", required=True)
    a.add_argument("--month", required=True, help="YYYY-MM")
    a.add_argument("--persons", help="a person table CSV (docs/contracts.md §2); default: the examples")
    a.set_defaults(fn=cmd_assess)

    r = sub.add_parser("run", help="run a scenario file and print a summary")
    r.add_argument("scenario", nargs="?", default=str(DEFAULT_SCENARIO),
                   help="a scenario YAML file, or a results folder to re-run the scenario it recorded")
    r.add_argument("--households", type=int, help="override the population size")
    r.add_argument("--replications", type=int, help="override the number of replications")
    r.add_argument("--months", type=int, help="override the horizon")
    r.add_argument("--executor", choices=["serial", "process", "dask"])
    r.add_argument("--workers", type=int)
    r.add_argument("--address", help="Dask scheduler address (default: a LocalCluster)")
    r.add_argument("--output", help="results folder (default: the scenario's output)")
    r.add_argument("--excel", help="also write an Excel workbook here")
    r.add_argument("--no-progress", action="store_true", help="no progress bar")
    r.set_defaults(fn=cmd_run)

    c = sub.add_parser("compare", help="compare stored results side by side")
    c.add_argument("results", nargs="+", help="result folders written by `run`")
    c.set_defaults(fn=cmd_compare)

    k = sub.add_parser("calibrate", help="calibrate a locality's population (simulation.population.calibrate)",
                       description="Arguments pass to simulation.population.calibrate: "
                                   "<locality|all> [--check] [--no-write] [--n-households N]")
    k.add_argument("calibrate_args", nargs=argparse.REMAINDER)
    k.set_defaults(fn=cmd_calibrate)

    e = sub.add_parser("export-excel", help="write a stored result as an Excel workbook")
    e.add_argument("result", help="a result folder written by `run`")
    e.add_argument("-o", "--output", help="the .xlsx file (default: beside the result folder)")
    e.set_defaults(fn=cmd_export_excel)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status (2 for bad input)."""
    from simulation.scenarios.runner import TaskError

    args = build_parser().parse_args(argv)
    try:
        return int(args.fn(args))
    except _input_errors() as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except TaskError as exc:
        print(f"error: {exc}\nno results were written; earlier results are untouched", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
