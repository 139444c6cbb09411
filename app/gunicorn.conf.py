"""Gunicorn settings for the workshop app. Every value comes from app.config.load_settings()."""

import os
import signal
import sys
import time

from app import probes
from app.config import ConfigError, load_settings
from app.worker import hold_stop_signals

try:
    settings = load_settings(os.environ)
except ConfigError as error:
    # SystemExit passes gunicorn's config loader untouched: one line on stderr, exit status 1.
    raise SystemExit(f"myapp: {error}") from None

bind = (
    f"[{settings.host}]:{settings.port}"
    if ":" in settings.host
    else f"{settings.host}:{settings.port}"
)
workers = settings.workers
# Threads, so one slow request does not block a worker, and so kept-alive connections work
# (the default sync worker closes every connection after one response). gthread, with a limit
# on slow clients and a prompt stop of listening on shutdown: see app/worker.py.
worker_class = "app.worker.ThreadWorker"
threads = settings.threads
keepalive = settings.keepalive
# Bounded drain on SIGTERM: in-flight requests get this long to finish. It stays below
# Kubernetes' default 30 s grace period, so the kubelet never has to SIGKILL a draining app.
# 0 means no drain: gunicorn's Arbiter.stop() then SIGKILLs the workers right after SIGTERM.
graceful_timeout = settings.graceful_timeout
accesslog = "-"
# Workers' heartbeat files on tmpfs: works with a read-only root filesystem and never stalls
# on a slow disk (gunicorn's advice for containers).
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
# No runtime control socket: nothing here uses it, and it would need a writable $HOME.
control_socket_disable = True


def _exit_during_warm_up(signum, frame):
    # Nothing is accepted yet, so there is nothing to drain: stop at once. Without this,
    # PID 1 in a container would ignore SIGTERM until gunicorn installs its own handlers.
    sys.exit(0)


def on_starting(server):
    # The startup delay lives here, in the master before it binds the port, so that clients
    # get "connection refused" while the app warms up (as a real app loading caches would
    # produce), and so that no worker timeout (--timeout also covers worker boot) can kill
    # a 20 s or 60 s warm-up.
    if settings.startup_delay > 0:
        signal.signal(signal.SIGTERM, _exit_during_warm_up)
        signal.signal(signal.SIGINT, _exit_during_warm_up)
        server.log.info(
            "warming up: version %s starts serving in %gs (STARTUP_DELAY)",
            settings.app_version,
            settings.startup_delay,
        )
        time.sleep(settings.startup_delay)


def when_ready(server):
    # The master answers liveness from here on (after the warm-up), whatever the workers do.
    server.liveness = probes.serve_liveness(settings.host, settings.probe_port)
    server.log.info(
        "serving version %s on %s, liveness on port %d",
        settings.app_version,
        bind,
        settings.probe_port,
    )


def pre_fork(server, worker):
    # The new worker starts with SIGTERM, SIGINT and SIGQUIT blocked, and unblocks them once its
    # own handlers are installed (app/worker.py): stopped while it boots, it stops, instead of
    # ignoring the signal and making the master wait out graceful_timeout.
    hold_stop_signals()


def post_fork(server, worker):
    # A worker inherits the master's liveness socket: close it, so that only the master
    # answers there.
    server.liveness.socket.close()


def post_worker_init(worker):
    # Chain onto the worker's SIGTERM handler: /ready answers 503 from the moment shutdown
    # begins, on every connection the worker still serves while it drains.
    lifecycle = worker.wsgi.app.extensions["lifecycle"]
    drain = signal.getsignal(signal.SIGTERM)

    def begin_shutdown(signum, frame):
        lifecycle.begin_shutdown()
        drain(signum, frame)

    signal.signal(signal.SIGTERM, begin_shutdown)
