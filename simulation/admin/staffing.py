"""Township assistance staffing: the ratio rule.

The rule (qijiang 三(三) "镇（街）按辖区内社会救助对象人数的2—4‰确定，辖区内社会救助对象人数不足1000人的，
按不低于2个人确定"): staff = ratio × recipients, at least ``minimum`` where a township has fewer than
``small_threshold`` recipients. What the staff can do with their hours (queue, days to decision,
late reviews) is the one office model, ``simulation.admin.offices``.

All functions are pure (arrays and scalars in, arrays out); nothing here draws random numbers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd


def required_staff(
    recipients: Any, ratio: float, minimum: int, small_threshold: int
) -> np.ndarray:
    """Staff a township needs under the ratio rule (staffing 人员配备, qijiang 三(三)).

    ``ceil(ratio × recipients)``; a township with fewer than ``small_threshold`` recipients gets at
    least ``minimum`` (the seed says "不低于2个人"). Rounding up is an interpretation: a headcount is
    whole and the rule sets a floor. A township with no recipients still has the minimum, since the
    office exists.

    Args:
        recipients: assistance recipients (persons) per township, array-like, >= 0.
        ratio: staff per recipient (0.002–0.004 in the seed).
        minimum: least staff in a small township (2).
        small_threshold: recipients below which the minimum applies (1000).
    """
    rec = np.asarray(recipients, dtype=float)
    if np.any(~np.isfinite(rec)) or np.any(rec < 0):
        bad = rec[~np.isfinite(rec) | (rec < 0)]
        raise ValueError(f"recipients must be finite and >= 0; got {bad[:5].tolist()}")
    if not 0 < ratio < 1:
        raise ValueError(f"staffing ratio must be in (0, 1); got {ratio!r}")
    # round before ceil so that 0.002 × 1500 = 3.0000000000000004 stays 3
    staff = np.ceil(np.round(rec * ratio, 9)).astype(np.int64)
    small = rec < small_threshold
    staff[small] = np.maximum(staff[small], int(minimum))
    return staff


def staffing_rule_table(
    recipients_by_township: pd.Series,
    ratios: Sequence[float],
    params: Mapping[str, Any],
) -> pd.DataFrame:
    """Required staff and their cost per township for each ratio (one row per ratio × township).

    Args:
        recipients_by_township: recipients (persons) indexed by township.
        ratios: staffing ratios to compare (e.g. 0.002, 0.003, 0.004).
        params: policy parameters with ``staffing.minimum``, ``staffing.small_threshold`` and
            ``staffing.annual_cost`` (yuan per staff member per year).

    Returns columns ``ratio, township, recipients, staff, staff_cost`` (yuan/year).
    """
    frames = []
    for ratio in ratios:
        staff = required_staff(
            recipients_by_township.to_numpy(),
            float(ratio),
            int(params["staffing.minimum"]),
            int(params["staffing.small_threshold"]),
        )
        frames.append(
            pd.DataFrame(
                {
                    "ratio": float(ratio),
                    "township": recipients_by_township.index.to_numpy(),
                    "recipients": recipients_by_township.to_numpy(dtype=float),
                    "staff": staff,
                    "staff_cost": staff * float(params["staffing.annual_cost"]),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def default_ratios(params: Mapping[str, Any]) -> tuple[float, float, float]:
    """The low, middle and high ratios of the seed range (2‰, 3‰, 4‰ from ``staffing.ratio_*``)."""
    lo, hi = float(params["staffing.ratio_min"]), float(params["staffing.ratio_max"])
    return lo, round((lo + hi) / 2, 12), hi
