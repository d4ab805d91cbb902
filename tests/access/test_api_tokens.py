"""Finding 3: API tokens are each user's own (a page and the API), hashed, expiring, revocable;
the audit names the token."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiToken
from accounts.tokens import api_token_create
from audit.models import AccessEvent


def with_token(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_a_token_is_stored_hashed_with_an_expiry(world):
    token, key = api_token_create(user=world.statistician, name="R scripts")
    stored = ApiToken.objects.get(pk=token.pk)
    assert key not in {stored.key_sha256, stored.prefix, stored.name}
    assert len(stored.key_sha256) == 64 and key.startswith(stored.prefix)
    assert timedelta(days=89) < stored.expires_at - timezone.now() <= timedelta(days=90)


def test_an_expired_token_is_refused(world):
    token, key = api_token_create(user=world.clinician, name="old")
    assert with_token(key).get("/api/v1/patients/").status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    refused = with_token(key).get("/api/v1/patients/")
    assert refused.status_code == 401
    assert "expired" in refused.json()["message"]


def test_the_owner_creates_lists_and_revokes_tokens_through_the_api(world, login):
    client = login(world.clinician)
    created = client.post("/api/v1/tokens/", {"name": "nightly export", "lifetime_days": 30})
    assert created.status_code == 201, created.content
    key = created.json()["token"]
    listed = client.get("/api/v1/tokens/").json()
    assert [(row["name"], row["active"]) for row in listed] == [("nightly export", True)]
    assert key not in str(listed)
    assert with_token(key).get("/api/v1/patients/").status_code == 200
    assert client.delete(f"/api/v1/tokens/{created.json()['id']}/").status_code == 204
    assert with_token(key).get("/api/v1/patients/").status_code == 401


def test_nobody_lists_or_revokes_someone_elses_token(world, login):
    token, key = api_token_create(user=world.clinician, name="mine")
    other = login(world.colleague)
    assert other.get("/api/v1/tokens/").json() == []
    assert other.delete(f"/api/v1/tokens/{token.pk}/").status_code == 404
    assert other.post(reverse("api_token_revoke", args=[token.pk])).status_code == 404
    assert with_token(key).get("/api/v1/patients/").status_code == 200


def test_a_token_lifetime_outside_the_limit_is_refused_with_a_sentence(world, login):
    answer = login(world.clinician).post("/api/v1/tokens/", {"name": "forever", "lifetime_days": 10000})
    assert answer.status_code == 400
    assert "1 to 365 days" in answer.json()["message"]


def test_the_api_tokens_page_creates_shows_the_key_once_and_revokes(world, login):
    client = login(world.statistician)
    page = client.get(reverse("api_tokens"))
    assert page.status_code == 200 and b"You have no API token" in page.content
    created = client.post(reverse("api_tokens"), {"name": "R scripts", "lifetime_days": "90"})
    assert created.status_code == 200
    token = ApiToken.objects.get(user=world.statistician)
    html = created.content.decode()
    key = html.split('id="new-token-key">')[1].split("<")[0]
    assert key.startswith(token.prefix) and "R scripts" in html
    again = client.get(reverse("api_tokens")).content.decode()
    assert key not in again and token.prefix in again
    revoked = client.post(reverse("api_token_revoke", args=[token.pk]))
    assert revoked.status_code == 302
    assert "revoked" in client.get(reverse("api_tokens")).content.decode()
    assert with_token(key).get("/api/v1/studies/").status_code == 401


def test_the_audit_names_the_token(world):
    token, key = api_token_create(user=world.clinician, name="R scripts")
    with_token(key).get(f"/api/v1/patients/{world.patient.code}/identity/")
    event = AccessEvent.objects.filter(username="clinician", action="view_identity").latest("id")
    assert event.details["token"] == token.label
