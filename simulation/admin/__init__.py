"""admin layer (see docs/contracts.md)."""
