"""engine layer (see docs/contracts.md)."""
