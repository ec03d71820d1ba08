"""Canvas tools: one class per tool behind the small protocol in :mod:`app.tools.base`."""
