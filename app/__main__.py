"""``python -m app`` runs the Fieldmark command line (and, without a command, the GUI)."""

import sys

from app.cli import main

sys.exit(main())
