"""Admin layer: the staffing ratio rule, the township-office model, purchased services and the cap."""

from __future__ import annotations

import numpy as np
import pytest
from scenarios.fixtures import PARAMS

from simulation.admin.offices import (
    MONTH_DAYS,
    QUEUE_AGES,
    OfficeState,
    OfficeWork,
    office_month,
    office_parameters,
)
from simulation.admin.parameters import AdminParameterError, load_admin_parameters
from simulation.admin.services import (
    assess_cap,
    estimate_cap_base,
    package_cost_per_person_month,
    service_cost,
)
from simulation.admin.staffing import (
    default_ratios,
    required_staff,
    staffing_rule_table,
)

ADMIN = load_admin_parameters()
#: The office model's parameters of Qijiang in 2024 (the policy files').
OFFICE = office_parameters(__import__("simulation.policy", fromlist=["load_policy"]).load_policy(
    "qijiang").at("2024-01-01"))


@pytest.mark.parametrize(
    ("recipients", "ratio", "expected"),
    [
        (0, 0.003, 2),  # an office with no recipients keeps the minimum of 2
        (999, 0.002, 2),  # under 1,000 recipients: at least 2 (qijiang 三(三))
        (999, 0.004, 4),  # 3.996 rounds up to 4, above the minimum
        (1000, 0.002, 2),  # at the threshold the ratio alone applies: 2
        (1500, 0.002, 3),  # 3.0 exactly, not 4 from floating-point noise
        (2501, 0.004, 11),  # 10.004 rounds up
        (12000, 0.003, 36),
    ],
)
def test_required_staff_follows_the_ratio_and_minimum(recipients, ratio, expected):
    assert required_staff([recipients], ratio, 2, 1000)[0] == expected


def test_required_staff_rejects_bad_input():
    with pytest.raises(ValueError, match="recipients"):
        required_staff([100, -1], 0.003, 2, 1000)
    with pytest.raises(ValueError, match="ratio"):
        required_staff([100], 3.0, 2, 1000)


def test_staffing_rule_table_costs_each_ratio():
    import pandas as pd

    rec = pd.Series([500.0, 4000.0], index=[0, 1])
    t = staffing_rule_table(rec, default_ratios(PARAMS), PARAMS)
    assert sorted(t["ratio"].unique()) == [0.002, 0.003, 0.004]
    at3 = t[t["ratio"] == 0.003].set_index("township")
    assert at3.loc[0, "staff"] == 2 and at3.loc[1, "staff"] == 12
    assert at3.loc[1, "staff_cost"] == 12 * PARAMS["staffing.annual_cost"]


def _run(months: list[OfficeWork], staff: float, p=OFFICE):
    state, out = OfficeState(), []
    for work in months:
        state, month = office_month(state, work, staff, p)
        out.append(month)
    return state, out


def test_office_light_load_decides_in_the_month_in_its_own_time():
    cap = 2 * OFFICE.casework_hours
    light = OfficeWork(0.05 * cap / OFFICE.hours_per_application, 0.0, 0.0, 0.0, 0.0)
    state, (m,) = _run([light], 2)
    assert m.decided == pytest.approx(light.applications) and m.backlog == 0.0
    assert state.queue.sum() == 0.0 and m.late == 0.0
    # the office reaches them within the first 5% of the month: days are the own time and the
    # notice, and a little wait for those applying on the first days
    assert OFFICE.own_days <= m.days_mean <= OFFICE.own_days + 0.05 * MONTH_DAYS
    assert OFFICE.own_days == pytest.approx(
        (6.0 + 0.2 * 4.0 + 0.5) / 8.0 * 7 / 5 + 7)  # national.yaml's hours and notice days


def test_office_burst_waits_oldest_first_and_more_staff_decide_sooner():
    cap = 2 * OFFICE.casework_hours
    burst = OfficeWork(2 * cap / OFFICE.hours_per_application, 0.0, 0.0, 0.0, 0.0)
    quiet = OfficeWork(0.0, 0.0, 0.0, 0.0, 0.0)
    state, (m1, m2, m3) = _run([burst, quiet, quiet], 2)
    # two months of work: half decided in month 1 (the lowest draws), the rest in month 2
    assert m1.decided == pytest.approx(burst.applications / 2) and m1.backlog == pytest.approx(m1.decided)
    assert m1.cut_hi[0] == pytest.approx(0.5) and m2.cut_lo[1] == pytest.approx(0.5)
    assert m2.decided == pytest.approx(m1.backlog) and m2.backlog == pytest.approx(0.0)
    assert m3.decided == 0.0 and np.isnan(m3.days_mean)
    assert m2.days_mean > m1.days_mean + 0.5 * MONTH_DAYS  # a month's wait more
    assert state.queue.shape == (QUEUE_AGES,)
    _, (f1, f2, _) = _run([burst, quiet, quiet], 4)
    assert f1.backlog == pytest.approx(0.0)
    both = (m1.days_mean * m1.decided + m2.days_mean * m2.decided) / (m1.decided + m2.decided)
    assert f1.days_mean < both
    assert f1.late + f2.late < m1.late + m2.late


def test_purchased_hours_and_assistants_add_hours():
    from dataclasses import replace

    work = OfficeWork(3 * OFFICE.casework_hours / OFFICE.hours_per_application, 0.0, 0.0, 0.0, 0.0)
    _, (plain,) = _run([work], 2)
    _, (bought,) = _run([work], 2, replace(OFFICE, purchased_hours=OFFICE.casework_hours))
    assert bought.capacity == pytest.approx(plain.capacity + OFFICE.casework_hours)
    assert bought.backlog < plain.backlog and bought.days_mean < plain.days_mean
    helped = OfficeWork(work.applications, 0.0, 0.0, 0.0, 18.0)  # 18 villages, one assistant each
    _, (h,) = _run([helped], 2)
    assert h.assistants == 18.0
    # assistants take intake and visits: at most task_share of the month's application hours
    assert h.capacity - plain.capacity == pytest.approx(min(
        18 * OFFICE.assistant_hours, OFFICE.assistant_task_share * work.applications * OFFICE.hours_per_application))


def test_reviews_beyond_the_hours_wait_with_the_lag_and_not_without():
    from dataclasses import replace

    cap = 2 * OFFICE.casework_hours
    many = OfficeWork(0.0, 2 * cap / OFFICE.hours_review, 0.0, 0.0, 0.0)
    none = OfficeWork(0.0, 0.0, 0.0, 0.0, 0.0)
    state, (m1, m2) = _run([many, none], 2)
    assert m1.review_share[0] == pytest.approx(0.5) and m1.reviews_late == pytest.approx(many.reviews_due / 2)
    # the waiting ones come first next month
    assert m2.reviews_due == pytest.approx(m1.reviews_late) and m2.review_share == (1.0, 1.0)
    assert m2.reviews_late == 0.0 and state.overdue == 0.0
    _, (n1,) = _run([many], 2, replace(OFFICE, review_lag=False))
    assert n1.review_share == (1.0, 1.0) and n1.reviews_late == 0.0
    assert n1.hours_used > n1.capacity  # done on time only by overtime


def test_cap_counts_follow_the_locality():
    per_year = package_cost_per_person_month(PARAMS) * 12
    base = 100 * per_year / 0.02 * 2
    all_ = assess_cap(2025, 100, PARAMS, cap_base=base, casework_cost=30 * per_year)
    assert all_.cost == pytest.approx(130 * per_year) and all_.counted_cost == all_.cost
    assert all_.headroom == pytest.approx(70 * per_year)
    lanzhou = {**PARAMS, "services.cap_counts": "subsidy_funded", "services.subsidy_funded_share": 0.5}
    part = assess_cap(2025, 100, lanzhou, cap_base=base, casework_cost=30 * per_year)
    assert part.counted_cost == pytest.approx(65 * per_year) and part.headroom == pytest.approx(135 * per_year)
    with pytest.raises(ValueError, match="casework cost"):
        assess_cap(2025, 100, PARAMS, cap_base=base, casework_cost=-1.0)


def test_package_cost_is_unit_cost_times_frequency():
    expected = 20 * 1 + 30 * 2 + 50 * 4.33 + 120 / 6
    assert package_cost_per_person_month(PARAMS) == pytest.approx(expected)
    assert service_cost(10, PARAMS, months=12) == pytest.approx(10 * 12 * expected)


def test_cap_headroom_and_shortfall():
    per_year = package_cost_per_person_month(PARAMS) * 12
    ok = assess_cap(2025, 100, PARAMS, cap_base=100 * per_year / 0.02 * 2)
    assert ok.headroom == pytest.approx(ok.cap - ok.cost) and ok.headroom > 0
    assert ok.affordable_coverage == 1.0 and ok.affordable_persons == 100
    short = assess_cap(2025, 100, PARAMS, cap_base=25 * per_year / 0.02)
    assert short.cap == pytest.approx(25 * per_year)
    assert short.headroom == pytest.approx(-75 * per_year)
    assert short.affordable_coverage == pytest.approx(0.25)
    assert short.affordable_persons == pytest.approx(25)
    with pytest.raises(ValueError, match="cap base for 2025"):
        assess_cap(2025, 100, PARAMS, cap_base=0)


def test_cap_base_estimate_is_labelled():
    amount, label = estimate_cap_base(46_824.0, 2025, ADMIN.cap_estimate)
    # a thousandth of national recipients gets a thousandth of the 2022 allocation (latest <= 2025)
    assert amount == pytest.approx(154.68e9 / 1000)
    assert label.startswith("ESTIMATE") and "2022" in label and "provincial funds not included" in label
    early, label_early = estimate_cap_base(46_824.0, 2020, ADMIN.cap_estimate)
    assert early == pytest.approx(147.2e9 / 1000) and "2019" in label_early


def test_admin_parameter_file_errors_name_the_field(tmp_path):
    text = (ADMIN.source and open(ADMIN.source, encoding="utf-8").read())
    bad = tmp_path / "admin.yaml"
    bad.write_text(text.replace("value: 46824000", "value: -5"), encoding="utf-8")
    with pytest.raises(AdminParameterError, match=r"national_recipients\.value"):
        load_admin_parameters(bad)
    bad.write_text(text + "workload: {}\n", encoding="utf-8")
    with pytest.raises(AdminParameterError, match="unknown key"):
        load_admin_parameters(bad)


def test_households_needed_for_township_staffing_answers():
    from simulation.admin.offices import households_needed

    # the largest township has 2,000 recipients, 2 persons per recipient household, 4‰: the
    # rule's staff (8) are good to half a person when one sampled household stands for at most
    # 0.25 / (0.004² × 2 × 2,000) = 3.9 real ones
    need = households_needed([500.0, 2000.0], 2.0, 400_000.0, 0.004)
    assert need == int(np.ceil(400_000 / (0.25 / (0.004 ** 2 * 2 * 2000))))
    assert households_needed([500.0, 2000.0], 2.0, 400_000.0, 0.002) < need  # a lower ratio: fewer
    assert households_needed([5e6], 2.0, 400_000.0, 0.004) == 400_000  # at most the population
    assert households_needed([0.0], 2.0, 400_000.0, 0.004) == 0


def test_a_review_that_misses_its_month_is_counted_once_however_long_it_waits():
    cap = 2 * OFFICE.casework_hours
    # three times the hours of reviews, then nothing: the late ones wait two months
    many = OfficeWork(0.0, 3 * cap / OFFICE.hours_review, 0.0, 0.0, 0.0)
    none = OfficeWork(0.0, 0.0, 0.0, 0.0, 0.0)
    _, months = _run([many, none, none], 2)
    assert months[0].reviews_late > 0 and months[1].reviews_late > 0  # still waiting in month 2
    # the stock summed over the months counts a review once per month it waited; the flow once
    missed = sum(m.reviews_missed for m in months)
    assert missed == pytest.approx(months[0].reviews_late)
    assert sum(m.reviews_late for m in months) > missed


def test_office_kernel_sums_are_numpys_to_the_bit():
    """The office kernel's sums (queue, days to decision) are numpy's pairwise sums, so its
    figures are those of the numpy code it replaced; lengths on both sides of each split."""
    from simulation.admin.offices import _sum

    rng = np.random.default_rng(7)
    for n in (0, 1, 7, 8, 9, 25, 128, 129, 136, 576, 1000, 4099):
        for scale in (1e-3, 1.0, 1e6):
            a = rng.standard_normal(n) * scale
            assert _sum(a) == a.sum(), n
    grid = rng.uniform(0, 90, (24, 24))
    assert _sum(grid.ravel()) / grid.size == grid.mean()
