"""Command line: ``python -m simulation <command>`` (also installed as ``socsim``).

Commands:
  assess        the example households' entitlements for a locality and month
  run           run a scenario file (default data/scenarios/default.yaml: a locality's baseline
                against a 5% standard increase over three years), print a summary, write results
  compare       compare stored results (total cost by year) side by side
  calibrate     fit a locality's free population parameters (simulation.population.calibrate)
  export-excel  write a stored result as an Excel workbook for the finance bureau

Bad input (a `LoadError`: file, line or field, value, what was expected; or a bad argument)
exits with status 2 and a message of one or a few lines, without a traceback (``--debug`` shows
it); a failed engine run exits with status 1 naming the locality, variant and replication; Ctrl-C
exits with status 130, and a results folder is only ever renamed into place complete.
"""

from __future__ import annotations

import argparse
import re
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from simulation.errors import LoadError
from simulation.scenarios.scenario import DEFAULT_SCENARIO

#: Tables `export-excel` always writes (the others only when the run has them).
EXCEL_TABLES = ("cost_year_bands", "coverage_year_bands", "staffing_year_bands",
                "staffing_queue_summary", "parameters")
#: Exit status after Ctrl-C (128 + SIGINT, as shells report it).
EXIT_INTERRUPTED = 130


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line (no usage block) and exit 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"error: {self.prog}: {message} (see {self.prog} --help)\n")


def _positive(text: str) -> int:
    """A whole number > 0 (households, replications, months, workers)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number > 0, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a whole number > 0, got {value}")
    return value


def _month(text: str) -> str:
    """A calendar month YYYY-MM."""
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", text):
        raise argparse.ArgumentTypeError(f"expected a month YYYY-MM, got {text!r}")
    return text


def cmd_assess(args: argparse.Namespace) -> int:
    """Print the example households' entitlements (simulation.rules) for a locality and month."""
    from simulation.policy import load_policy
    from simulation.rules import assess, example_persons, format_assessment
    from simulation.rules.params import standards_text
    from simulation.scenarios.scenario import known_localities, policy_of

    # a population profile id (e.g. china_2021) assesses under the policy it names
    policy = load_policy(policy_of(args.locality) if args.locality in known_localities() else args.locality)
    if args.persons:
        from simulation.population.columns import read_persons

        persons = read_persons(args.persons)
    else:
        persons = example_persons()
    table = assess(persons, policy, month=f"{args.month}-01", source=str(args.persons or "examples"))
    print(f"{args.locality} {policy.name_zh} — entitlements in {args.month} (yuan per month)")
    print(format_assessment(table))
    print(standards_text(policy.at(f"{args.month}-01")))
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    """Run a scenario file and print its summary table; write results (and Excel if asked)."""
    from simulation.loading import check_writable_folder
    from simulation.scenarios.executors import make_executor
    from simulation.scenarios.increase import with_increases
    from simulation.scenarios.runner import EngineUnavailable, run_scenario
    from simulation.scenarios.scenario import load_scenario

    sc = load_scenario(args.scenario)
    if args.increase:
        sc = with_increases(sc, args.increase)
    changes = {}
    if args.households is not None:
        changes["households"] = args.households
    if args.replications is not None:
        changes["replications"] = args.replications
    if args.months is not None:
        changes["months"] = args.months
    if changes:
        sc = sc.with_changes(**changes)
    # refused before hours of simulation, not at the end
    check_writable_folder(args.output or sc.output, "results folder")
    if args.excel:
        check_writable_folder(Path(args.excel).parent, "folder of the Excel file")
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
        result = run_scenario(sc, executor=ex, progress=not args.no_progress, output=args.output,
                              relative_line=args.relative_line)
    print(result.summary_text())
    print(f"\nresults: {result.path}")
    if args.excel:
        from simulation.scenarios.excel import write_excel

        out = write_excel(result.tables, {**result.manifest, "run_id": result.path.name if result.path else ""},
                          args.excel)
        print(f"excel: {out}")
    return 0


#: Manifest fields that must agree for two runs' replications to share populations and draws.
PAIRED_FIELDS = ("localities", "start", "months", "population", "seed", "replications")


def cmd_compare(args: argparse.Namespace) -> int:
    """Each stored result's cost and extra cost (万元, P50 [P10–P90], the run's own headline), then
    each run's variants minus the first run's baseline, paired by replication when the runs share
    populations and draws."""
    from simulation.scenarios import summary as S
    from simulation.scenarios.results import read_results
    from simulation.scenarios.runner import headline_lines

    runs = []
    for i, path in enumerate(args.results, start=1):
        stored = read_results(path)
        baseline = S.baseline_of(stored.manifest)
        tables = S.with_headline(stored.tables, baseline)
        name = f"{i}. {stored.manifest.get('scenario')}:{Path(path).name}"
        runs.append((name, stored.manifest, tables["replication_totals"], baseline))
        print(name)
        print("\n".join(headline_lines(tables["headline"], baseline)))
        print()
    if len(runs) > 1:
        first_name, first_manifest, first_totals, first_base = runs[0]
        print(f"Each run's variants minus {first_name} {first_base}, paired by replication, 万元: P50 [P10–P90]")
        ref = first_totals[first_totals["variant"] == first_base]
        for name, manifest, totals, _ in runs[1:]:
            differs = [f for f in PAIRED_FIELDS if manifest.get(f) != first_manifest.get(f)]
            if differs:
                print(f"{name}: not paired with the first run (different {', '.join(differs)}); "
                      "compare their own extra-cost figures above")
                continue
            head = S.headline(S.add_extra(totals[["variant", "replication", "period", "cost"]], ref))
            print(name)
            print("\n".join(headline_lines(head, first_base, parts=("extra",))))
    return 0


def cmd_calibrate(args: argparse.Namespace) -> int:
    """Delegate to ``simulation.population.calibrate.main`` (its arguments pass through)."""
    from simulation.population.calibrate import main as calibrate_main

    return int(calibrate_main(list(args.calibrate_args)))


def cmd_export_excel(args: argparse.Namespace) -> int:
    """Write a stored result as an Excel workbook."""
    from simulation.loading import check_writable_folder
    from simulation.scenarios.excel import write_excel
    from simulation.scenarios.results import read_results

    stored = read_results(args.result, require=EXCEL_TABLES)
    out = Path(args.output) if args.output else stored.path.parent / f"{stored.path.name}.xlsx"
    check_writable_folder(out.parent, "folder of the Excel file")
    write_excel(stored.tables, stored.manifest, out)
    print(f"excel: {out}")
    return 0


def cmd_project(args: argparse.Namespace) -> int:
    """The baseline projection (simulation.scenarios.projection)."""
    from simulation.scenarios.projection import main as project_main

    return project_main(args.project_args)


def _increase(text: str) -> object:
    """argparse type for ``--increase``: a bad value exits 2 with the reason."""
    from simulation.scenarios.increase import IncreaseError, parse_increase

    try:
        return parse_increase(text)
    except IncreaseError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _share(text: str) -> float:
    """argparse type: a share strictly between 0 and 1."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0.0 < value < 1.0:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a share between 0 and 1, e.g. 0.5")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (one sub-command per job)."""
    # --debug is accepted before or after the command
    debug = _Parser(add_help=False)
    debug.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                       help="show the traceback of an error")
    p = _Parser(prog="socsim", description="Social assistance (社会救助) fiscal simulation",
                parents=[debug])
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    a = sub.add_parser("assess", help="example households' entitlements for a locality and month",
                       parents=[debug])
    a.add_argument("--locality", required=True)
    a.add_argument("--month", required=True, type=_month, help="YYYY-MM")
    a.add_argument("--persons", help="a person table, CSV (UTF-8, GBK or UTF-16) or .xlsx "
                   "(docs/contracts.md §2); default: the examples")
    a.set_defaults(fn=cmd_assess)

    r = sub.add_parser("run", help="run a scenario file and print a summary", parents=[debug])
    r.add_argument("scenario", nargs="?", default=str(DEFAULT_SCENARIO),
                   help="a scenario YAML file, or a results folder to re-run the scenario it recorded")
    r.add_argument("--increase", nargs="+", type=_increase, metavar="CHANGE",
                   help="replace the scenario's reforms by dibao standard increases, urban and rural, from "
                        "the start: 5%% (of the baseline value in force), +50 (yuan/person/month); "
                        "one variant each, in the order given")
    r.add_argument("--relative-line", type=_share, default=0.5, metavar="SHARE",
                   help="relative poverty line as a share of the median per-capita income (default 0.5)")
    r.add_argument("--households", type=_positive, help="override the population size")
    r.add_argument("--replications", type=_positive, help="override the number of replications")
    r.add_argument("--months", type=_positive, help="override the horizon")
    r.add_argument("--executor", choices=["serial", "process", "dask"])
    r.add_argument("--workers", type=_positive)
    r.add_argument("--address", help="Dask scheduler address (default: a LocalCluster)")
    r.add_argument("--output", help="results folder (default: the scenario's output)")
    r.add_argument("--excel", help="also write an Excel workbook here")
    r.add_argument("--no-progress", action="store_true", help="no progress bar")
    r.set_defaults(fn=cmd_run)

    c = sub.add_parser("compare", help="compare stored results side by side", parents=[debug])
    c.add_argument("results", nargs="+", help="result folders written by `run`")
    c.set_defaults(fn=cmd_compare)

    k = sub.add_parser("calibrate", help="calibrate a locality's population (simulation.population.calibrate)",
                       description="Arguments pass to simulation.population.calibrate: "
                                   "<locality|all> [--check] [--write] [--n-households N] [--no-progress]; "
                                   "tracked locality files are written only with --write")
    k.add_argument("calibrate_args", nargs=argparse.REMAINDER)
    k.set_defaults(fn=cmd_calibrate)

    j = sub.add_parser("project", help="baseline projection from a past cross-section, by year "
                       "(simulation.scenarios.projection)",
                       description="Arguments pass to simulation.scenarios.projection: "
                                   "[--profile china_2018] [--end YYYY-MM] [--inputs FILE] "
                                   "[--households N] [--seed S] [--csv FILE]")
    j.add_argument("project_args", nargs=argparse.REMAINDER)
    j.set_defaults(fn=cmd_project)

    e = sub.add_parser("export-excel", help="write a stored result as an Excel workbook",
                       parents=[debug])
    e.add_argument("result", help="a result folder written by `run`")
    e.add_argument("-o", "--output", help="the .xlsx file (default: beside the result folder)")
    e.set_defaults(fn=cmd_export_excel)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status (2 for bad input, 1 for a failed run, 130 for Ctrl-C)."""
    from simulation.scenarios.runner import TaskError

    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["project"]:  # its options pass through whole (argparse's REMAINDER drops them)
        args = argparse.Namespace(fn=cmd_project, project_args=argv[1:], debug=False)
    else:
        args = build_parser().parse_args(argv)
    debug = getattr(args, "debug", False)
    try:
        return int(args.fn(args))
    except (LoadError, OSError) as exc:  # OSError: a file the loading layer did not open
        _report(exc.short() if isinstance(exc, LoadError) else _os_message(exc), debug)
        return 2
    except TaskError as exc:
        _report(f"{exc}\nno results were written; earlier results are untouched", debug)
        return 1
    except KeyboardInterrupt:
        _report("interrupted (Ctrl-C); no half-written results folder is left (a run's folder "
                "appears only when complete)", debug)
        return EXIT_INTERRUPTED


def _os_message(exc: OSError) -> str:
    name = f"{exc.filename}: " if exc.filename else ""
    return f"{name}{exc.strerror or exc}"


def _report(message: str, debug: bool) -> None:
    """Print ``error: message`` to stderr, with the traceback under --debug."""
    if debug:
        traceback.print_exc()
    print(f"error: {message}", file=sys.stderr)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
