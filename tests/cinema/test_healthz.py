"""``/healthz`` tells an operator which dependency is down."""

import pytest

from cinema.celery import app as celery_app

pytestmark = pytest.mark.django_db


def unreachable_broker(monkeypatch):
    for key in ("broker_url", "broker_write_url"):
        monkeypatch.setitem(celery_app.conf, key, "redis://127.0.0.1:1/0")


def test_healthz_reports_an_unreachable_broker_with_503(client, monkeypatch):
    unreachable_broker(monkeypatch)

    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["broker"]["ok"] is False
    assert body["checks"]["database"] == {"ok": True}
    assert body["checks"]["cache"] == {"ok": True}


def test_healthz_is_never_cached(client, monkeypatch):
    unreachable_broker(monkeypatch)

    response = client.get("/healthz")

    assert "no-cache" in response.headers["Cache-Control"]
