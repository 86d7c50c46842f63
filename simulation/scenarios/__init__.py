"""scenarios layer (see docs/contracts.md)."""
