"""The workshop app: a page that says which version (and which pod) served it."""

import logging
import os
import socket
import threading
from datetime import UTC, datetime

from flask import Flask

from app import routes
from app.config import load_settings


class Lifecycle:
    """What /ready reports: the server flips it when shutdown begins (see gunicorn.conf.py)."""

    def __init__(self) -> None:
        self.started_at = datetime.now(UTC)
        self._shutting_down = threading.Event()

    def begin_shutdown(self) -> None:
        self._shutting_down.set()

    @property
    def shutting_down(self) -> bool:
        return self._shutting_down.is_set()


def create_app(test_config=None):
    app = Flask(__name__)
    settings = load_settings(os.environ)
    app.config.from_mapping(
        APP_VERSION=settings.app_version,
        STARTUP_DELAY=settings.startup_delay,
        BROKEN=settings.broken,
        HOSTNAME=socket.gethostname(),
    )
    if test_config is not None:
        app.config.from_mapping(test_config)

    app.extensions["lifecycle"] = Lifecycle()

    # Under gunicorn, app log lines go where gunicorn's own go (stderr, same format).
    gunicorn_logger = logging.getLogger("gunicorn.error")
    if gunicorn_logger.handlers:
        app.logger.handlers = gunicorn_logger.handlers
        app.logger.setLevel(gunicorn_logger.level)

    app.register_blueprint(routes.bp)
    return app
