"""Engine-based calibration (校准) of the engine's own free parameters: calibration in motion.

The population's cross-section is fitted by :mod:`simulation.population.calibrate` (tail of the
income distribution, cross-section take-up). In motion, the stock of recipients also depends on
the engine's flows: how fast eligible households apply (``take_up``, ``take_up_tekun``), how
incomes move, reviews and exits. This module fits the flow parameters so that, after a burn-in,
the engine's baseline stays at the calibration targets over the horizon.

Procedure (``python -m simulation.engine.calibrate <locality|all>``):

1. Generate the locality's fixed-seed sample (``n_households``, seed of the population
   calibration) with the fitted cross-section (the profile's free parameters).
2. Run the engine from the targets' month (the stock at the start is the cross-section
   calibration's) for ``burn_in + horizon`` months with
   the locality's policy and a fixed engine seed (keyed draws: common random numbers, so a
   change in a free parameter changes only what it governs).
3. Simulated targets: the mean over the horizon months of dibao persons (urban, rural) and tekun
   persons (urban, rural), weighted to the locality.
4. Fit ``take_up`` (to dibao persons), ``supporter_loss`` and ``take_up_tekun`` (to tekun
   persons) with the
   population calibration's :func:`simulation.population.calibrate.fit` and a bracketing fitter
   (:func:`bisection_fitter`: the stock is a step function of the rates), report the
   gap of the horizon mean and the largest monthly gap per target (the ±5 % check), and with
   ``--write`` store the fitted values in the ``behaviour:`` block of the locality file.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from simulation.engine.behaviour import Behaviour
from simulation.engine.model import parse_month, run
from simulation.policy import load_policy
from simulation.population import generate, load_profile
from simulation.population.calibrate import SEED, FitResult, FreeParameter, fit

#: Engine targets: target name -> (programme, area) of the monthly table's persons.
ENGINE_TARGETS: dict[str, tuple[str, str]] = {
    "dibao_persons.urban": ("dibao", "urban"),
    "dibao_persons.rural": ("dibao", "rural"),
    "tekun_persons.urban": ("tekun", "urban"),
    "tekun_persons.rural": ("tekun", "rural"),
}
#: The engine's free parameters (bounds and starting values; monthly probabilities).
ENGINE_PARAMETERS: tuple[FreeParameter, ...] = (
    FreeParameter("take_up", 0.0005, 0.3, 0.01),
    # tekun: the inflow (elderly losing their supporter) first, then the take-up rate (both raise
    # the tekun stock; the second moves only where the first reaches a bound)
    FreeParameter("supporter_loss", 0.00002, 0.02, 0.001),
    FreeParameter("take_up_tekun", 0.001, 0.9, 0.3),
)
#: Which targets each free parameter moves (the fitter matches their sum).
GOVERNS: dict[str, tuple[str, ...]] = {
    "take_up": ("dibao_persons.urban", "dibao_persons.rural"),
    "supporter_loss": ("tekun_persons.rural",),
    "take_up_tekun": ("tekun_persons.urban", "tekun_persons.rural"),
}
#: Tolerance of the in-motion check: every horizon month within this share of the target.
MONTHLY_TOLERANCE = 0.05
DEFAULT_HOUSEHOLDS = 20_000
ENGINE_SEED = 1


def persons_by_month(monthly: pd.DataFrame) -> pd.DataFrame:
    """Persons per month for each engine target (columns: target names)."""
    table = monthly.groupby(["month", "programme", "area"])["persons"].sum()
    out = {}
    for name, (programme, area) in ENGINE_TARGETS.items():
        out[name] = table.xs((programme, area), level=("programme", "area"))
    return pd.DataFrame(out)


def horizon_gaps(monthly: pd.DataFrame, targets: Mapping[str, float], burn_in: int) -> pd.DataFrame:
    """Per target: target, horizon mean, its gap (%) and the largest monthly gap (%)."""
    by_month = persons_by_month(monthly).iloc[burn_in:]
    rows = []
    for name in ENGINE_TARGETS:
        if name not in targets:
            continue
        t = float(targets[name])
        series = by_month[name]
        rows.append({"target_name": name, "target": t, "simulated": float(series.mean()),
                     "gap_pct": 100 * (series.mean() - t) / t,
                     "max_monthly_gap_pct": float(100 * ((series - t) / t).abs().max())})
    return pd.DataFrame(rows).set_index("target_name")


def engine_model(locality: str, n_households: int = DEFAULT_HOUSEHOLDS, burn_in: int = 12,
                 horizon: int = 36, seed: int = ENGINE_SEED,
                 behaviour: Mapping[str, Any] | None = None):
    """A calibration model ``params -> simulated targets`` (horizon means) for the fitter, and
    the run settings (population, policy, start, months) it uses."""
    profile = load_profile(locality)
    pop = generate(profile, n_households, seed=SEED)
    policy = load_policy(profile.policy)
    # from the targets' month (profile calibration_targets.date): the stock at the start is the
    # cross-section calibration's, then the engine's flows carry it
    start = parse_month(str(profile.target_date))
    months = burn_in + horizon
    base = Behaviour.defaults().with_overrides(getattr(profile, "behaviour", None) or {})
    base = base.with_overrides(behaviour or {})
    last: dict[str, Any] = {}

    def model(params: Mapping[str, float]) -> dict[str, float]:
        b = base.with_overrides(dict(params), source="engine calibration")
        res = run(pop, policy, start=start, months=months, seed=seed, behaviour=b)
        last["monthly"] = res.monthly
        gaps = horizon_gaps(res.monthly, {k: 1.0 for k in ENGINE_TARGETS}, burn_in)
        return {k: float(gaps.loc[k, "simulated"]) for k in gaps.index}

    return model, {"profile": profile, "start": start, "months": months, "last": last,
                   "burn_in": burn_in}


def bisection_fitter(parameters: Sequence[FreeParameter], targets: Mapping[str, float],
                     model: Callable[[Mapping[str, float]], dict[str, float]],
                     rounds: int = 2, steps: int = 9) -> tuple[dict[str, float], int, str]:
    """Fit each parameter to the sum of the targets it governs (:data:`GOVERNS`) by bisection
    on a log scale, parameter by parameter, ``rounds`` times.

    The simulated stock rises with each take-up rate, and with keyed draws it is a step function
    of the rate, so a bracketing search is robust where finite-difference gradients are flat.
    """
    values = {p.name: p.start for p in parameters}
    runs = 0
    for _ in range(rounds):
        for par in parameters:
            names = [t for t in GOVERNS.get(par.name, ()) if t in targets]
            if not names:
                continue
            goal = sum(float(targets[t]) for t in names)
            lo, hi = math.log(par.low), math.log(par.high)
            for _ in range(steps):
                mid = 0.5 * (lo + hi)
                sim = model({**values, par.name: math.exp(mid)})
                runs += 1
                if sum(sim[t] for t in names) < goal:
                    lo = mid
                else:
                    hi = mid
            values[par.name] = math.exp(0.5 * (lo + hi))
    return values, runs, f"bisection, {rounds} rounds of {steps} steps per parameter"


def calibrate_engine(locality: str, n_households: int = DEFAULT_HOUSEHOLDS, burn_in: int = 12,
                     horizon: int = 36, seed: int = ENGINE_SEED,
                     parameters: Sequence[FreeParameter] = ENGINE_PARAMETERS) -> FitResult:
    """Fit the engine's flow parameters to the locality's targets in motion (see module doc).

    The returned :class:`FitResult` has the fitted values, the horizon means and a report with
    ``gap_pct`` (horizon mean) and ``max_monthly_gap_pct`` per target.
    """
    model, ctx = engine_model(locality, n_households, burn_in, horizon, seed)
    profile = ctx["profile"]
    targets = {k: float(profile.targets[k]) for k in ENGINE_TARGETS if k in profile.targets}
    result = fit(parameters, targets, model, fitter=bisection_fitter)
    model(result.values)  # the monthly table at the fitted values
    result.report = horizon_gaps(ctx["last"]["monthly"], targets, burn_in)
    return result


def behaviour_block(result: FitResult, locality: str, n_households: int, burn_in: int,
                    horizon: int) -> str:
    """The ``behaviour:`` block for the locality file, each value with its reference."""
    day = dt.date.today().isoformat()
    lines = ["behaviour:"]
    for name, value in result.values.items():
        gaps = ", ".join(f"{k} {v:+.1f}%" for k, v in result.report["gap_pct"].items())
        lines.append(
            f"  {name}: {{value: {_yaml_decimal(value)}, reference: \"calibrated {day} by "
            f"simulation.engine.calibrate ({n_households} households, burn-in {burn_in}, "
            f"horizon {horizon} months; horizon-mean gaps: {gaps})\"}}")
    return "\n".join(lines) + "\n"


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
    """Command line: fit and report; ``--write`` stores the values in the locality file."""
    ap = argparse.ArgumentParser(description="Fit the engine's take-up to the targets in motion")
    ap.add_argument("locality", help="locality id or 'all'")
    ap.add_argument("--households", type=int, default=DEFAULT_HOUSEHOLDS)
    ap.add_argument("--burn-in", type=int, default=12)
    ap.add_argument("--horizon", type=int, default=36)
    ap.add_argument("--write", action="store_true")
    args = ap.parse_args(argv)
    from simulation.population.profiles import list_profiles

    localities = list_profiles() if args.locality == "all" else [args.locality]
    worst = 0.0
    for loc in localities:
        res = calibrate_engine(loc, args.households, args.burn_in, args.horizon)
        print(f"== {loc}: {res.values} ({res.evaluations} runs; {res.message})")
        print(res.report.round(2).to_string())
        worst = max(worst, float(res.report["max_monthly_gap_pct"].max()))
        if args.write:
            path = write_behaviour(loc, behaviour_block(res, loc, args.households, args.burn_in,
                                                        args.horizon))
            print(f"written to {path}")
    print(f"largest monthly gap over the horizon: {worst:.1f}% (tolerance "
          f"{100 * MONTHLY_TOLERANCE:.0f}%)")
    return 0 if worst <= 100 * MONTHLY_TOLERANCE else 1


__all__ = ["ENGINE_PARAMETERS", "ENGINE_TARGETS", "calibrate_engine", "engine_model",
           "horizon_gaps"]

if __name__ == "__main__":
    sys.exit(main())
