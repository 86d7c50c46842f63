"""policy layer (see docs/contracts.md)."""
