"""Finding 7: names people type into file names never reach storage or a page."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from patients.models import Consent
from recordings.uploads import upload_start
from tests.factories import make_session


def test_a_consent_document_is_stored_under_a_name_the_server_chose(world, login, settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    Consent.objects.filter(patient=world.patient, scope="model_training").update(
        withdrawn_at=Consent.objects.get(patient=world.patient, scope="model_training").given_at,
        withdrawn_by=world.clinician,
    )
    document = SimpleUploadedFile(
        "Martin_Jeanne_H-0001_signed.PDF", b"%PDF-1.4 signed form", content_type="application/pdf"
    )
    answer = login(world.clinician).post(
        reverse("consent_record", kwargs={"code": world.patient.code}),
        {"scopes": ["model_training"], "given_on": "2026-11-02", "document": document},
    )
    assert answer.status_code == 302, answer.content[:500]
    stored = (
        Consent.objects.filter(patient=world.patient, scope="model_training").latest("version").document.name
    )
    assert stored.startswith(f"consent/{world.patient.code}/") and stored.endswith(".pdf")
    assert "Martin" not in stored and "H-0001" not in stored
    assert [path.name for path in tmp_path.rglob("*.pdf")] == [stored.rsplit("/", 1)[1]]


def test_a_typed_file_name_is_not_kept_for_an_upload(world, login):
    session = make_session(world.patient, by=world.clinician)
    upload = upload_start(
        session=session,
        user=world.uploader,
        original_filename="C:\\videos\\Martin Jeanne 2026-11-02 ADOS.MP4",
        total_size_bytes=1000,
        expected_sha256="a" * 64,
    )
    assert upload.original_filename == "video.mp4"
    page = login(world.uploader).get(reverse("upload:page") + f"?session={session.pk}").content.decode()
    assert "ADOS" not in page and "Martin Jeanne" not in page
