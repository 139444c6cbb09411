"""HTTP endpoints: the page, readiness, a version document and a deliberately slow request."""

import math
import time

from flask import Blueprint, abort, current_app, jsonify, render_template

bp = Blueprint("routes", __name__)

# Below the graceful timeout (GRACEFUL_TIMEOUT, default 20 s), so a slow request that is in
# flight when SIGTERM arrives can always finish.
MAX_DELAY_SECONDS = 10.0

MESSAGES = {
    "1": "Version 1 of my awesome app! Money is pouring in!",
    "2": "Version 2 of my awesome app! More Money is pouring in!",
}


def message_for(version: str) -> str:
    return MESSAGES.get(
        version, f"Version {version} of my awesome app! Even more money is pouring in!"
    )


def _lifecycle():
    return current_app.extensions["lifecycle"]


@bp.after_app_request
def identify(response):
    # Lets the traffic watcher (and curl -i) tell versions and pods apart without parsing HTML.
    response.headers["X-App-Version"] = current_app.config["APP_VERSION"]
    response.headers["X-Served-By"] = current_app.config["HOSTNAME"]
    return response


@bp.get("/")
def index():
    version = current_app.config["APP_VERSION"]
    if current_app.config["BROKEN"]:
        message = f"Version {version} of my awesome app is broken! No money today."
        return render_template("index.html", message=message), 500
    return render_template("index.html", message=message_for(version))


@bp.get("/ready")
def ready():
    # Readiness, answered through the request pool like any request: a pod too busy to answer
    # this gets no new traffic until it catches up. Liveness is elsewhere: app/probes.py.
    if _lifecycle().shutting_down:
        return jsonify(status="shutting down"), 503
    if current_app.config["BROKEN"]:
        return jsonify(status="broken"), 503
    return jsonify(status="ready")


@bp.get("/version")
def version():
    config = current_app.config
    return jsonify(
        version=config["APP_VERSION"],
        hostname=config["HOSTNAME"],
        startup_delay_seconds=config["STARTUP_DELAY"],
        broken=config["BROKEN"],
        started_at=_lifecycle().started_at.isoformat(timespec="seconds"),
    )


@bp.get("/delay/<seconds>")
def delay(seconds: str):
    try:
        duration = float(seconds)
    except ValueError:
        duration = math.nan
    if not 0 <= duration <= MAX_DELAY_SECONDS:
        abort(400, description=f"delay must be a number of seconds from 0 to {MAX_DELAY_SECONDS:g}")
    current_app.logger.info("slow request: answering in %gs", duration)
    time.sleep(duration)
    return jsonify(delayed_seconds=duration, version=current_app.config["APP_VERSION"])
