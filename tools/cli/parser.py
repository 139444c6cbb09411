"""argparse with usage errors as one `PROGRAM: ...` line (e.g. `watch: ...`) instead of usage text,
for every command line of the kit. Python 3.8+, like tools/doctor/preflight.py, which uses it."""

from __future__ import annotations

import argparse
import os
from typing import NoReturn


class OneLineArgumentParser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        program = os.path.splitext(os.path.basename(self.prog.split()[0]))[0]
        self.exit(2, f"{program}: {message}\n")
