"""population layer (see docs/contracts.md)."""
