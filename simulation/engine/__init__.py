"""The monthly microsimulation engine on a Mesa clock (see docs/contracts.md §5).

``run(population, policy, start, months, seed, behaviour=None, trace=None, cpi=None,
progress=False) -> SimulationResult`` (``.monthly``, ``.trace``, ``.offices``, ``.summary()``);
``SimulationModel`` is the Mesa model. The order of the monthly processes is documented in
``simulation.engine.processes``; behavioural parameters in ``simulation.engine.behaviour``.
"""

import os

# numba's OpenMP threads spin after a parallel loop and starve numpy (engineering notes):
# set before numba is imported anywhere in the engine.
os.environ.setdefault("NUMBA_THREADING_LAYER", "workqueue")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from simulation.engine.behaviour import Behaviour, life_expectancy  # noqa: E402
from simulation.engine.model import SimulationModel, TownshipOffice, run  # noqa: E402
from simulation.engine.outputs import InvariantError, SimulationResult  # noqa: E402

__all__ = ["Behaviour", "InvariantError", "SimulationModel", "SimulationResult",
           "TownshipOffice", "life_expectancy", "run"]
