"""The lowest layer: small, dependency-free building blocks every other layer may use (events, background work)."""
