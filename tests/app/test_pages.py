import pytest

from app import create_app


@pytest.mark.parametrize(
    ("version", "message"),
    [
        ("1", "Version 1 of my awesome app! Money is pouring in!"),
        ("2", "Version 2 of my awesome app! More Money is pouring in!"),
        ("7", "Version 7 of my awesome app!"),
    ],
)
def test_index_announces_version_and_pod(version, message):
    app = create_app({"APP_VERSION": version, "HOSTNAME": "pod-a"})
    response = app.test_client().get("/")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert page.startswith("<!doctype html>")
    assert "<title>My Awesome App</title>" in page
    assert message in page
    assert "pod-a" in page
    assert response.headers["X-App-Version"] == version
    assert response.headers["X-Served-By"] == "pod-a"


def test_broken_release_fails_with_500():
    app = create_app({"APP_VERSION": "3", "BROKEN": True})
    response = app.test_client().get("/")
    assert response.status_code == 500
    assert "Version 3 of my awesome app is broken!" in response.get_data(as_text=True)


def test_version_document(client):
    document = client.get("/version").get_json()
    assert document["version"] == "1"
    assert document["hostname"] == "pod-a"
    assert document["startup_delay_seconds"] == 0
    assert document["broken"] is False
    assert document["started_at"].endswith("+00:00")


def test_unknown_path_is_404_without_trace(client):
    response = client.get("/nope")
    assert response.status_code == 404
    assert "Traceback" not in response.get_data(as_text=True)


def test_wrong_method_is_405(client):
    assert client.post("/").status_code == 405
    assert client.delete("/ready").status_code == 405
