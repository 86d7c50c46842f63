"""Admin layer: the staffing ratio rule, the office queue, purchased services and the 2% cap."""

from __future__ import annotations

import numpy as np
import pytest
from scenarios.fixtures import PARAMS

from simulation.admin.parameters import AdminParameterError, load_admin_parameters
from simulation.admin.services import (
    assess_cap,
    estimate_cap_base,
    package_cost_per_person_month,
    service_cost,
)
from simulation.admin.staffing import (
    default_ratios,
    office_queue,
    required_staff,
    staffing_rule_table,
)

ADMIN = load_admin_parameters()


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


def test_office_queue_more_staff_decides_faster_and_clears_backlog():
    months, towns = 12, 2
    apps = np.full((months, towns), 60.0)  # 360 staff-hours a month per township
    revs = np.zeros((months, towns))
    revs[[2, 8], :] = 400.0  # review months (March, September)
    emer = np.full((months, towns), 10.0)
    few = office_queue(apps, revs, emer, np.array([2, 2]), ADMIN.workload, "working")
    many = office_queue(apps, revs, emer, np.array([8, 8]), ADMIN.workload, "working")
    # two staff have 243.6 casework hours: less than the 360 + 20 arriving, so the backlog grows
    assert np.all(np.diff(few.backlog_hours[:, 0]) > 0)
    assert many.backlog_hours.max() == pytest.approx(0.0)
    assert np.all(many.days_to_decision <= few.days_to_decision)
    assert many.days_to_decision.max() < 15 < few.days_to_decision[-1, 0]
    assert np.all((many.utilisation >= 0) & (many.utilisation <= 1 + 1e-9))


def test_office_queue_without_applications_has_no_wait():
    z = np.zeros((3, 1))
    q = office_queue(z, z, z, np.array([2]), ADMIN.workload)
    assert np.all(q.days_to_decision == 0) and np.all(q.backlog_hours == 0)


def test_calendar_basis_counts_more_days_than_working():
    apps = np.full((4, 1), 80.0)
    z = np.zeros((4, 1))
    w = office_queue(apps, z, z, np.array([3]), ADMIN.workload, "working").days_to_decision
    c = office_queue(apps, z, z, np.array([3]), ADMIN.workload, "calendar").days_to_decision
    assert np.all(c > w)
    with pytest.raises(ValueError, match="deadline_basis"):
        office_queue(apps, z, z, np.array([3]), ADMIN.workload, "lunar")


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
    bad.write_text(text.replace("value: 0.25", "value: 0.35"), encoding="utf-8")
    with pytest.raises(AdminParameterError, match="review_method_share.*sum to 1"):
        load_admin_parameters(bad)
    bad.write_text(text.replace("value: 6.0", "value: -6.0"), encoding="utf-8")
    with pytest.raises(AdminParameterError, match=r"hours_per_task\.application\.value"):
        load_admin_parameters(bad)


def test_office_queue_wait_is_first_in_first_out():
    w = ADMIN.workload
    own = w.hours_per_task["application"] / (w.hours_per_working_day * w.casework_share)
    cap = 2 * w.casework_hours_per_staff_month
    z = np.zeros((3, 1))
    # arrivals well below capacity: decided within the month, only the own handling time
    light = office_queue(np.full((3, 1), 0.1 * cap / 6.0), z, z, np.array([2]), w)
    assert light.days_to_decision == pytest.approx(np.full((3, 1), own))
    # two months of work arrive in the first month: the middle applicant waits half a month
    apps = np.array([[2 * cap / 6.0], [0.0], [0.0]])
    burst = office_queue(apps, z, z, np.array([2]), w)
    assert burst.days_to_decision[0, 0] == pytest.approx(0.5 * w.working_days_per_month + own)
    assert burst.backlog_hours[:, 0] == pytest.approx([cap, 0.0, 0.0])
    # emergencies beyond capacity carry over and come first
    emer = np.array([[1.5 * cap / 2.0], [0.0], [0.0]])
    urgent = office_queue(np.array([[0.0], [0.8 * cap / 6.0], [0.0]]), z, emer, np.array([2]), w)
    assert urgent.utilisation[0, 0] == pytest.approx(1.0)
    # half the capacity of month 2 goes to the carried emergencies: 0.8 of a month of work
    # gets 0.5, the middle applicant finishes at 0.8 of month 2, 0.3 months after arriving
    assert urgent.days_to_decision[1, 0] == pytest.approx(0.3 * w.working_days_per_month + own)
