import http.client

from app import create_app
from app.probes import serve_liveness
from tests.helpers import free_port


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


def test_liveness_is_not_served_through_the_request_pool(client):
    # It is answered by gunicorn's master on PROBE_PORT (app/probes.py, tests/app/test_server.py).
    assert client.get("/healthz").status_code == 404


def test_liveness_answers_on_the_probe_port():
    port = free_port()
    server = serve_liveness("127.0.0.1", port)
    try:
        answers = {}
        for path in ("/healthz", "/ready"):
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", path)
            response = connection.getresponse()
            answers[path] = (response.status, response.read())
            connection.close()
    finally:
        server.shutdown()
        server.server_close()
    assert answers["/healthz"] == (200, b'{"status":"alive"}\n')
    assert answers["/ready"][0] == 404
