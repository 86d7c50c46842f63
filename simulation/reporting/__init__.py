"""reporting layer (see docs/contracts.md)."""
