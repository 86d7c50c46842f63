"""Fiscal-impact microsimulation of China's reformed social assistance (社会救助).

Layers (see docs/contracts.md): policy -> population -> rules -> engine -> admin -> scenarios ->
reporting.
"""

__version__ = "0.1.0"
