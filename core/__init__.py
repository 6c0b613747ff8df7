"""The kernel: small helpers every app may use. It imports no app of the project."""
