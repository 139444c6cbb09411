import pytest


@pytest.mark.parametrize("seconds", ["0", "0.01"])
def test_delay_answers_after_the_delay(client, seconds):
    response = client.get(f"/delay/{seconds}")
    assert response.status_code == 200
    assert response.get_json()["delayed_seconds"] == float(seconds)


@pytest.mark.parametrize("seconds", ["11", "-1", "abc", "nan", "inf"])
def test_delay_is_bounded(client, seconds):
    response = client.get(f"/delay/{seconds}")
    assert response.status_code == 400
    assert "from 0 to 10" in response.get_data(as_text=True)
