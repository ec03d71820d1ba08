"""A function whose module imports a package that is not installed."""

import fieldmark_missing_package_for_tests  # noqa: F401
