"""The kernels' records hold every column of the engine's state dataclasses."""

from dataclasses import fields

from simulation.engine import processes as pr
from simulation.engine.state import Households, PersonSlots


def test_records_have_every_state_column():
    """A column added to ``PersonSlots`` or ``Households`` must be added to its record too
    (``processes.PersonRecord``, ``HouseholdRecord``), or the kernels would not see it."""
    assert set(pr.PersonRecord._fields) == {f.name for f in fields(PersonSlots)}
    assert set(pr.HouseholdRecord._fields) == {f.name for f in fields(Households)}
