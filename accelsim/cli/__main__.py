"""``python -m accelsim.cli``."""

import sys

from accelsim.cli.app import main

sys.exit(main())
