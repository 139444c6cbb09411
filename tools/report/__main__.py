"""make report-docs: `python -m tools.report`."""

import sys

from tools.report.docs import main

sys.exit(main())
