"""Engine-based calibration (校准) of the engine's own free parameters: calibration in motion.

The population's cross-section is fitted by :mod:`simulation.population.calibrate` (tail of the
income distribution, cross-section take-up). In motion, the stock of recipients also depends on
the engine's flows: how fast eligible households apply (``take_up`` and its urban ratio,
``take_up_tekun`` and its urban ratio), how many rural elders lose their supporter
(``supporter_loss``), how incomes move, reviews and exits. This module fits the flow parameters
so that, after a burn-in, the engine's baseline stays at the calibration targets over the horizon.

Procedure (``python -m simulation.engine.calibrate <locality|all>``):

1. Generate the population calibration's own sample (its stored ``n_households``, 150,000 or
   the whole locality, and seed) with the fitted cross-section (the profile's free parameters):
   the stock at the start is then the cross-section calibration's, within its reported gaps.
   Another sample starts off by its sampling error, which for the smallest target is large
   (urban tekun, 0.33 million of 1.41 billion persons: ~100 sample persons in 150,000
   households, ~12 in the 20,000 used before, whose gaps were noise; a 416,000-household
   china_2021 sample starts 24 % above the target).
2. Run the engine from the targets' month for ``burn_in + horizon`` months with the locality's
   policy, once per engine seed (:data:`ENGINE_SEEDS`; keyed draws: common random numbers, so a
   change in a free parameter changes only what it governs).
3. Simulated targets: the mean over the horizon months and the seeds of dibao persons (urban,
   rural) and tekun persons (urban, rural), weighted to the locality; averaging the seeds
   averages out the noise of the flows (a few urban tekun entries a month in the sample).
4. Fit one rate per target (:data:`FIT_PARAMETERS`, each governs one target, :data:`GOVERNS`):
   the monthly application rates of urban and rural households, for dibao and with a tekun
   member, and the rural tekun inflow. The rural tekun target has two levers, chained into one
   monotone scale (:func:`tekun_inflow`): first the tekun take-up rises to its reference value
   with no supporter loss, then ``supporter_loss`` rises. All four are bisected at once on a log
   scale (:func:`bisection_fitter`; the stock is a step function of the rates, so a bracketing
   search is robust where finite-difference gradients are flat), one engine run per step, then a
   second round in a narrower bracket around the first result (the targets interact a little).
5. Report per target the gap of the horizon mean, the largest monthly gap, and the sample
   persons behind it (horizon mean, unweighted) with their sampling error (%), and with
   ``--write`` store the behaviour fields (:func:`behaviour_values`) in the ``behaviour:`` block
   of the locality file.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import re
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from simulation.engine.behaviour import Behaviour
from simulation.engine.model import parse_month, run
from simulation.policy import load_policy
from simulation.population import generate, load_profile
from simulation.population.calibrate import SEED, FitResult, FreeParameter, fit, sample_size

#: Engine targets: target name -> (programme, area) of the monthly table's persons.
ENGINE_TARGETS: dict[str, tuple[str, str]] = {
    "dibao_persons.urban": ("dibao", "urban"),
    "dibao_persons.rural": ("dibao", "rural"),
    "tekun_persons.urban": ("tekun", "urban"),
    "tekun_persons.rural": ("tekun", "rural"),
}
#: Reference tekun take-up (monthly) reached before supporter loss starts on the chained scale.
TEKUN_TAKE_UP_REFERENCE = 0.3
#: Bounds of the chained rural tekun inflow: tekun take-up from TEKUN_TAKE_UP_LOW to the
#: reference (scale 0..1), then supporter loss from SUPPORTER_LOSS_LOW to SUPPORTER_LOSS_HIGH (1..2).
TEKUN_TAKE_UP_LOW = 0.001
SUPPORTER_LOSS_LOW = 0.000001
SUPPORTER_LOSS_HIGH = 0.02
#: The fitted rates (bounds and starting values; monthly probabilities, or the chained scale).
FIT_PARAMETERS: tuple[FreeParameter, ...] = (
    FreeParameter("take_up.rural", 0.00001, 0.5, 0.003),
    FreeParameter("take_up.urban", 0.00001, 0.5, 0.003),
    FreeParameter("take_up_tekun.urban", 0.0001, 1.0, 0.3),
    FreeParameter("tekun_inflow.rural", 0.0, 2.0, 1.5),
)
#: Which targets each fitted rate moves (the fitter matches their sum).
GOVERNS: dict[str, tuple[str, ...]] = {
    "take_up.rural": ("dibao_persons.rural",),
    "take_up.urban": ("dibao_persons.urban",),
    "take_up_tekun.urban": ("tekun_persons.urban",),
    "tekun_inflow.rural": ("tekun_persons.rural",),
}
#: Parameters bisected on a linear rather than a log scale.
LINEAR = frozenset({"tekun_inflow.rural"})
#: Tolerance of the in-motion check: the horizon mean within this share of the target.
TOLERANCE = 0.05
#: Engine seeds averaged by the calibration (each run ~2 s on 150,000 households, 48 months).
ENGINE_SEEDS = (1, 2, 3)


def tekun_inflow(scale: float) -> tuple[float, float]:
    """(take_up_tekun, supporter_loss) of the chained rural tekun scale (0..2, monotone).

    0..1: tekun take-up from :data:`TEKUN_TAKE_UP_LOW` to :data:`TEKUN_TAKE_UP_REFERENCE` (log
    scale) with supporter loss at its floor; 1..2: take-up at the reference and supporter loss
    from :data:`SUPPORTER_LOSS_LOW` to :data:`SUPPORTER_LOSS_HIGH` (log scale). Both raise the
    rural tekun stock, so the stock rises with the scale.
    """
    if not 0.0 <= scale <= 2.0:
        raise ValueError(f"tekun_inflow.rural scale {scale!r} outside 0..2")

    def log_between(low: float, high: float, x: float) -> float:
        if x <= 0.0 or x >= 1.0:  # the ends exactly (no rounding step at the joint)
            return low if x <= 0.0 else high
        return math.exp(math.log(low) + x * (math.log(high) - math.log(low)))

    if scale <= 1.0:
        return log_between(TEKUN_TAKE_UP_LOW, TEKUN_TAKE_UP_REFERENCE, scale), SUPPORTER_LOSS_LOW
    return TEKUN_TAKE_UP_REFERENCE, log_between(SUPPORTER_LOSS_LOW, SUPPORTER_LOSS_HIGH, scale - 1.0)


def behaviour_values(fitted: Mapping[str, float]) -> dict[str, float]:
    """The engine's behaviour fields from the fitted per-area rates (``FIT_PARAMETERS`` names):
    ``take_up`` is the rural rate and ``take_up_urban_ratio`` the urban one ÷ it (likewise for
    tekun); the rural tekun scale gives ``take_up_tekun`` and ``supporter_loss``."""
    take_up_tekun, supporter_loss = tekun_inflow(float(fitted["tekun_inflow.rural"]))
    rural = float(fitted["take_up.rural"])
    return {
        "take_up": rural,
        "take_up_urban_ratio": float(fitted["take_up.urban"]) / rural,
        "take_up_tekun": take_up_tekun,
        "take_up_tekun_urban_ratio": float(fitted["take_up_tekun.urban"]) / take_up_tekun,
        "supporter_loss": supporter_loss,
    }


def persons_by_month(monthly: pd.DataFrame, column: str = "persons") -> pd.DataFrame:
    """Persons (or ``column``) per month for each engine target (columns: target names)."""
    table = monthly.groupby(["month", "programme", "area"])[column].sum()
    out = {}
    for name, (programme, area) in ENGINE_TARGETS.items():
        out[name] = table.xs((programme, area), level=("programme", "area"))
    return pd.DataFrame(out)


def horizon_gaps(monthly: pd.DataFrame, targets: Mapping[str, float], burn_in: int,
                 weights: Mapping[str, float] | None = None) -> pd.DataFrame:
    """Per target: target, horizon mean, its gap (%) and the largest monthly gap (%).

    With ``weights`` (household weight by area, ``urban``/``rural``) also the sample behind the
    horizon mean: ``sample_persons`` and ``sample_households`` (unweighted) and ``sampling_pct``,
    100 ÷ √(sample households), the relative sampling error of a count of recipient households.
    """
    by_month = persons_by_month(monthly).iloc[burn_in:]
    households = persons_by_month(monthly, "households").iloc[burn_in:] if weights else None
    rows = []
    for name, (_programme, area) in ENGINE_TARGETS.items():
        if name not in targets:
            continue
        t = float(targets[name])
        series = by_month[name]
        row = {"target_name": name, "target": t, "simulated": float(series.mean()),
               "gap_pct": 100 * (series.mean() - t) / t,
               "max_monthly_gap_pct": float(100 * ((series - t) / t).abs().max())}
        if weights:
            w = float(weights[area])
            row["sample_persons"] = float(series.mean()) / w
            row["sample_households"] = float(households[name].mean()) / w
            row["sampling_pct"] = 100 / math.sqrt(max(row["sample_households"], 1.0))
        rows.append(row)
    return pd.DataFrame(rows).set_index("target_name")


def calibration_sample(locality: str) -> tuple[int, int]:
    """(n_households, seed) of the locality's population calibration (its stored sample)."""
    profile = load_profile(locality)
    sample = profile.calibration.get("sample") or {}
    return int(sample.get("n_households") or sample_size(profile)), int(sample.get("seed", SEED))


def mean_over_seeds(tables: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Persons and households per month × programme × area (summed over townships), averaged
    over the runs of several engine seeds."""
    sums = [t.groupby(["month", "programme", "area"])[["persons", "households"]].sum()
            for t in tables]
    return pd.concat(sums).groupby(level=["month", "programme", "area"]).mean().reset_index()


def engine_model(locality: str, n_households: int | None = None, burn_in: int = 12,
                 horizon: int = 36, seeds: Sequence[int] = ENGINE_SEEDS,
                 behaviour: Mapping[str, Any] | None = None, population_seed: int | None = None):
    """A calibration model ``fitted rates -> simulated targets`` (horizon means over ``seeds``)
    for the fitter, and the run settings (profile, population, start, months, area weights).

    ``n_households`` and ``population_seed`` default to the population calibration's sample.
    The model takes the names of :data:`FIT_PARAMETERS` (all four) or, with ``{}``, runs the
    profile's stored behaviour. ``ctx["last"]["monthly"]`` is the seed-averaged table of the
    last call (:func:`mean_over_seeds`).
    """
    profile = load_profile(locality)
    stored_n, stored_seed = calibration_sample(locality)
    n = int(n_households or stored_n)
    pop = generate(profile, n, seed=stored_seed if population_seed is None else population_seed)
    policy = load_policy(profile.policy)
    # from the targets' month (profile calibration_targets.date): the stock at the start is the
    # cross-section calibration's, then the engine's flows carry it
    start = parse_month(str(profile.target_date))
    months = burn_in + horizon
    base = Behaviour.defaults().with_overrides(getattr(profile, "behaviour", None) or {})
    base = base.with_overrides(behaviour or {})
    hh = pop.households
    weights = {area: float(hh.weight[hh.urban == (area == "urban")].mean())
               for area in ("urban", "rural") if (hh.urban == (area == "urban")).any()}
    last: dict[str, Any] = {}

    def model(params: Mapping[str, float]) -> dict[str, float]:
        values = behaviour_values(params) if params else {}
        b = base.with_overrides(values, source="engine calibration")
        tables = [run(pop, policy, start=start, months=months, seed=s, behaviour=b).monthly
                  for s in seeds]
        last["monthly"] = mean_over_seeds(tables)
        gaps = horizon_gaps(last["monthly"], {k: 1.0 for k in ENGINE_TARGETS}, burn_in)
        return {k: float(gaps.loc[k, "simulated"]) for k in gaps.index}

    return model, {"profile": profile, "start": start, "months": months, "last": last,
                   "burn_in": burn_in, "weights": weights, "n_households": n,
                   "behaviour": base}


def bisection_fitter(parameters: Sequence[FreeParameter], targets: Mapping[str, float],
                     model: Callable[[Mapping[str, float]], dict[str, float]],
                     rounds: int = 2, steps: int = 12,
                     narrow: float = math.log(4.0)) -> tuple[dict[str, float], int, str]:
    """Fit every parameter to the sum of the targets it governs (:data:`GOVERNS`) by bisection,
    all parameters at once (one model run per step; each target rises with its parameter).

    Log scale, except :data:`LINEAR` parameters. Round 1 brackets each parameter by its bounds;
    later rounds by ``narrow`` (log) either side of the previous result (a quarter of the linear
    range), within the bounds, so a small interaction between targets is corrected.
    """
    active = [p for p in parameters
              if any(t in targets for t in GOVERNS.get(p.name, ()))]
    values = {p.name: p.start for p in parameters}

    def to_x(par: FreeParameter, v: float) -> float:
        return v if par.name in LINEAR else math.log(v)

    def from_x(par: FreeParameter, x: float) -> float:
        return x if par.name in LINEAR else math.exp(x)

    runs = 0
    for r in range(rounds):
        bracket = {}
        for par in active:
            lo, hi = to_x(par, par.low), to_x(par, par.high)
            if r > 0:
                width = narrow if par.name not in LINEAR else (hi - lo) / 4
                mid = to_x(par, values[par.name])
                lo, hi = max(lo, mid - width), min(hi, mid + width)
            bracket[par.name] = [lo, hi]
        for _ in range(steps):
            trial = dict(values)
            for par in active:
                lo, hi = bracket[par.name]
                trial[par.name] = from_x(par, 0.5 * (lo + hi))
            sim = model(trial)
            runs += 1
            for par in active:
                names = [t for t in GOVERNS[par.name] if t in targets]
                goal = sum(float(targets[t]) for t in names)
                mid = 0.5 * sum(bracket[par.name])
                if sum(sim[t] for t in names) < goal:
                    bracket[par.name][0] = mid
                else:
                    bracket[par.name][1] = mid
        for par in active:
            values[par.name] = from_x(par, 0.5 * sum(bracket[par.name]))
    return values, runs, (f"simultaneous bisection, {rounds} rounds of {steps} runs "
                          f"({len(active)} rates)")


def calibrate_engine(locality: str, n_households: int | None = None, burn_in: int = 12,
                     horizon: int = 36, seeds: Sequence[int] = ENGINE_SEEDS,
                     parameters: Sequence[FreeParameter] = FIT_PARAMETERS,
                     rounds: int = 2, steps: int = 12) -> FitResult:
    """Fit the engine's flow parameters to the locality's targets in motion (see module doc).

    The returned :class:`FitResult` has the fitted rates (``values``, :data:`FIT_PARAMETERS`
    names; :func:`behaviour_values` turns them into behaviour fields), the horizon means and a
    report with ``gap_pct`` (horizon mean), ``max_monthly_gap_pct`` and the sample per target.
    """
    model, ctx = engine_model(locality, n_households, burn_in, horizon, seeds)
    profile = ctx["profile"]
    targets = {k: float(profile.targets[k]) for k in ENGINE_TARGETS if k in profile.targets}
    result = fit(parameters, targets, model,
                 fitter=lambda p, t, m: bisection_fitter(p, t, m, rounds=rounds, steps=steps))
    model(result.values)  # the monthly table at the fitted values
    result.report = horizon_gaps(ctx["last"]["monthly"], targets, burn_in, ctx["weights"])
    result.n_households = ctx["n_households"]  # type: ignore[attr-defined]
    return result


def check_engine(locality: str, n_households: int | None = None, burn_in: int = 12,
                 horizon: int = 36, seeds: Sequence[int] = ENGINE_SEEDS,
                 population_seed: int | None = None) -> pd.DataFrame:
    """The horizon gaps of the locality's stored behaviour (no fitting), with the sample."""
    model, ctx = engine_model(locality, n_households, burn_in, horizon, seeds,
                              population_seed=population_seed)
    model({})
    targets = {k: float(ctx["profile"].targets[k]) for k in ENGINE_TARGETS
               if k in ctx["profile"].targets}
    return horizon_gaps(ctx["last"]["monthly"], targets, burn_in, ctx["weights"])


def behaviour_block(result: FitResult, locality: str, n_households: int, burn_in: int,
                    horizon: int, seeds: int = 1) -> str:
    """The ``behaviour:`` block for the locality file, each value with its reference.

    ``result.values`` are either the fitted rates (:data:`FIT_PARAMETERS` names, converted by
    :func:`behaviour_values`) or behaviour fields already.
    """
    day = dt.date.today().isoformat()
    fitted = set(result.values) >= {p.name for p in FIT_PARAMETERS}
    values = behaviour_values(result.values) if fitted else result.values
    notes = bound_notes(result.values) if fitted else {}
    gaps = ", ".join(f"{k} {v:+.1f}%" for k, v in result.report["gap_pct"].items())
    seeds_text = f"mean of {seeds} engine seeds, " if seeds > 1 else ""
    lines = ["behaviour:"]
    for name, value in values.items():
        note = f"; {notes[name]}" if name in notes else ""
        lines.append(
            f"  {name}: {{value: {_yaml_decimal(value)}, reference: \"calibrated {day} by "
            f"simulation.engine.calibrate ({n_households} households, {seeds_text}burn-in {burn_in}, "
            f"horizon {horizon} months; horizon-mean gaps: {gaps}){note}\"}}")
    return "\n".join(lines) + "\n"


def bound_notes(fitted: Mapping[str, float]) -> dict[str, str]:
    """Notes for behaviour fields that the fit did not move: a rate at a bound of its bracket,
    or the leg of the rural tekun chain that stayed at its end."""
    notes: dict[str, str] = {}
    field = {"take_up.rural": "take_up", "take_up.urban": "take_up_urban_ratio",
             "take_up_tekun.urban": "take_up_tekun_urban_ratio"}
    for par in FIT_PARAMETERS:
        if par.name not in field:
            continue
        v = float(fitted[par.name])
        if v <= par.low * 1.01:
            notes[field[par.name]] = (f"the {par.name} rate is at the fit's lower bound {par.low}: "
                                      "active discovery (behaviour discovery) alone meets the target")
        elif v >= par.high * 0.99:
            notes[field[par.name]] = (f"the {par.name} rate is at the fit's upper bound {par.high}: "
                                      "the target is short of what take-up can reach")
    scale = float(fitted["tekun_inflow.rural"])
    if scale >= 1.0:
        notes["take_up_tekun"] = (f"assumption: the reference rural tekun take-up "
                                  f"{TEKUN_TAKE_UP_REFERENCE} (mean wait ~3 months), not fitted; "
                                  "supporter_loss carries the fit")
    else:
        notes["supporter_loss"] = (f"at the chain's floor {SUPPORTER_LOSS_LOW}: the rural tekun "
                                   "target is met with less than the reference take-up, fitted "
                                   "instead")
    return notes


def _yaml_decimal(value: float) -> str:
    """A positional decimal (YAML 1.1 reads ``2e-05`` as a string)."""
    text = format(float(value), ".10f").rstrip("0")
    return text + "0" if text.endswith(".") else text


def write_behaviour(locality: str, block: str, path: Path | None = None) -> Path:
    """Replace the ``behaviour:`` block of ``data/localities/<locality>.yaml`` (or ``path``);
    the rest of the file is left as it is."""
    if path is None:
        path = Path(__file__).resolve().parents[2] / "data" / "localities" / f"{locality}.yaml"
    text = path.read_text(encoding="utf-8")
    pattern = re.compile(r"^behaviour:.*?(?=^\S|\Z)", re.S | re.M)
    if not pattern.search(text):
        raise ValueError(f"{path}: no behaviour: block to replace")
    path.write_text(pattern.sub(lambda _m: block, text, count=1), encoding="utf-8")
    return path


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: fit and report; ``--write`` stores the values in the locality file;
    ``--check`` reports the stored values without fitting."""
    ap = argparse.ArgumentParser(description="Fit the engine's take-up to the targets in motion")
    ap.add_argument("locality", help="locality id or 'all'")
    ap.add_argument("--households", type=int, default=None,
                    help="sample size (default: the population calibration's sample)")
    ap.add_argument("--burn-in", type=int, default=12)
    ap.add_argument("--horizon", type=int, default=36)
    ap.add_argument("--steps", type=int, default=12, help="bisection runs per round")
    ap.add_argument("--seeds", type=int, default=len(ENGINE_SEEDS), help="engine seeds averaged")
    ap.add_argument("--check", action="store_true", help="report the stored values, no fit")
    ap.add_argument("--write", action="store_true")
    args = ap.parse_args(argv)
    from simulation.population.profiles import list_profiles

    localities = list_profiles() if args.locality == "all" else [args.locality]
    worst = 0.0
    pd.set_option("display.width", 160)
    for loc in localities:
        t0 = time.perf_counter()
        if args.check:
            report = check_engine(loc, args.households, args.burn_in, args.horizon,
                                  tuple(range(1, args.seeds + 1)))
            print(f"== {loc}: stored behaviour ({time.perf_counter() - t0:.0f} s)")
        else:
            res = calibrate_engine(loc, args.households, args.burn_in, args.horizon,
                                   tuple(range(1, args.seeds + 1)), steps=args.steps)
            report = res.report
            fields = {k: round(v, 8) for k, v in behaviour_values(res.values).items()}
            print(f"== {loc}: {fields} ({res.evaluations} runs of {res.n_households} "
                  f"households, {time.perf_counter() - t0:.0f} s; {res.message})")
            if args.write:
                path = write_behaviour(loc, behaviour_block(res, loc, res.n_households,
                                                            args.burn_in, args.horizon,
                                                            args.seeds))
                print(f"written to {path}")
        print(report.round(2).to_string())
        worst = max(worst, float(report["gap_pct"].abs().max()))
    print(f"largest horizon-mean gap: {worst:.1f}% (tolerance {100 * TOLERANCE:.0f}%)")
    return 0 if worst <= 100 * TOLERANCE else 1


__all__ = ["ENGINE_TARGETS", "FIT_PARAMETERS", "GOVERNS", "behaviour_values", "bisection_fitter",
           "calibrate_engine", "calibration_sample", "check_engine", "engine_model",
           "horizon_gaps", "mean_over_seeds", "tekun_inflow"]

if __name__ == "__main__":
    sys.exit(main())
