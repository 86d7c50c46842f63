"""Locality profiles: every shipped profile loads; bad profiles give a ProfileError naming the
file, the field and the value."""

from pathlib import Path

import pytest

from simulation.population import ProfileError, list_profiles, load_profile
from simulation.population.profiles import FIELDS, FREE, TARGETS

BAD = Path(__file__).parent / "localities"
SEEDS = {"qijiang", "jiaohe", "kaizhou", "boshan", "lanzhou_xinqu"}


def test_all_localities_present_and_valid():
    ids = set(list_profiles())
    assert SEEDS | {"china_2021"} <= ids
    for pid in ids:
        p = load_profile(pid)
        assert p.id == pid
        assert set(p.values) == set(FIELDS)
        assert set(p.targets) == set(TARGETS)
        assert set(p.free) == set(FREE)
        assert p.policy == ("national" if pid.startswith("china_") else pid)
        # every figure, target and starting value has a non-empty reference
        for path in FIELDS:
            assert p.references[path].strip(), (pid, path)


def test_china_targets_are_the_bulletin_figures():
    p = load_profile("china_2021")
    assert p.targets["dibao_persons.urban"] == 7_378_000
    assert p.targets["dibao_households.rural"] == 19_450_000
    assert p.targets["tekun_persons.rural"] == 4_373_000
    assert "statistics.md" in p.references["calibration_targets.dibao_persons.urban"]


def _problems(name):
    with pytest.raises(ProfileError) as exc:
        load_profile(BAD / f"{name}.yaml")
    return exc.value


def test_shares_not_summing_to_one_lists_both_problems():
    err = _problems("bad_shares")
    fields = {p[1] for p in err.problems}
    assert "household_size.urban" in fields
    assert any("age.under_18" in f for f in fields)
    assert all(p[0].endswith("bad_shares.yaml") for p in err.problems)
    text = str(err)
    assert "bad_shares.yaml" in text and "sum to 1.1" in text and "0.25" in text


def test_negative_count():
    err = _problems("bad_negative")
    assert ("townships.count", -5) in {(p[1], p[2]) for p in err.problems}
    assert "negative" in str(err)


def test_unknown_key_and_the_missing_one():
    err = _problems("bad_unknown")
    msgs = {(p[1], p[3]) for p in err.problems}
    assert ("population.urban_shares", "unknown key") in msgs
    assert ("population.urban_share", "missing") in msgs


def test_missing_reference():
    err = _problems("bad_reference")
    assert [p[1] for p in err.problems] == ["health.rare_disease.reference"]
    assert "missing reference" in str(err)


def test_unknown_locality_names_known_ones():
    with pytest.raises(FileNotFoundError, match="qijiang"):
        load_profile("atlantis")


def test_assumption_without_reason_and_bad_calibration_block(tmp_path):
    src = (Path(load_profile("china_2021").path)).read_text(encoding="utf-8")
    src = src.replace('reference: "assumption: listed rare diseases (2018 first list, 121 diseases), '
                      'about 1 per 1,000 residents"', 'reference: "assumption:"')
    src = src[:src.index("\ncalibration:")] + "\ncalibration:\n  values: {tail_share.urban: 1.5, bogus: 1}\n"
    f = tmp_path / "china_2021.yaml"
    f.write_text(src, encoding="utf-8")
    err = _problems_at(f)
    fields = {p[1] for p in err.problems}
    assert {"health.rare_disease.reference", "calibration.values.tail_share.urban",
            "calibration.values.bogus", "calibration.procedure", "calibration.fitted"} <= fields


def _problems_at(path):
    with pytest.raises(ProfileError) as exc:
        load_profile(path)
    return exc.value
