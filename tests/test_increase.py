"""`run --increase 5% 10% +50`: percent and yuan increases, in the order given; bad values exit 2."""

from __future__ import annotations

import pytest

from simulation.cli import build_parser, main
from simulation.scenarios.increase import IncreaseError, parse_increase, with_increases
from simulation.scenarios.runner import build_policy
from simulation.scenarios.scenario import ScenarioError, load_scenario


@pytest.mark.parametrize(("text", "kind", "value", "name"), [
    ("5%", "percent", 5.0, "standard_plus_5pct"), ("-2.5%", "percent", -2.5, "standard_minus_2_5pct"),
    ("+50", "yuan", 50.0, "standard_plus_50yuan"), ("50元", "yuan", 50.0, "standard_plus_50yuan"),
    ("-20 yuan", "yuan", -20.0, "standard_minus_20yuan"),
])
def test_increases_are_read(text, kind, value, name):
    inc = parse_increase(text)
    assert (inc.kind, inc.value, inc.name) == (kind, value, name)


@pytest.mark.parametrize(("text", "reason"), [
    ("5", "write 5% for a percentage or \\+5 for yuan"), ("abc", "expected a percentage"),
    ("0%", "zero change"), ("-100%", "above -100%"), ("5000%", "at most 500%"), ("5%%", "expected"),
])
def test_bad_increases_name_the_option_and_value(text, reason):
    with pytest.raises(IncreaseError, match=f"--increase '{text}': .*{reason}"):
        parse_increase(text)


def test_cli_bad_increase_exits_2_with_the_reason(capsys):
    with pytest.raises(SystemExit) as exit_:
        build_parser().parse_args(["run", "--increase", "5%", "ten"])
    assert exit_.value.code == 2
    assert "--increase 'ten': expected a percentage (5%, -2.5%) or yuan" in capsys.readouterr().err


def test_cli_same_increase_twice_exits_2(capsys, tmp_path):
    assert main(["run", "--increase", "5%", "5%", "--output", str(tmp_path)]) == 2
    assert "the same increase as '5%'" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_variants_in_the_order_given_scale_and_add_the_standards():
    args = build_parser().parse_args(["run", "--increase", "10%", "5%", "+50"])
    sc = with_increases(load_scenario(), args.increase)
    assert [v.name for v in sc.variants] == ["baseline", "standard_plus_10pct", "standard_plus_5pct",
                                              "standard_plus_50yuan"]
    assert sc.reforms[0].label_zh == "城乡低保标准提高10%"
    base = build_policy(sc, "baseline", "qijiang")
    for variant, expect in (("standard_plus_10pct", lambda b: 1.10 * b), ("standard_plus_50yuan", lambda b: b + 50)):
        pol = build_policy(sc, variant, "qijiang")
        for day in ("2025-01-01", "2026-12-01"):
            for area in ("urban", "rural"):
                path = f"dibao.standard.{area}"
                assert pol.value(path, day) == pytest.approx(expect(base.value(path, day)), abs=0.5)


def test_a_cut_below_zero_is_refused_by_the_policy_rules():
    sc = with_increases(load_scenario(), [parse_increase("-100000")])
    with pytest.raises(ScenarioError, match="standard_minus_100000yuan.changes.dibao.standard"):
        build_policy(sc, "standard_minus_100000yuan", "qijiang")
