# The workshop app image. Build both versions with `make build-v1 build-v2`.
# PYTHON_IMAGE, the base, is a build argument: make passes the pinned one (hack/versions.env),
# or a local Python image with python3 and venv where no registry is reachable (PYTHON_IMAGE=).
ARG PYTHON_IMAGE

# --- build stage: a virtualenv with the pinned dependencies, nothing else -------------------
FROM ${PYTHON_IMAGE} AS build
RUN python3 -m venv /venv
# Dependencies before the code, so editing the app does not reinstall them.
COPY requirements.txt /tmp/requirements.txt
RUN /venv/bin/pip install --no-cache-dir --disable-pip-version-check -r /tmp/requirements.txt

# --- final stage: the venv and the code, run as a fixed non-root user ------------------------
FROM ${PYTHON_IMAGE}
# A fixed uid/gid, so Kubernetes' runAsNonRoot can verify it and volumes get stable ownership.
RUN groupadd --gid 10001 app \
    && useradd --uid 10001 --gid app --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin app

COPY --from=build /venv /venv
WORKDIR /srv
COPY app/ app/

# Declared this late so that every layer above is shared by myapp:1, :2 and :3.
ARG APP_VERSION=1
ARG STARTUP_DELAY=0
ARG BROKEN=false
LABEL org.opencontainers.image.title="myapp" \
      org.opencontainers.image.description="Zero-downtime deployment workshop app (Flask + gunicorn)" \
      org.opencontainers.image.version="${APP_VERSION}"
# Build-time defaults that runtime env (docker run -e, the Deployment) can still override.
ENV PATH="/venv/bin:${PATH}" \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    APP_VERSION="${APP_VERSION}" \
    STARTUP_DELAY="${STARTUP_DELAY}" \
    BROKEN="${BROKEN}" \
    PORT=8080

USER 10001:10001
# 8080: the app; 8081: liveness, answered outside the request pool.
EXPOSE 8080 8081
# Exec form: the app (gunicorn's master, after checking the environment) is PID 1 and receives
# SIGTERM itself, so it can drain gracefully.
CMD ["python", "-m", "app"]
