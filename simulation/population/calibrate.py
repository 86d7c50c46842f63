"""Calibration (校准) of a locality's free parameters to published caseloads.

Procedure (what ``python -m simulation.population.calibrate <locality|all>`` runs):

1. Generate a fixed-seed sample of the locality (``n_households`` = the whole locality up to
   150,000 households, seed 20211201). Every random draw is fixed by the seed, so changing a
   free parameter changes only what it governs (common random numbers).
2. Assess every household with the calculator (``simulation.rules.assess_arrays``) under the
   locality's policy (``profile.policy``) at the target date.
3. Recipients: eligible dibao households (and single-person inclusions) whose seeded take-up draw
   is below ``take_up``; tekun persons whose draw is below ``take_up_tekun``. Weighted to the
   locality, this gives the simulated targets (:data:`~simulation.population.profiles.TARGETS`):
   dibao persons and households (urban, rural), tekun persons (urban, rural), the average
   dibao payment ÷ the standard (urban, rural) and disabled persons in assisted households
   (the disability living subsidy's recipients).
4. Fit with a deterministic least-squares solver (``scipy.optimize.least_squares``, trust-region
   reflective, bounds, finite differences with a 3% step so that the step functions of counts in
   a finite sample are seen): residuals are (simulated − target) ÷ target, plus prior terms
   (value − prior) ÷ sd for parameters the targets cannot separate (take-up vs. the size of
   the low tail; assets; tekun take-up vs. tekun prevalence).
5. Report target, simulated and gap (%) per target; with ``--write``, write the fitted values, the date, the
   procedure, the sample and the report into the ``calibration:`` block of the locality file
   (the rest of the file, with its references and comments, is left as it is).

The pieces are pluggable, for the engine's own calibration: a list of :class:`FreeParameter`
(name, bounds, start, optional prior), a model ``params -> simulated targets``, a target table
(name -> value) and a fitter (:func:`least_squares_fitter` by default), combined by :func:`fit`.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import math
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from simulation.population.generator import Population, generate, household_count
from simulation.population.profiles import (
    FREE,
    Profile,
    _StringDateLoader,
    list_profiles,
    load_profile,
    validate_profile,
)

#: Largest calibration sample (households); smaller localities use all their households.
MAX_SAMPLE = 150_000
#: Seed of the calibration sample and of the take-up draws.
SEED = 20211201
#: Tolerance every target must meet (share of the target).
TOLERANCE = 0.03
#: Targets the population's free parameters are fitted to; the profile's other targets are
#: reported as checks (``disabled_assisted_persons``: our low-income population is too small
#: for the living-subsidy count to be reached together with the dibao targets).
FITTED_TARGETS: tuple[str, ...] = (
    "dibao_persons.urban", "dibao_households.urban", "dibao_persons.rural",
    "dibao_households.rural", "tekun_persons.urban", "tekun_persons.rural",
    "dibao_payment_share.urban", "dibao_payment_share.rural",
)
#: Where the command writes its report tables.
RESULTS_DIR = Path(__file__).resolve().parents[2] / "results" / "calibration"

Model = Callable[[Mapping[str, float]], dict[str, float]]


@dataclass(frozen=True)
class FreeParameter:
    """A parameter the fitter may move: bounds, start and an optional prior (value, sd)."""

    name: str
    low: float
    high: float
    start: float
    prior: tuple[float, float] | None = None

    def __post_init__(self) -> None:
        if not self.low < self.high or not self.low <= self.start <= self.high:
            raise ValueError(f"free parameter {self.name}: need low < high and start within "
                             f"bounds, got low={self.low}, high={self.high}, start={self.start}")


@dataclass
class FitResult:
    """Fitted values, the simulated targets at them, the report table and fitter diagnostics."""

    values: dict[str, float]
    simulated: dict[str, float]
    targets: dict[str, float]
    evaluations: int
    message: str
    report: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def max_gap(self) -> float:
        """Largest absolute gap of the fitted targets, as a share of the target."""
        fitted = self.report[self.report["fitted"]] if len(self.report) else self.report
        return float(fitted["gap_pct"].abs().max() / 100) if len(fitted) else math.nan


Fitter = Callable[[Sequence[FreeParameter], Mapping[str, float], Model], tuple[dict[str, float], int, str]]


def report_table(targets: Mapping[str, float], simulated: Mapping[str, float],
                 checks: Mapping[str, float] | None = None) -> pd.DataFrame:
    """Target, simulated, gap in % of the target and whether it was fitted (else a check)."""
    rows = [{"target_name": k, "target": float(v), "simulated": float(simulated[k]),
             "gap_pct": 100.0 * (simulated[k] - v) / v, "fitted": fitted}
            for group, fitted in ((targets, True), (checks or {}, False)) for k, v in group.items()]
    return pd.DataFrame(rows).set_index("target_name")


def least_squares_fitter(parameters: Sequence[FreeParameter], targets: Mapping[str, float],
                         model: Model, diff_step: float = 0.03, max_nfev: int = 400,
                         ) -> tuple[dict[str, float], int, str]:
    """Deterministic bounded least squares on relative gaps plus prior terms.

    Returns (values, model evaluations, solver message). ``diff_step`` is the relative
    finite-difference step: large enough that counts from a finite sample move.
    """
    from scipy.optimize import least_squares  # optional heavy import, only when fitting

    names = [p.name for p in parameters]
    tnames = list(targets)
    tvals = np.array([targets[t] for t in tnames], float)
    priors = [(i, p.prior) for i, p in enumerate(parameters) if p.prior is not None]
    count = 0

    def residuals(x: np.ndarray) -> np.ndarray:
        nonlocal count
        count += 1
        sim = model(dict(zip(names, map(float, x), strict=True)))
        r = (np.array([sim[t] for t in tnames]) - tvals) / tvals
        pr = [(x[i] - mu) / sd for i, (mu, sd) in priors]
        return np.concatenate([r, np.asarray(pr, float)])

    x0 = np.array([p.start for p in parameters], float)
    lo = np.array([p.low for p in parameters], float)
    hi = np.array([p.high for p in parameters], float)
    sol = least_squares(residuals, x0, bounds=(lo, hi), method="trf", diff_step=diff_step,
                        x_scale="jac", max_nfev=max_nfev, xtol=1e-6, ftol=1e-8)
    return dict(zip(names, map(float, sol.x), strict=True)), count, str(sol.message)


def fit(parameters: Sequence[FreeParameter], targets: Mapping[str, float], model: Model,
        fitter: Fitter = least_squares_fitter, checks: Mapping[str, float] | None = None) -> FitResult:
    """Fit ``parameters`` so that ``model(params)`` reproduces ``targets``; report the gaps
    (and those of ``checks``, figures the model also simulates but that are not fitted)."""
    missing = [t for t in targets if not targets[t]]
    if missing:
        raise ValueError(f"targets must be non-zero (relative gaps): {missing}")
    values, nfev, message = fitter(parameters, targets, model)
    simulated = model(values)
    return FitResult(values=values, simulated=simulated, targets=dict(targets), evaluations=nfev,
                     message=message, report=report_table(targets, simulated, checks))


# ---- the population model: generator + calculator + take-up draws ---------------------------

#: Bounds of the population's free parameters (starts come from the profile).
BOUNDS: dict[str, tuple[float, float]] = {
    "tail_share.urban": (1e-4, 0.5),
    "tail_share.rural": (1e-3, 0.8),
    "tail_level.urban": (-5.0, 0.0),
    "tail_level.rural": (-5.0, 0.0),
    "tail_size_tilt.urban": (-3.0, 1.0),
    "tail_size_tilt.rural": (-3.0, 1.0),
    "tekun_share.urban": (1e-4, 1.0),
    "tekun_share.rural": (1e-4, 1.0),
    "asset_months": (1.0, 60.0),
    "take_up": (0.2, 1.0),
    "take_up_tekun": (0.5, 1.0),
}
#: Prior sd of parameters the targets do not separate from others (take-up vs. the size of the
#: low tail; assets; tekun take-up vs. tekun prevalence); the prior mean is the profile's
#: referenced starting value.
PRIOR_SD: dict[str, float] = {"asset_months": 3.0, "take_up": 0.05, "take_up_tekun": 0.03}


def population_parameters(profile: Profile, names: Sequence[str] | None = None) -> list[FreeParameter]:
    """The free parameters of the population model, starting at the profile's values.

    Priors sit at the profile's referenced starting values (``free_parameters``), not at fitted
    values, so a re-run does not drift.
    """
    out = []
    for name in names or list(FREE):
        low, high = BOUNDS[name]
        start = min(max(profile.free[name], low), high)
        prior = (profile.free_start[name], PRIOR_SD[name]) if name in PRIOR_SD else None
        out.append(FreeParameter(name, low, high, start, prior))
    return out


def sample_size(profile: Profile) -> int:
    """Calibration sample: the whole locality up to :data:`MAX_SAMPLE` households."""
    return int(min(household_count(profile), MAX_SAMPLE))


def simulate_targets(pop: Population, out: np.ndarray, take_up: float, take_up_tekun: float,
                     seed: int = SEED) -> dict[str, float]:
    """Simulated targets from an assessment matrix ``out`` (rows = households of ``pop``).

    Dibao recipients: eligible households and single-person inclusions whose seeded take-up
    draw is below ``take_up`` (single inclusions count one person and one household each);
    tekun recipients: tekun persons of households whose second draw is below
    ``take_up_tekun``; disabled assisted persons (the disability living subsidy): disabled
    members (any grade) of dibao-recipient households, of households with a single-person
    inclusion, and of low-income households with the same take-up draw. Weighted to the
    locality.
    """
    from simulation.rules.entitlement import (
        O_DIBAO_AMOUNT,
        O_DIBAO_ELIGIBLE,
        O_DIBAO_SIZE,
        O_LOW_INCOME,
        O_SINGLE_AMOUNT,
        O_SINGLE_PERSONS,
        O_STANDARD,
        O_TEKUN_PERSONS,
    )

    n = pop.arrays.n_households
    draws = np.random.default_rng([seed, 1]).random((2, n))
    w = pop.weight
    urban = pop.households["urban"].to_numpy()
    takes = draws[0] < take_up
    dibao = takes & (out[:, O_DIBAO_ELIGIBLE] != 0)
    single = takes & (out[:, O_SINGLE_PERSONS] > 0)
    tekun = (draws[1] < take_up_tekun) * out[:, O_TEKUN_PERSONS]
    # living-subsidy recipients: disabled members of households that receive dibao (or a
    # single-person inclusion) or that are low-income and apply (same take-up draw)
    arrays = pop.arrays
    disabled = np.add.reduceat((arrays.disability != 0).astype(np.float64), arrays.hh_start[:-1])
    assisted = dibao | single | (takes & (out[:, O_LOW_INCOME] != 0))
    result: dict[str, float] = {"disabled_assisted_persons": float((disabled * assisted * w).sum())}
    persons = np.where(dibao, out[:, O_DIBAO_SIZE], 0.0) + np.where(single, out[:, O_SINGLE_PERSONS], 0.0)
    households = dibao.astype(float) + np.where(single, out[:, O_SINGLE_PERSONS], 0.0)
    payment = np.where(dibao, out[:, O_DIBAO_AMOUNT], 0.0) + np.where(single, out[:, O_SINGLE_AMOUNT], 0.0)
    for area, mask in (("urban", urban), ("rural", ~urban)):
        wa = w[mask]
        p = float((persons[mask] * wa).sum())
        result[f"dibao_persons.{area}"] = p
        result[f"dibao_households.{area}"] = float((households[mask] * wa).sum())
        result[f"tekun_persons.{area}"] = float((tekun[mask] * wa).sum())
        standard_persons = float((persons[mask] * out[mask, O_STANDARD] * wa).sum())
        result[f"dibao_payment_share.{area}"] = (
            float((payment[mask] * wa).sum()) / standard_persons if standard_persons else 0.0)
    return result


def population_model(profile: Profile, n_households: int, seed: int = SEED) -> Model:
    """Model ``free parameters -> simulated targets`` for a locality (generator + calculator)."""
    from simulation.policy import load_policy
    from simulation.rules.entitlement import N_OUTPUTS, assess_arrays
    from simulation.rules.params import pack_params

    packed = pack_params(load_policy(profile.policy).at(profile.target_date))
    buffer = np.empty((n_households, N_OUTPUTS))

    def model(params: Mapping[str, float]) -> dict[str, float]:
        free = {**profile.free, **params}
        pop = generate(profile, n_households, seed=seed, free=free)
        out = assess_arrays(pop.arrays, packed, out=buffer)
        return simulate_targets(pop, out, free["take_up"], free["take_up_tekun"], seed)

    return model


PROCEDURE = ("simulation.population.calibrate: fixed-seed sample, calculator at the target date "
             "with the locality policy, seeded take-up draws; scipy least_squares (trf, bounds, "
             "diff_step 0.03) on relative gaps plus priors on asset_months, take_up, take_up_tekun "
             "at the referenced starting values")


def calibrate(locality: str, n_households: int | None = None, seed: int = SEED) -> FitResult:
    """Fit a locality's free parameters to its targets (nothing is written)."""
    profile = load_profile(locality)
    n = n_households or sample_size(profile)
    model = population_model(profile, n, seed)
    targets, checks = split_targets(profile)
    result = fit(population_parameters(profile), targets, model, checks=checks)
    result.message += f" (sample {n} households, seed {seed})"
    return result


def check(locality: str) -> FitResult:
    """Simulated targets with the stored fitted values on the stored sample (no fitting)."""
    profile = load_profile(locality)
    sample = profile.calibration.get("sample") or {}
    n = int(sample.get("n_households") or sample_size(profile))
    seed = int(sample.get("seed", SEED))
    simulated = population_model(profile, n, seed)({})
    targets, checks = split_targets(profile)
    return FitResult(values=dict(profile.free), simulated=simulated, targets=targets,
                     evaluations=1, message="stored values",
                     report=report_table(targets, simulated, checks))


def split_targets(profile: Profile) -> tuple[dict[str, float], dict[str, float]]:
    """The profile's targets split into fitted ones (:data:`FITTED_TARGETS`) and checks."""
    fitted = {k: v for k, v in profile.targets.items() if k in FITTED_TARGETS}
    return fitted, {k: v for k, v in profile.targets.items() if k not in FITTED_TARGETS}


def _yaml_number(v: float) -> str:
    return repr(float(round(v, 6))) if abs(v) >= 1e-3 else f"{v:.6g}"


def calibration_block(result: FitResult, n_households: int, seed: int, date: str) -> str:
    """The ``calibration:`` YAML block for a locality file."""
    lines = ["calibration:", f'  fitted: "{date}"', f"  procedure: \"{PROCEDURE}\"",
             f"  sample: {{n_households: {n_households}, seed: {seed}}}", "  values:"]
    lines += [f"    {k}: {_yaml_number(v)}" for k, v in result.values.items()]
    lines.append("  report:  # target, simulated, gap %")
    for name, row in result.report.iterrows():
        lines.append(f"    {name}: [{_yaml_number(row.target)}, {_yaml_number(row.simulated)}, "
                     f"{round(row.gap_pct, 2)}]" + ("" if row.fitted else "  # check, not fitted"))
    return "\n".join(lines) + "\n"


_BLOCK = re.compile(r"^calibration:.*?(?=^[A-Za-z_][\w]*:|\Z)", re.S | re.M)


def write_calibration(path: Path, block: str) -> None:
    """Replace the ``calibration:`` block of a locality file (or append it), leaving the rest."""
    text = path.read_text(encoding="utf-8")
    new = _BLOCK.sub(lambda _: block, text, count=1) if _BLOCK.search(text) else text.rstrip("\n") + "\n" + block
    load_check = path.with_suffix(".yaml.tmp")
    load_check.write_text(new, encoding="utf-8")
    try:
        validate_profile(yaml.load(new, Loader=_StringDateLoader), str(path))  # noqa: S506
        load_check.replace(path)
    finally:
        if load_check.exists():
            load_check.unlink()


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``python -m simulation.population.calibrate <locality|all> [--check]``."""
    ap = argparse.ArgumentParser(prog="python -m simulation.population.calibrate",
                                 description=__doc__.split("\n")[0])
    ap.add_argument("locality", help="locality id or 'all' (" + ", ".join(list_profiles()) + ")")
    ap.add_argument("--check", action="store_true",
                    help="report the gaps with the stored values; do not fit or write")
    ap.add_argument("--write", action="store_true",
                    help="store the fitted values in the tracked locality file (default: report only)")
    ap.add_argument("--no-write", action="store_true", help=argparse.SUPPRESS)  # the old default's name
    ap.add_argument("--n-households", type=int, default=None)
    ap.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = ap.parse_args(argv)
    from tqdm.auto import tqdm

    from simulation.reporting.progress import count_calls

    ids = list_profiles() if args.locality == "all" else [args.locality]
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    worst = 0.0
    module = sys.modules[__name__]
    for i, locality in enumerate(ids, start=1):
        # one tick per model evaluation (each generates the population once)
        bar = tqdm(desc=f"{locality} ({i}/{len(ids)}): model evaluations", unit="eval",
                   disable=args.no_progress, leave=False)
        with bar, count_calls(module, "generate", bar):
            if args.check:
                result = check(locality)
            else:
                profile = load_profile(locality)
                n = args.n_households or sample_size(profile)
                result = calibrate(locality, n, SEED)
        if not args.check and args.write:
            write_calibration(profile.path, calibration_block(result, n, SEED, _dt.date.today().isoformat()))
            print(f"written to {profile.path}")
        elif not args.check:
            print(f"not written (add --write to store the fitted values in {profile.path})")
        table = result.report.copy()
        table.insert(0, "locality", locality)
        table.to_csv(RESULTS_DIR / f"{locality}.csv")
        worst = max(worst, result.max_gap)
        print(f"\n== {locality}: {result.message}; {result.evaluations} model evaluations")
        print(result.report.to_string(float_format=lambda v: f"{v:,.3f}"))
        print("fitted: " + ", ".join(f"{k}={v:.4g}" for k, v in result.values.items()))
    print(f"\nlargest gap of a fitted target: {100 * worst:.2f}% (tolerance {100 * TOLERANCE:.0f}%)")
    return 0 if worst <= TOLERANCE else 1


if __name__ == "__main__":
    sys.exit(main())
