"""Fiscal-impact microsimulation of China's reformed social assistance (社会救助).

Layers (see docs/contracts.md): policy -> population -> rules -> engine -> admin -> scenarios ->
reporting.
"""

import os

# Before numba is first imported by any layer: numba's OpenMP threads spin after a parallel loop
# and starve numpy (engineering notes), so the rules and the engine use the workqueue layer.
os.environ.setdefault("NUMBA_THREADING_LAYER", "workqueue")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

__version__ = "0.1.0"
