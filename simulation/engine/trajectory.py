"""Calibration in motion to the published national trajectory (轨迹校准), 2018–2021.

The end-2021 cross-section is not a steady state: urban dibao fell by 40% from February 2018 to
December 2021, rural dibao fell, rose in 2020 and fell again (statistics.md §6). This module runs
the engine from the national cross-section of end-February 2018 (profile ``china_2018``) month by
month to December 2021 with the dated published standards, incomes and pensions
(``data/policies/national.yaml``; ``economy.py``) and compares every published point of
``data/calibration/national_trajectory.yaml`` with the simulation.

What moves the stocks is mechanism, not a trend term:

- standards rise on their published path and incomes of every source with NBS incomes: where
  standards outgrow incomes the eligible pool grows (rural 2019–2020), where incomes outgrow
  standards it shrinks (rural 2021);
- the stock at the start holds inclusion errors 错保 (``inclusion_share_<area>``), which reviews
  find with a probability set by the review method and the dated verification campaign
  (``detect_campaign`` during the 2018–2020 rectification, ``detect_routine`` after it);
- eligible non-recipients apply at the monthly take-up (``take_up``, ``take_up_urban_ratio``);
- temporary assistance follows its own rates (``urgent_rate``, ``temporary_take_up``).

Those rates and the elders' supporter loss (the tekun inflow) are fitted (:data:`FIT_FIELDS`) by least squares on the gaps of every point,
each divided by its tolerance, averaged over engine seeds (common random numbers).

``python -m simulation.engine.trajectory --check`` prints every point (target, simulated, gap)
and exits 1 if one is outside its tolerance; ``--write`` fits and stores the fitted rates in the
``behaviour:`` block of ``data/localities/china_2018.yaml``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import math
import re
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from simulation.engine.behaviour import Behaviour
from simulation.engine.calibrate import _yaml_decimal
from simulation.engine.model import SimulationModel, parse_month
from simulation.engine.outputs import EXITS
from simulation.errors import InputError
from simulation.policy import load_policy
from simulation.population import generate, load_profile

TARGETS_FILE = Path(__file__).resolve().parents[2] / "data" / "calibration" / "national_trajectory.yaml"
#: Fitted behaviour fields: (name, lower bound, upper bound). Inclusion shares stop at the
#: highest surveyed inclusion error (69.17%, statistics.md §1).
FIT_FIELDS: tuple[tuple[str, float, float], ...] = (
    ("apply.urban", 1e-5, 0.2),
    ("apply.rural", 1e-5, 0.2),
    ("apply_tekun.urban", 1e-6, 1.0),
    ("inclusion_share_urban", 0.0, 0.6917),
    ("inclusion_share_rural", 0.0, 0.6917),
    ("detect_campaign", 0.001, 1.0),
    ("detect_campaign_rural", 0.001, 1.0),
    ("detect_routine", 0.001, 1.0),
    ("campaign_take_up_multiple", 1.0, 30.0),
    ("campaign_inclusion", 0.0, 1.0),
    ("urgent_rate", 1e-5, 0.2),
    ("temporary_take_up", 0.001, 1.0),
    ("supporter_loss", 1e-6, 0.02),
    ("supporter_loss_urban", 1e-9, 0.02),
)
#: Engine seeds averaged.
SEEDS = (1, 2, 3)
#: Stock targets: name -> (programme, area).
STOCKS = {"dibao_persons.urban": ("dibao", "urban"), "dibao_persons.rural": ("dibao", "rural"),
          "tekun_persons.urban": ("tekun", "urban"), "tekun_persons.rural": ("tekun", "rural")}


@dataclass(frozen=True)
class Trajectory:
    """The published points and the run they are compared with."""

    profile: str
    start: dt.date
    end: dt.date
    points: pd.DataFrame  # label, kind (stock/year), period, target, value, tolerance, reference

    @property
    def months(self) -> int:
        return (self.end.year - self.start.year) * 12 + self.end.month - self.start.month + 1


def load_trajectory(path: Path | None = None) -> Trajectory:
    """Read the targets file (every figure with its reference)."""
    path = path or TARGETS_FILE
    with open(path, encoding="utf-8") as fh:
        raw = yaml.safe_load(fh)
    if not isinstance(raw, dict):
        raise InputError(str(path), "(document)", "expected a mapping")
    tol = {k: float(v["value"]) for k, v in raw["tolerance"].items()}
    rows = []
    for p in raw.get("points", []):
        family = p["target"].split(".")[0]
        rows.append({"label": f"{p['target']} {p['month']}", "kind": "stock",
                     "period": str(p["month"]), "target": p["target"], "value": float(p["value"]),
                     "tolerance": tol[family], "reference": p["reference"]})
    for p in raw.get("years", []):
        rows.append({"label": f"{p['target']} {p['year']}", "kind": "year",
                     "period": str(p["year"]), "target": p["target"], "value": float(p["value"]),
                     "tolerance": tol["temporary"], "reference": p["reference"]})
    return Trajectory(raw["profile"], parse_month(raw["start"]), parse_month(raw["end"]),
                      pd.DataFrame(rows))


def national_table(tables: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Persons, households (cases), payment, entries and exits (all reasons, and by verification)
    per month × programme × area, summed over townships and averaged over runs."""
    cols = ["persons", "households", "payment", "entries", "exits", "exits_verification",
            "cases", "cases_inpatient", "payment_premium", "payment_inpatient",
            "payment_outpatient"]
    sums = [t.assign(exits=t[list(EXITS)].sum(axis=1)).groupby(["month", "programme", "area"])[
        cols].sum() for t in tables]
    return pd.concat(sums).groupby(level=["month", "programme", "area"]).mean()


def simulated_points(table: pd.DataFrame, trajectory: Trajectory) -> np.ndarray:
    """The simulated value of each point of the trajectory, in its order."""
    months = table.index.get_level_values("month")
    month_key = pd.Index([str(m)[:7] for m in months])
    out = []
    for row in trajectory.points.itertuples():
        if row.kind == "stock":
            programme, area = STOCKS[row.target]
            sel = (month_key == row.period) & (table.index.get_level_values("programme") == programme) & (
                table.index.get_level_values("area") == area)
            if not sel.any():
                raise InputError("trajectory", row.label, "month outside the run")
            out.append(float(table.loc[sel, "persons"].sum()))
        else:
            sel = (np.array([k[:4] for k in month_key]) == row.period) & (
                table.index.get_level_values("programme") == "temporary")
            column = "households" if row.target == "temporary_cases" else "payment"
            out.append(float(table.loc[sel, column].sum()))
    return np.array(out)


def special_report(table: pd.DataFrame, path: Path | None = None) -> pd.DataFrame:
    """Special assistance in the targets' year (``special:`` of the targets file, issue 12):
    published, simulated, ratio, and for ``kind: check`` figures whether the gap is within the
    tolerance. Persons are the year's monthly mean (December for the disability subsidies, as
    the bulletin's year-end count); cases and yuan the year's sums."""
    with open(path or TARGETS_FILE, encoding="utf-8") as fh:
        raw = yaml.safe_load(fh)
    rows = []
    for p in raw.get("special", []):
        year = str(p["year"])
        t = table[[str(m).startswith(year) for m in table.index.get_level_values("month")]]
        by = t.groupby(level=["programme"]).sum()
        months = max(1, t.index.get_level_values("month").nunique())
        dec = table[[str(m) == f"{year}-12" for m in table.index.get_level_values("month")]]
        dec_by = dec.groupby(level="programme").sum()
        med = by.loc["medical"] if "medical" in by.index else None
        sim = math.nan
        if med is not None:
            person_years = med["persons"] / 12.0
            inpatient = med["cases_inpatient"]
            outpatient = med["cases"] - inpatient
            sim = {
                "medical_cases_per_person": med["cases"] / max(person_years, 1e-9),
                "medical_inpatient_per_case": med["payment_inpatient"] / max(inpatient, 1e-9),
                "medical_outpatient_per_case": med["payment_outpatient"] / max(outpatient, 1e-9),
                "medical_premium_persons": med["persons"] / months,
                "medical_yuan": med["payment"],
            }.get(p["target"], sim)
        if p["target"].startswith("disability_"):
            programme = p["target"].removesuffix("_persons")
            sim = float(dec_by.loc[programme, "persons"]) if programme in dec_by.index else math.nan
        value = float(p["value"])
        ratio = sim / value
        tol = float(p.get("tolerance", math.nan))
        rows.append({"target": f"{p['target']} {year}", "published": value, "simulated": sim,
                     "ratio": ratio, "kind": p["kind"],
                     "pass": bool(abs(ratio - 1.0) <= tol + 1e-9) if p["kind"] == "check" else None})
    return pd.DataFrame(rows).set_index("target")


def application_rates(b: Behaviour) -> dict[str, float]:
    """Total monthly application rates of eligible non-recipients by area (take-up and active
    discovery together), for dibao and with a tekun member; with the supporter losses, the
    names :func:`calibrate.behaviour_values` takes."""
    def total(own: float) -> float:
        return 1.0 - (1.0 - min(1.0, own)) * (1.0 - b.discovery)

    return {"apply.rural": total(b.take_up),
            "apply.urban": total(b.take_up * b.take_up_urban_ratio),
            "apply_tekun.rural": total(b.take_up_tekun),
            "apply_tekun.urban": total(b.take_up_tekun * b.take_up_tekun_urban_ratio),
            "supporter_loss": b.supporter_loss, "supporter_loss_urban": b.supporter_loss_urban}


def behaviour_fields(values: Mapping[str, float], base: Behaviour) -> dict[str, float]:
    """Behaviour fields for ``values`` (fitted names; application rates not given keep the
    base's)."""
    from simulation.engine.calibrate import behaviour_values

    values = dict(values)
    if not any(k.startswith("apply") or k.startswith("supporter_loss") for k in values):
        return values
    rates = {**application_rates(base), **{k: v for k, v in values.items()
                                            if k in application_rates(base)}}
    out = {k: v for k, v in values.items() if k not in rates}
    out.update(behaviour_values(rates))
    return out


class TrajectoryModel:
    """The national run from the trajectory's start: behaviour overrides -> simulated points
    (averaged over engine seeds; the population is generated once)."""

    def __init__(self, trajectory: Trajectory, n_households: int, seeds: Sequence[int] = SEEDS,
                 population_seed: int | None = None, progress: bool = True) -> None:
        profile = load_profile(trajectory.profile)
        sample = profile.calibration.get("sample") or {}
        seed = int(sample.get("seed", 1)) if population_seed is None else population_seed
        self.trajectory = trajectory
        self.population = generate(profile, n_households, seed=seed)
        self.policy = load_policy(profile.policy)
        self.base = Behaviour.defaults().with_overrides(profile.behaviour or {})
        self.seeds = tuple(seeds)
        self.progress = progress
        self.runs = 0
        self.table: pd.DataFrame | None = None

    def behaviour(self, values: Mapping[str, float]) -> Behaviour:
        """The behaviour for fitted values: total application rates (``apply.*``) become take-up
        and active discovery as in the locality calibration (:func:`calibrate.behaviour_values`),
        the rest are behaviour fields."""
        return self.base.with_overrides(behaviour_fields(values, self.base),
                                        source="trajectory calibration")

    def start_values(self) -> dict[str, float]:
        """The stored values of :data:`FIT_FIELDS` (rates from the stored take-up)."""
        rates = application_rates(self.base)
        return {name: rates.get(name, getattr(self.base, name, math.nan))
                for name, _, _ in FIT_FIELDS}

    def __call__(self, values: Mapping[str, float]) -> np.ndarray:
        b = self.behaviour(values)
        tables = []
        for s in self.seeds:
            m = SimulationModel(self.population, self.policy, start=self.trajectory.start,
                                months=self.trajectory.months, seed=s, behaviour=b)
            m.run_for(self.trajectory.months)
            tables.append(m.result().monthly)
            self.runs += 1
        self.table = national_table(tables)
        return simulated_points(self.table, self.trajectory)


#: The sample and seeds of :func:`national_path` (the trajectory check's).
PATH_HOUSEHOLDS = 150_000


@functools.lru_cache(maxsize=4)
def national_path(months: int, households: int = PATH_HOUSEHOLDS,
                  seeds: tuple[int, ...] = SEEDS) -> pd.DataFrame:
    """The national stocks (dibao and tekun persons by area) for ``months`` months from the end
    of the trajectory (its last month first), each relative to that month: the fitted national
    run (china_2018, stored behaviour) carried on with the national inputs. Rows are months
    0..months-1, columns the :data:`STOCKS` names."""
    trajectory = load_trajectory()
    model = TrajectoryModel(trajectory, households, seeds, progress=False)
    total = trajectory.months + months - 1
    tables = []
    for s in seeds:
        m = SimulationModel(model.population, model.policy, start=trajectory.start,
                            months=total, seed=s, behaviour=model.base)
        m.run_for(total)
        tables.append(m.result().monthly)
    table = national_table(tables).reset_index()
    out = {}
    for name, (programme, area) in STOCKS.items():
        sel = table[(table.programme == programme) & (table.area == area)]
        series = sel.groupby("month")["persons"].sum().to_numpy()[trajectory.months - 1:]
        out[name] = series / series[0]
    return pd.DataFrame(out)


def inclusion_left(model: TrajectoryModel) -> dict[str, float]:
    """The share of each area's dibao persons that are inclusion errors at the trajectory's end
    (mean over the model's seeds, with its stored behaviour): where the engine's default
    starting share for a run from end-2021 comes from."""
    tr = model.trajectory
    shares: dict[str, list[float]] = {"urban": [], "rural": []}
    for s in model.seeds:
        m = SimulationModel(model.population, model.policy, start=tr.start, months=tr.months,
                            seed=s, behaviour=model.base)
        m.run_for(tr.months)
        hh = m.households
        persons = hh.weight * hh.paid_dibao_n
        for area, urban in (("urban", 1), ("rural", 0)):
            sel = hh.urban == urban
            shares[area].append(float(persons[sel & (hh.hidden == 1)].sum() / persons[sel].sum()))
    return {area: float(np.mean(v)) for area, v in shares.items()}


#: Fitted fields that are the engine's national defaults for runs from end-2021
#: (data/behaviour/defaults.yaml); the inclusion shares there are :func:`inclusion_left`.
DEFAULT_FIELDS = ("detect_campaign", "detect_campaign_rural", "detect_routine",
                  "campaign_take_up_multiple", "campaign_inclusion", "urgent_rate",
                  "temporary_take_up")


def write_defaults(values: Mapping[str, float], left: Mapping[str, float], text: str,
                   path: Path | None = None) -> Path:
    """Store the national fitted fields and the inclusion errors left at end-2021 as the
    engine's defaults (value and reference of each, the head of the reference kept)."""
    from simulation.engine.behaviour import DEFAULTS_FILE

    path = path or DEFAULTS_FILE
    doc = path.read_text(encoding="utf-8")
    entries = {k: (float(values[k]), text) for k in DEFAULT_FIELDS if k in values}
    for area in ("urban", "rural"):
        entries[f"inclusion_share_{area}"] = (
            left[area], f"derived: the share of {area} dibao persons still inclusion errors at "
            f"end-2021 in the national trajectory run (china_2018, {text})")
    for name, (value, ref) in entries.items():
        pattern = re.compile(rf"^{name}:\n  value: .*\n  reference: \"(.*?)(; fitted|; derived|\"$)",
                             re.M)
        match = pattern.search(doc)
        if not match:
            raise ValueError(f"{path}: no {name} entry to replace")
        head = match.group(1)
        v = _yaml_decimal(value)
        doc = doc[:match.start()] + f"{name}:\n  value: {v}\n  reference: \"{head}; {ref}\"" + \
            doc[doc.index("\n", match.end()) if doc.find("\n", match.end()) >= 0 else len(doc):]
    path.write_text(doc, encoding="utf-8")
    return path


def report(trajectory: Trajectory, simulated: np.ndarray) -> pd.DataFrame:
    """Target, simulated, gap (%) and pass per point."""
    pts = trajectory.points
    gap = 100.0 * (simulated - pts["value"].to_numpy()) / pts["value"].to_numpy()
    out = pd.DataFrame({"target": pts["value"].to_numpy(), "simulated": simulated,
                        "gap_pct": gap, "tolerance_pct": 100 * pts["tolerance"].to_numpy()},
                       index=pts["label"])
    out["pass"] = out["gap_pct"].abs() <= out["tolerance_pct"] + 1e-9
    return out


def fit_trajectory(model: TrajectoryModel, max_evaluations: int = 60) -> tuple[dict[str, float], Any]:
    """Least squares on the points' gaps ÷ tolerance over :data:`FIT_FIELDS` (in log or logit
    space, starting from the stored values)."""
    from scipy.optimize import least_squares

    pts = model.trajectory.points
    goal = pts["value"].to_numpy()
    tol = pts["tolerance"].to_numpy()
    names = [f[0] for f in FIT_FIELDS]
    lo = np.array([f[1] for f in FIT_FIELDS])
    hi = np.array([f[2] for f in FIT_FIELDS])

    def to_x(v: np.ndarray) -> np.ndarray:  # logit within (lo, hi)
        u = np.clip((v - lo) / (hi - lo), 1e-6, 1 - 1e-6)
        return np.log(u / (1 - u))

    def to_v(x: np.ndarray) -> np.ndarray:
        return lo + (hi - lo) / (1 + np.exp(-x))

    start = model.start_values()
    x0 = to_x(np.array([float(start[n]) for n in names]))
    t0 = time.perf_counter()

    best = [math.inf]

    def residuals(x: np.ndarray) -> np.ndarray:
        values = dict(zip(names, to_v(x), strict=True))
        sim = model(values)
        r = (sim - goal) / goal / tol
        if model.progress:
            print(f"  run {model.runs // len(model.seeds):3d} ({time.perf_counter() - t0:5.0f} s): "
                  f"worst {np.abs(r).max():.2f} tolerances, sum of squares {np.sum(r * r):.2f}",
                  file=sys.stderr, flush=True)
            if np.sum(r * r) < best[0]:  # the best so far, point by point
                best[0] = float(np.sum(r * r))
                print("    " + ", ".join(f"{k}={v:.4g}" for k, v in values.items()) + "\n    "
                      + " ".join(f"{g:+.1f}" for g in 100 * (sim - goal) / goal),
                      file=sys.stderr, flush=True)
        return r

    cache: dict[bytes, np.ndarray] = {}

    def cached(x: np.ndarray) -> np.ndarray:
        key = np.asarray(x, dtype=np.float64).tobytes()
        if key not in cache:
            cache[key] = residuals(x)
        return cache[key]

    def jacobian(x: np.ndarray) -> np.ndarray:
        # forward differences with an absolute step of 0.15 in logit space (several % of each
        # rate): the stocks are step functions of the rates, smoothed only by the sample's
        # size, and scipy's relative steps vanish where a logit is near 0
        f0 = cached(x)
        jac = np.empty((f0.shape[0], x.shape[0]))
        for i in range(x.shape[0]):
            xi = x.copy()
            xi[i] += 0.15
            jac[:, i] = (cached(xi) - f0) / 0.15
        return jac

    res = least_squares(cached, x0, jac=jacobian, x_scale="jac", max_nfev=max_evaluations,
                        xtol=1e-3, ftol=1e-4)
    values = dict(zip(names, (float(v) for v in to_v(res.x)), strict=True))
    model(values)  # leave the table of the fitted values
    return values, res


def behaviour_block(values: Mapping[str, float], rep: pd.DataFrame, n_households: int,
                    seeds: int) -> str:
    """The ``behaviour:`` block of ``china_2018.yaml`` with each fitted value's reference."""
    day = dt.date.today().isoformat()
    worst = rep.loc[rep.index.str.startswith("dibao")]["gap_pct"].abs().max()
    text = (f"fitted {day} by simulation.engine.trajectory to the published trajectory "
            f"(data/calibration/national_trajectory.yaml, statistics.md §6: every dibao point from "
            f"end-2018 to end-2021, temporary assistance 2021); {n_households} households, mean of "
            f"{seeds} engine seeds; largest dibao gap {worst:.1f}%")
    lines = ["behaviour:"]
    for name, value in values.items():
        lines.append(f"  {name}: {{value: {_yaml_decimal(value)}, reference: \"{text}\"}}")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``--check`` (stored values) or a fit (``--write`` stores it)."""
    ap = argparse.ArgumentParser(description="Calibrate the engine to the national trajectory "
                                 "2018-2021 (statistics.md §6)")
    ap.add_argument("--households", type=int, default=150_000)
    ap.add_argument("--seeds", type=int, default=len(SEEDS))
    ap.add_argument("--check", action="store_true", help="report the stored values, no fit")
    ap.add_argument("--write", action="store_true", help="store the fitted values")
    ap.add_argument("--evaluations", type=int, default=60)
    args = ap.parse_args(argv)
    trajectory = load_trajectory()
    t0 = time.perf_counter()
    model = TrajectoryModel(trajectory, args.households, tuple(range(1, args.seeds + 1)))
    if args.check:
        sim = model({})
    else:
        values, res = fit_trajectory(model, args.evaluations)
        print(f"fitted ({res.nfev} evaluations, {time.perf_counter() - t0:.0f} s): "
              + ", ".join(f"{k}={v:.6g}" for k, v in values.items()))
        sim = simulated_points(model.table, trajectory)
    rep = report(trajectory, sim)
    pd.set_option("display.width", 200)
    print(f"== {trajectory.profile}: {trajectory.start:%Y-%m} to {trajectory.end:%Y-%m}, "
          f"{args.households} households, {args.seeds} engine seeds "
          f"({time.perf_counter() - t0:.0f} s)")
    print(rep.round(2).to_string())
    if not args.check and args.write:
        from simulation.engine.calibrate import write_behaviour

        block = behaviour_block(values, rep, args.households, args.seeds)
        print(f"written to {write_behaviour(trajectory.profile, block)}")
        model.base = model.behaviour(values)
        left = inclusion_left(model)
        text = (f"fitted {dt.date.today().isoformat()} by simulation.engine.trajectory to the "
                "published trajectory 2018-2021 (statistics.md §6)")
        print(f"inclusion errors left at end-2021: urban {left['urban']:.3f}, rural "
              f"{left['rural']:.3f}; written to {write_defaults(values, left, text)}")
    special = special_report(model.table)
    print("== special assistance 2021 (issue 12): published, simulated, ratio; 'check' rows must "
          "be within their tolerance; 'scale' rows count persons outside dibao and tekun too; "
          "'report' rows are shown, not checked (see the targets file)")
    print(special.round(3).to_string())
    failed = list(rep.index[~rep["pass"]]) + [
        k for k, ok in special["pass"].items() if ok is False]
    print("every point within its tolerance" if not failed
          else "outside the tolerance: " + ", ".join(failed))
    return 0 if not failed else 1


if __name__ == "__main__":
    sys.exit(main())
