"""The kernel every app may use and that imports no app (docs/architecture.md)."""
