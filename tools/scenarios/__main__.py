"""make demo, the drills and the lesson: `python -m tools.scenarios`."""

import sys

from tools.scenarios.runner import main

sys.exit(main())
