"""``python -m quickassist``: the same as the ``quickassist`` command."""

import sys

from .cli import main

sys.exit(main())
