"""Helpers shared by the reliability and security tests: private storage folders, clients that
upload through the real endpoints (the browser's JSON endpoints with CSRF, and the REST API with
a token), and before/after snapshots of rows and stored files."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.tokens import api_token_create
from audit.models import AccessEvent
from recordings.models import ChunkedUpload, Recording
from results.models import AnalysisJob, EventReview

CHUNK_BYTES = 2 * 1024
MAX_BYTES = 2 * 1024**2
DISPATCHED: list[int] = []


def record_dispatch(job_id: int) -> None:
    """Stands in for workers.dispatch.enqueue_analysis in tests of the upload and API paths:
    the job row is queued for real, but no analysis runs in this process."""
    DISPATCHED.append(job_id)


def use_private_storage(settings_fixture, root: Path) -> tuple[Path, Path]:
    """Point MEDIA_ROOT, the default storage and UPLOAD_TMP_DIR into root; returns both folders."""
    media, tmp = root / "media", root / "uploads"
    settings_fixture.MEDIA_ROOT = media
    settings_fixture.UPLOAD_TMP_DIR = tmp
    settings_fixture.STORAGES = {
        **settings_fixture.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(media), "base_url": None},
        },
    }
    settings_fixture.UPLOAD_CHUNK_BYTES = CHUNK_BYTES
    settings_fixture.UPLOAD_MAX_BYTES = MAX_BYTES
    settings_fixture.ANALYSIS_DISPATCHER = "tests.reliability.uploading.record_dispatch"
    DISPATCHED.clear()
    return media, tmp


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def stored_files(*folders: Path) -> dict[str, int]:
    """{path relative to its folder's parent: size in bytes} of every file under the folders."""
    files = {}
    for folder in folders:
        if folder.exists():
            for path in folder.rglob("*"):
                if path.is_file():
                    files[str(path.relative_to(folder.parent))] = path.stat().st_size
    return files


@dataclass(frozen=True)
class Snapshot:
    """Row counts and stored files at one moment."""

    recordings: int
    uploads: int
    jobs: int
    reviews: int
    access_events: int
    files: dict[str, int]

    @classmethod
    def take(cls) -> Snapshot:
        return cls(
            recordings=Recording.objects.count(),
            uploads=ChunkedUpload.objects.count(),
            jobs=AnalysisJob.objects.count(),
            reviews=EventReview.objects.count(),
            access_events=AccessEvent.objects.count(),
            files=stored_files(Path(settings.MEDIA_ROOT), Path(settings.UPLOAD_TMP_DIR)),
        )

    def unchanged_but(self, after: Snapshot, **allowed_changes: int) -> list[str]:
        """What changed between self and after, apart from the allowed row-count deltas."""
        differences = []
        for name in ("recordings", "uploads", "jobs", "reviews", "access_events"):
            delta = getattr(after, name) - getattr(self, name)
            if delta != allowed_changes.get(name, 0):
                differences.append(f"{name}: {getattr(self, name)} -> {getattr(after, name)}")
        if "files" not in allowed_changes and after.files != self.files:
            differences.append(f"files: {sorted(self.files)} -> {sorted(after.files)}")
        return differences


def browser(user) -> Client:
    """A logged-in client that enforces CSRF like a browser, carrying the token the pages give."""
    client = Client(enforce_csrf_checks=True)
    client.get(reverse("login"))
    client.csrf = client.cookies["csrftoken"].value
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def browser_json(client: Client, url: str, body=None, *, raw: bytes | None = None):
    data = raw if raw is not None else json.dumps(body if body is not None else {})
    return client.post(url, data=data, content_type="application/json", HTTP_X_CSRFTOKEN=client.csrf)


def browser_start(client: Client, session, data: bytes, *, name: str = "visit.mp4", size: int | None = None):
    return browser_json(
        client,
        reverse("upload:start"),
        {
            "session": session.pk,
            "filename": name,
            "size": len(data) if size is None else size,
            "sha256": sha256(data),
        },
    )


def browser_chunk(client: Client, upload_id: str, offset: int, chunk: bytes):
    return client.post(
        reverse("upload:chunk", kwargs={"upload_id": upload_id}) + f"?offset={offset}",
        data=chunk,
        content_type="application/octet-stream",
        HTTP_X_CSRFTOKEN=client.csrf,
    )


def browser_complete(client: Client, upload_id: str):
    return browser_json(client, reverse("upload:complete", kwargs={"upload_id": upload_id}))


def browser_upload(client: Client, session, data: bytes, *, name: str = "visit.mp4"):
    """Start, send every chunk, complete; returns the complete request's response."""
    started = browser_start(client, session, data, name=name)
    assert started.status_code == 201, started.content
    upload_id = started.json()["id"]
    for offset in range(0, len(data), CHUNK_BYTES):
        sent = browser_chunk(client, upload_id, offset, data[offset : offset + CHUNK_BYTES])
        assert sent.status_code == 200, sent.content
    return browser_complete(client, upload_id)


def api_client(user) -> APIClient:
    client = APIClient()
    _, key = api_token_create(user=user, name="tests")
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def api_start(client: APIClient, session, data: bytes, *, name: str = "visit.mp4", size: int | None = None):
    return client.post(
        "/api/v1/uploads/",
        {
            "session": session.pk,
            "filename": name,
            "size_bytes": len(data) if size is None else size,
            "sha256": sha256(data),
        },
        format="json",
    )


def api_chunk(client: APIClient, upload_id: str, offset: int, chunk: bytes):
    return client.generic(
        "PUT",
        f"/api/v1/uploads/{upload_id}/chunk/?offset={offset}",
        chunk,
        content_type="application/octet-stream",
    )


def api_complete(client: APIClient, upload_id: str):
    return client.post(f"/api/v1/uploads/{upload_id}/complete/")


def api_upload(client: APIClient, session, data: bytes, *, name: str = "visit.mp4"):
    started = api_start(client, session, data, name=name)
    assert started.status_code == 201, started.content
    upload_id = started.json()["id"]
    for offset in range(0, len(data), CHUNK_BYTES):
        sent = api_chunk(client, upload_id, offset, data[offset : offset + CHUNK_BYTES])
        assert sent.status_code == 200, sent.content
    return api_complete(client, upload_id)


def message_of(response) -> str:
    """The sentence an error response carries (JSON {"message": ...})."""
    return response.json()["message"]


def is_sentence(message: str) -> bool:
    """A message a person reads: several words, starting with a capital, ending with a stop."""
    return len(message.split()) >= 4 and message[:1].isupper() and message.rstrip()[-1:] in ".!?"
