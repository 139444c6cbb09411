"""`python -m app`: the app under gunicorn, as the image runs it.

The environment is checked first, so a bad value is one line and exit status 1. gunicorn reads
WEB_CONCURRENCY itself when it is imported, before any config file, and a value such as "abc"
would otherwise end in its traceback.
"""

import os
import sys
from pathlib import Path

from app.config import ConfigError, load_settings

CONFIG_FILE = Path(__file__).with_name("gunicorn.conf.py")


def main() -> None:
    try:
        load_settings(os.environ)
    except ConfigError as error:
        sys.exit(f"myapp: {error}")

    from gunicorn.app.wsgiapp import run  # noqa: PLC0415 - only once WEB_CONCURRENCY is valid

    sys.argv = ["gunicorn", "--config", str(CONFIG_FILE), "app:create_app()"]
    run()


if __name__ == "__main__":
    main()
