"""Tests of the policy layer: catalogue, YAML files, loader validation, dated values, reforms."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from simulation.policy import (
    CATALOGUE,
    DEFAULT_DATA_DIR,
    Params,
    PolicyError,
    list_localities,
    load_policy,
    load_reform,
)

FIXTURES = Path(__file__).parent / "policies"
LOCALITIES = ["boshan", "jiaohe", "kaizhou", "lanzhou_xinqu", "qijiang"]

_PYTYPES = {
    "amount": (int, float),
    "share": (int, float),
    "multiple": (int, float),
    "rate": (int, float),
    "months": (int,),
    "age": (int,),
    "count": (int,),
    "bool": (bool,),
    "enum": (str,),
    "month_list": (tuple,),
    "share_list": (tuple,),
    "multiple_list": (tuple,),
}


def _with_fixture(tmp_path: Path, name: str) -> Path:
    """A data dir holding the real national.yaml and one bad-input fixture."""
    shutil.copy(DEFAULT_DATA_DIR / "national.yaml", tmp_path / "national.yaml")
    shutil.copy(FIXTURES / f"{name}.yaml", tmp_path / f"{name}.yaml")
    return tmp_path


# --- the shipped files ----------------------------------------------------------------------


def test_all_localities_listed():
    assert list_localities() == LOCALITIES


@pytest.mark.parametrize("locality", LOCALITIES + ["national"])
@pytest.mark.parametrize("date", ["2021-01-01", "2030-12-31"])
def test_every_path_resolves_with_its_kind(locality, date):
    params = load_policy(locality).at(date)
    assert set(params) == set(CATALOGUE)
    for path, spec in CATALOGUE.items():
        value = params[path]
        assert isinstance(value, _PYTYPES[spec.kind]), (path, value)
        if spec.kind in ("amount", "share", "multiple", "rate", "months", "count", "age"):
            assert not isinstance(value, bool), path


def test_national_2021_averages():
    p = load_policy("national")
    # the published national averages (statistics.md §6) at the end of each year, and the months
    # between them interpolated, so the path rises month by month from February 2018
    assert p.value("dibao.standard.urban", "2021-12-01") == 711.4
    assert p.value("dibao.standard.rural", "2021-12-01") == 530.2
    assert p.value("dibao.standard.urban", "2020-12-01") == 677.6
    assert p.value("dibao.standard.urban", "2018-02-01") == 541.0
    path = [p.value("dibao.standard.urban", f"{y}-{m:02d}-01") for y in range(2018, 2022)
            for m in range(2, 13) if (y, m) >= (2018, 2)]
    assert all(b >= a for a, b in zip(path, path[1:], strict=False))


def test_value_before_and_after_a_change():
    p = load_policy("qijiang")
    assert p.value("dibao.standard.urban", "2021-08-31") == 546
    assert p.value("dibao.standard.urban", "2021-09-01") == 636
    assert p.value("tekun.care.full", "2024-06-30") == 300
    assert p.value("tekun.care.full", "2024-07-01") == 500
    assert p.value("dibao.standard.urban", dt.date(2025, 7, 1)) == 770
    assert p.value("dibao.standard.urban", "2025-06") == 750  # YYYY-MM means the 1st


def test_chongqing_tekun_matches_published_figures():
    # statistics.md §3: tekun basic 710, 827, 932, 955, 975, 1001 = 1.3 × urban standard
    p = load_policy("qijiang")
    published = {"2018-01-01": 710, "2021-09-01": 827, "2022-09-01": 932, "2023-07-01": 955,
                 "2024-07-01": 975, "2025-07-01": 1001}
    for date, tekun in published.items():
        # value() reads single paths, also before 2020 where only Chongqing's own paths exist
        assert p.value("tekun.basis.rural", date) == "urban"
        basic = p.value("tekun.multiple.dispersed.rural", date) * p.value("dibao.standard.urban", date)
        assert abs(basic - tekun) <= 1, (date, basic, tekun)


def test_jiaohe_tekun_and_supplements():
    a = load_policy("jiaohe").at("2023-01-01")
    assert a["tekun.multiple.dispersed.urban"] * a["dibao.standard.urban"] == pytest.approx(780)
    assert a["tekun.multiple.centralised.rural"] * a["dibao.standard.rural"] == pytest.approx(820)
    assert (a["tekun.care.self_care"], a["tekun.care.partial"], a["tekun.care.full"]) == (176, 440, 704)
    assert a["dibao.supplement.severe.share"] == 0.60
    assert a["dibao.gradual_exit.payment_schedule"] == (0.75, 0.5)
    assert (a["dibao.gradual_exit.months"], a["dibao.gradual_exit.months_disabled"]) == (18, 24)


def test_boshan_standards_are_the_derived_consumption_shares():
    p = load_policy("boshan")
    assert p.value("dibao.standard.rule", "2024-01-01") == "consumption_share"
    for year in range(2021, 2026):
        a = p.at(f"{year}-01-01")
        for area in ("urban", "rural"):
            share = a[f"dibao.standard.consumption_share.{area}"]
            derived = share * a[f"dibao.standard.consumption.{area}"] / 12
            # the file rounds to 0.1 yuan
            assert abs(a[f"dibao.standard.{area}"] - derived) <= 0.05 + 1e-9, (year, area, derived)
        assert 0.25 <= a["dibao.standard.consumption_share.urban"] <= 0.35
        assert 0.35 <= a["dibao.standard.consumption_share.rural"] <= 0.45


def test_lanzhou_rural_classes_from_gansu_amounts():
    a = load_policy("lanzhou_xinqu").at("2023-03-01")
    amounts = (5580, 5304, 1068, 744)  # statistics.md §3, yuan/year, 2023
    assert a["dibao.tiers.rural.shares"] == pytest.approx([x / 5580 for x in amounts], abs=1e-4)
    assert a["dibao.standard.rural"] == 5580 / 12
    assert (a["admin.decision_deadline_days"], a["admin.deadline_basis"]) == (15, "working")


def test_lanzhou_standard_follows_consumption_after_the_last_published_year():
    from simulation.rules.params import dibao_standard

    policy = load_policy("lanzhou_xinqu")
    # 2023: the published schedule (700 urban three-county, 5,580/year rural)
    assert dibao_standard(policy.at("2023-06-01"), "urban") == 700
    assert dibao_standard(policy.at("2023-06-01"), "rural") == pytest.approx(465.0)
    # 2024, 2025: the 2023 share of last year's per-capita consumption (seed 004 §五)
    for day, urban_c, rural_c in (("2024-06-01", 32994, 18175), ("2025-06-01", 34557, 19280)):
        a = policy.at(day)
        assert a["dibao.standard.rule"] == "consumption_share"
        assert dibao_standard(a, "urban") == pytest.approx(0.2764 * urban_c / 12)
        assert dibao_standard(a, "rural") == pytest.approx(0.3355 * rural_c / 12)
    # the shares reproduce the 2023 standards from 2022 consumption within a yuan
    assert 0.2764 * 30391 / 12 == pytest.approx(700, abs=1.0)
    assert 0.3355 * 16632 / 12 == pytest.approx(465, abs=1.0)


def test_inheritance_and_override():
    national, qijiang = load_policy("national"), load_policy("qijiang")
    # overridden by the locality
    assert national.value("dibao.employment_cost_deduction", "2024-01-01") == 0.0
    assert qijiang.value("dibao.employment_cost_deduction", "2024-01-01") == 0.30
    assert "qijiang" in qijiang.reference("dibao.employment_cost_deduction", "2024-01-01") or \
        "kaizhou" in qijiang.reference("dibao.employment_cost_deduction", "2024-01-01")
    # inherited, including the national file's dated changes
    assert qijiang.value("temporary.urgent.amount", "2024-01-01") == 700
    assert qijiang.value("price_linkage.cpi_trigger", "2022-10-01") == 0.03
    assert qijiang.value("price_linkage.cpi_trigger", "2023-04-01") == 0.035
    assert qijiang.reference("temporary.urgent.amount", "2024-01-01").startswith("assumption:")
    assert [Path(s).name for s in qijiang.sources] == ["national.yaml", "qijiang.yaml"]


def test_every_value_has_a_reference():
    for loc in LOCALITIES:
        p = load_policy(loc)
        for path in CATALOGUE:
            for e in p.schedule(path):
                assert e.reference.startswith(("seed ", "national:", "statistics.md", "published:", "assumption:"))


def test_at_is_cached_per_period_and_immutable():
    p = load_policy("qijiang")
    a, b = p.at("2021-09-01"), p.at("2021-10-15")
    assert a is b
    assert isinstance(a, Params)
    assert p.at("2021-08-31") is not a
    with pytest.raises(TypeError):
        a["dibao.standard.urban"] = 1  # type: ignore[index]
    with pytest.raises(KeyError, match="dibao.standard.urbn"):
        a["dibao.standard.urbn"]


def test_changes_between_lists_only_real_changes():
    q = load_policy("qijiang").changes_between("2021-01-01", "2025-12-31")
    assert dt.date(2021, 9, 1) in q and dt.date(2025, 7, 1) in q
    assert q == sorted(q)
    # jiaohe's 2022-07-01 entries repeat the back-dated values: no change on that date
    j = load_policy("jiaohe").changes_between("2022-01-01", "2022-12-31")
    assert dt.date(2022, 7, 1) not in j
    assert dt.date(2022, 9, 1) in j  # national price-linkage trigger change


def test_date_before_coverage_is_refused():
    with pytest.raises(PolicyError, match="no value in force"):
        load_policy("lanzhou_xinqu").at("2017-06-01")  # national.yaml starts 2018-01-01


def test_content_hash_is_stable():
    assert load_policy("qijiang").content_hash() == load_policy("qijiang").content_hash()
    assert load_policy("qijiang").content_hash() != load_policy("kaizhou").content_hash()


def test_unknown_locality():
    with pytest.raises(PolicyError, match="atlantis"):
        load_policy("atlantis")


# --- reforms --------------------------------------------------------------------------------


def test_reform_gives_new_policy_and_leaves_original():
    base = load_policy("qijiang")
    before = base.content_hash()
    reformed = base.with_reforms({"dibao.standard.urban": {"2025-01-01": 800}})
    assert reformed.value("dibao.standard.urban", "2025-03-01") == 800
    # the reform replaces the base schedule from its first date: the 2025-07 raise is gone
    assert reformed.value("dibao.standard.urban", "2026-01-01") == 800
    assert reformed.value("dibao.standard.urban", "2024-12-31") == 750
    assert reformed.reference("dibao.standard.urban", "2025-03-01").startswith("reform:")
    assert base.value("dibao.standard.urban", "2026-01-01") == 770
    assert base.content_hash() == before
    assert reformed.content_hash() != before
    assert dt.date(2025, 1, 1) in reformed.changes_between("2025-01-01", "2025-01-31")


def test_reform_through_load_policy_and_from_file():
    by_dict = load_policy("qijiang", reforms=[{"dibao.standard.urban": {"2025-01-01": 800}}])
    by_file = load_policy("qijiang", reforms=[FIXTURES / "reform_urban_800.yaml"])
    assert by_dict.content_hash() == by_file.content_hash()
    assert str(FIXTURES / "reform_urban_800.yaml") in by_file.sources
    r = load_reform(FIXTURES / "reform_urban_800.yaml")
    assert r.name == "urban_800"


def test_reform_of_unknown_parameter_is_refused():
    with pytest.raises(PolicyError, match="dibao.standard.moon") as exc:
        load_policy("qijiang", reforms=[FIXTURES / "reform_unknown.yaml"])
    assert "unknown parameter" in str(exc.value)
    with pytest.raises(PolicyError, match="tekun.care.fulll"):
        load_policy("qijiang").with_reforms({"tekun.care.fulll": {"2025-01-01": 600}})


def test_reform_values_are_validated():
    with pytest.raises(PolicyError) as exc:
        load_reform({"dibao.standard.urban": {"2025-01-01": -1, "2024-01-01": 700},
                     "dibao.payment_mode": {"2025-01-01": "lump"}})
    msg = str(exc.value)
    assert "dibao.standard.urban[2025-01-01]" in msg and "-1" in msg
    assert "out of order" in msg
    assert "dibao.payment_mode" in msg and "'lump'" in msg
    with pytest.raises(PolicyError, match="wrong unit"):
        load_reform({"dibao.standard.urban": {"unit": "yuan/person/year",
                                              "values": {"2025-01-01": 9000}}})


def test_reform_breaking_cross_checks_is_refused():
    with pytest.raises(PolicyError, match="lower bound above upper bound"):
        load_policy("boshan", reforms=[{"temporary.education.multiple_min": {"2025-01-01": 8}}])


# --- bad input: each case names file, path and value ----------------------------------------

BAD_CASES = [
    ("unknown_key", "dibao.standard.urbn", "700", "unknown parameter path"),
    ("unknown_key", "dibao.standard.rural[2022-01-01].note", "not allowed", "unknown key"),
    ("wrong_unit", "dibao.standard.urban", "yuan/person/year", "wrong unit"),
    ("wrong_type", "dibao.standard.urban[2022-01-01]", "seven hundred", "must be a number"),
    ("wrong_type", "dibao.gradual_exit.months[2022-01-01]", "6.5", "whole number"),
    ("negative_amount", "tekun.care.full[2022-01-01]", "-300", "must not be negative"),
    ("multiple_below_one", "dibao.gradual_exit.ceiling_multiple[2022-01-01]", "0.8", "at least 1"),
    ("dates_out_of_order", "dibao.standard.urban[2022-01-01]", "2022-01-01", "out of order"),
    ("bad_date", "dibao.standard.urban[2025-13-01]", "2025-13-01", "bad date"),
    ("missing_reference", "dibao.standard.urban[2022-01-01].reference", "None", "missing reference"),
    ("missing_reference", "dibao.standard.rural[2022-01-01].reference", "I think so", "must start with"),
    ("unknown_enum", "dibao.payment_mode[2022-01-01]", "lump_sum", "must be one of gap, tiers"),
    ("inconsistent", "temporary.illness.multiple_min / temporary.illness.multiple_max", "14",
     "lower bound above upper bound"),
    ("inconsistent", "dibao.tiers.rural.shares / dibao.tiers.rural.gap_thresholds", "0.2",
     "differ in length"),
]


@pytest.mark.parametrize(("fixture", "path", "value", "message"), BAD_CASES)
def test_bad_input_names_file_path_and_value(tmp_path, fixture, path, value, message):
    data_dir = _with_fixture(tmp_path, fixture)
    with pytest.raises(PolicyError) as exc:
        load_policy(fixture, data_dir=data_dir)
    matching = [p for p in exc.value.problems if p[1] == path]
    assert matching, f"no problem for {path} in:\n{exc.value}"
    file, _, val, msg = matching[0]
    assert f"{fixture}.yaml" in file
    assert value in repr(val) and message in msg
    line = next(ln for ln in str(exc.value).splitlines() if f": {path}: " in ln)
    assert f"{fixture}.yaml" in line and value in line


def test_several_problems_all_reported(tmp_path):
    data_dir = _with_fixture(tmp_path, "several_problems")
    with pytest.raises(PolicyError) as exc:
        load_policy("several_problems", data_dir=data_dir)
    paths = {p[1] for p in exc.value.problems}
    assert paths >= {
        "colour",
        "dibao.standard.urban[2022-01-01]",
        "low_income.multiple[2022-01-01]",
        "dibao.review.months.A[2022-01-01]",
        "tekun.care.partial[2022-31-01]",
        "dibao.supplement.elderly.share[2022-01-01]",
        "dibao.supplement.elderly.share[2022-01-01].reference",
    }
    assert str(exc.value).startswith(f"{len(exc.value.problems)} problem(s)")


def test_problems_in_file_and_reform_reported_together(tmp_path):
    data_dir = _with_fixture(tmp_path, "negative_amount")
    with pytest.raises(PolicyError) as exc:
        load_policy("negative_amount", reforms=[{"no.such.path": {"2025-01-01": 1}}],
                    data_dir=data_dir)
    paths = {p[1] for p in exc.value.problems}
    assert {"tekun.care.full[2022-01-01]", "no.such.path"} <= paths


def test_national_file_missing_a_path(tmp_path):
    text = (DEFAULT_DATA_DIR / "national.yaml").read_text(encoding="utf-8")
    start = text.index("  tekun.funeral_months:")
    end = text.index("  tekun.review.months:")
    (tmp_path / "national.yaml").write_text(text[:start] + text[end:], encoding="utf-8")
    with pytest.raises(PolicyError, match="tekun.funeral_months") as exc:
        load_policy("national", data_dir=tmp_path)
    assert "no value given" in str(exc.value)


def test_duplicate_key_and_bad_yaml(tmp_path):
    shutil.copy(DEFAULT_DATA_DIR / "national.yaml", tmp_path / "national.yaml")
    (tmp_path / "dup.yaml").write_text(
        "locality: dup\ninherits: national\nparameters:\n"
        "  tekun.funeral_months:\n    unit: months\n    values:\n"
        '      "2022-01-01": {value: 6, reference: "assumption: t"}\n'
        '      "2022-01-01": {value: 7, reference: "assumption: t"}\n',
        encoding="utf-8",
    )
    with pytest.raises(PolicyError, match="duplicate key"):
        load_policy("dup", data_dir=tmp_path)
    (tmp_path / "broken.yaml").write_text("locality: broken\nparameters: [unclosed\n", encoding="utf-8")
    with pytest.raises(PolicyError, match=r"broken.yaml: line 3, column 1: .*YAML syntax"):
        load_policy("broken", data_dir=tmp_path)


def test_content_hash_ignores_int_float_spelling_and_references():
    a = load_policy("qijiang", reforms=[{"dibao.standard.urban": {"2025-01-01": 800}}])
    b = load_policy("qijiang", reforms=[{"dibao.standard.urban": {
        "2025-01-01": {"value": 800.0, "reference": "assumption: another source"}}}])
    assert a.content_hash() == b.content_hash()


def test_frequency_above_daily_is_refused():
    with pytest.raises(PolicyError, match=r"services.frequency.cleaning\[2025-01-01\].*40"):
        load_reform({"services.frequency.cleaning": {"2025-01-01": 40}})


@pytest.mark.parametrize(
    ("fixture", "count"),
    [("unknown_key", 2), ("wrong_unit", 1), ("wrong_type", 2), ("negative_amount", 1),
     ("multiple_below_one", 1), ("dates_out_of_order", 1), ("bad_date", 1),
     ("missing_reference", 2), ("unknown_enum", 1), ("inconsistent", 2), ("several_problems", 7)],
)
def test_no_spurious_problems(tmp_path, fixture, count):
    with pytest.raises(PolicyError) as exc:
        load_policy(fixture, data_dir=_with_fixture(tmp_path, fixture))
    assert len(exc.value.problems) == count, str(exc.value)


def test_reforms_given_singly_or_as_list_and_dates_of_any_form():
    import numpy as np
    import pandas as pd

    base = load_policy("qijiang")
    r = {"dibao.standard.urban": {"2025-01-01": 800}}
    h = {base.with_reforms(r).content_hash(), base.with_reforms([r]).content_hash(),
         load_policy("qijiang", reforms=r).content_hash()}
    assert len(h) == 1
    for d in (pd.Timestamp("2025-08-03"), np.datetime64("2025-08-03"), dt.datetime(2025, 8, 3)):
        assert base.value("dibao.standard.urban", d) == 770
    with pytest.raises(ValueError, match="2025-13-01"):
        base.at("2025-13-01")


def test_a_converging_standard_is_reset_each_january_of_its_path():
    # boshan §1 (unification by a target year) on Qijiang's frozen 2025-07 standards 770 / 630:
    # no dated value changes after 2025, yet each January of the path is a change date
    from simulation.rules.params import dibao_standard

    p = load_policy("qijiang")
    assert p.changes_between("2026-01-01", "2028-12-31") == []
    r = p.with_reforms({"dibao.standard.unification.enabled": {"2024-01-01": True},
                        "dibao.standard.unification.start_year": {"2024-01-01": 2024},
                        "dibao.standard.unification.target_year": {"2024-01-01": 2028}})
    assert r.changes_between("2026-01-01", "2028-12-31") == [
        dt.date(2026, 1, 1), dt.date(2027, 1, 1), dt.date(2028, 1, 1)]
    # 630 + (2026 − 2024) / 4 × (770 − 630) = 700; 735 in 2027; one standard from 2028
    assert [dibao_standard(r.at(f"{y}-03-01"), "rural") for y in (2026, 2027, 2028)] == \
        pytest.approx([700.0, 735.0, 770.0])
