"""make doctor: `python -m tools.doctor`."""

import sys

from tools.doctor.preflight import main

sys.exit(main())
