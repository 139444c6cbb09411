from app import create_app


def test_ready_while_serving(client):
    response = client.get("/ready")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ready"}


def test_not_ready_once_shutting_down(app, client):
    app.extensions["lifecycle"].begin_shutdown()
    response = client.get("/ready")
    assert response.status_code == 503
    assert response.get_json() == {"status": "shutting down"}


def test_broken_release_never_ready():
    response = create_app({"BROKEN": True}).test_client().get("/ready")
    assert response.status_code == 503
    assert response.get_json() == {"status": "broken"}


def test_liveness_ignores_readiness(app, client):
    app.extensions["lifecycle"].begin_shutdown()
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "alive"}
