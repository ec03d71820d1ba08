"""Field packages: a job (or several) exported as one self-contained file that opens like a project on a
laptop with no network, and merged back into the project with conflict detection (docs/packages.md)."""
