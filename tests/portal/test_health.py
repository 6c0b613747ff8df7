import pytest


@pytest.mark.django_db
def test_it_reports_every_check_ok(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "cache", "broker"}
    assert all(check["status"] == "ok" for check in body["checks"].values())


@pytest.mark.django_db
def test_it_answers_503_when_the_broker_is_unreachable(client, settings):
    # Nothing listens on port 1: a real connection failure, not a patched check.
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {}

    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail"
    assert body["checks"]["broker"]["status"] == "fail"
    assert body["checks"]["database"]["status"] == "ok"


@pytest.mark.django_db
def test_it_answers_503_when_the_cache_loses_writes(client, settings):
    # A cache that stores nothing behaves like a cache whose server dropped the write.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["checks"]["cache"]["status"] == "fail"


@pytest.mark.django_db
def test_it_refuses_other_methods(client):
    assert client.post("/healthz").status_code == 405
