"""rules layer (see docs/contracts.md)."""
