"""The uploader's day in real headless Chromium: upload a video with the connection cut midway,
see it resume, and follow the real analysis to its end; resume after a page reload; be told
clearly when the file is not a video. Screenshots go to tests/e2e/artifacts/."""

import hashlib
import os
import random

import pytest

from analysis.synthetic_video import make_person_video
from recordings.models import ChunkedUpload, Recording
from recordings.services import recording_create_from_file
from results.models import AnalysisJob
from tests.e2e.conftest import login_in_browser, screenshot
from tests.factories import make_session

pytestmark = pytest.mark.e2e

ANALYSIS_TIMEOUT_MS = 240_000


def leave_queued(job_id: int) -> None:
    """Stands in for the worker where a test checks only the upload: the job stays queued."""


@pytest.fixture
def upload_setup(settings, tmp_path, world, video):
    """Private temp and media folders, chunks of a sixth of the video, a session of the patient."""
    settings.UPLOAD_TMP_DIR = tmp_path / "uploads"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media"), "base_url": None},
        },
    }
    settings.ANALYSIS_PROCESSES = 1
    settings.UPLOAD_CHUNK_BYTES = chunk_size_for(video, 6)
    return make_session(world.patient, by=world.clinician)


@pytest.fixture(scope="module")
def video(tmp_path_factory):
    """A real 3 s, 320x240 video of a person, 10 fps."""
    return make_person_video(
        tmp_path_factory.mktemp("e2e") / "visit.mp4", duration_s=3.0, fps=10, size=(320, 240)
    )


def chunk_size_for(path, n_chunks: int) -> int:
    return max(1024, os.path.getsize(path) // n_chunks + 1)


class ChunkGate:
    """Routes the page's chunk requests: records their offsets, and aborts them like a lost
    network connection while `cut` is set (from the `cut_at`-th request on)."""

    def __init__(self, cut_at: int) -> None:
        self.cut_at = cut_at
        self.cut = False
        self.offsets: list[int] = []
        self.aborted = 0

    def __call__(self, route) -> None:
        url = route.request.url
        self.offsets.append(int(url.rsplit("offset=", 1)[1]))
        if len(self.offsets) == self.cut_at:
            self.cut = True
        if self.cut:
            self.aborted += 1
            route.abort("internetdisconnected")
        else:
            route.continue_()


@pytest.mark.usefixtures("eager_tasks")
def test_upload_survives_a_cut_connection_and_the_analysis_runs_to_the_end(
    page, live_server, upload_setup, video
):
    gate = ChunkGate(cut_at=3)
    page.route("**/upload/api/*/chunk/**", gate)
    login_in_browser(page, live_server, "uploader")

    page.goto(f"/upload/?session={upload_setup.pk}")
    screenshot(page, "upload-1-page")
    page.set_input_files("#upload-file", str(video))

    page.wait_for_selector("#upload-app[data-offline=true]")
    message = page.inner_text("#upload-message")
    assert "connection to the server was lost" in message and "continues by itself" in message
    screenshot(page, "upload-2-connection-lost")
    received_at_cut = ChunkedUpload.objects.get().received_bytes
    assert 0 < received_at_cut < os.path.getsize(video)
    gate.cut = False

    page.wait_for_selector("#upload-app[data-state=analysing]", timeout=ANALYSIS_TIMEOUT_MS)
    screenshot(page, "upload-3-analysing")
    page.wait_for_selector("#upload-app[data-state=finished]", timeout=ANALYSIS_TIMEOUT_MS)
    screenshot(page, "upload-4-finished")

    assert gate.aborted >= 1
    resumed_from = gate.offsets[gate.offsets.index(received_at_cut) :]
    assert resumed_from and 0 not in resumed_from, "after the cut the upload must continue, not restart"
    assert page.get_attribute("#analysis-progress", "value") == "100"
    # The uploader may not open results, so the end message says the analysis is done and who reviews it.
    assert page.inner_text("#upload-message").startswith("The video is stored and analysed.")
    recording = Recording.objects.get()
    assert recording.sha256 == hashlib.sha256(video.read_bytes()).hexdigest()
    job = AnalysisJob.objects.get()
    assert (job.recording_id, job.status, job.progress) == (recording.pk, AnalysisJob.Status.SUCCEEDED, 100)
    assert ChunkedUpload.objects.get().status == ChunkedUpload.Status.COMPLETE
    assert page.errors == []


@pytest.fixture
def no_analysis(settings):
    settings.ANALYSIS_DISPATCHER = "tests.e2e.test_upload_e2e.leave_queued"


@pytest.mark.usefixtures("no_analysis")
def test_upload_resumes_after_a_page_reload(page, live_server, upload_setup, video):
    gate = ChunkGate(cut_at=3)
    page.route("**/upload/api/*/chunk/**", gate)
    login_in_browser(page, live_server, "uploader")
    page.goto(f"/upload/?session={upload_setup.pk}")
    page.set_input_files("#upload-file", str(video))
    page.wait_for_selector("#upload-app[data-offline=true]")
    received_before_reload = ChunkedUpload.objects.get().received_bytes
    assert received_before_reload > 0

    gate.cut = False
    requests_before_reload = len(gate.offsets)
    page.reload()
    notice = page.locator("#upload-resume")
    notice.wait_for(state="visible")
    # The notice describes the upload by its size and progress, never by the name typed into the file.
    assert "A video of" in notice.inner_text() and "% sent" in notice.inner_text()
    assert "Choose the same file again" in notice.inner_text() and "visit" not in notice.inner_text()
    screenshot(page, "upload-5-resume-after-reload")
    page.set_input_files("#upload-file", str(video))
    page.wait_for_selector("#upload-app[data-state=analysing]", timeout=60_000)
    screenshot(page, "upload-6-resumed-and-queued")

    after_reload = gate.offsets[requests_before_reload:]
    assert after_reload[0] == received_before_reload, "the reloaded page continues where the server stopped"
    assert ChunkedUpload.objects.count() == 1
    assert Recording.objects.count() == 1
    assert AnalysisJob.objects.get().status == AnalysisJob.Status.QUEUED
    assert "waiting for a worker" in page.inner_text("#analysis-stage")
    assert page.errors == []


def test_a_file_that_is_not_a_video_gets_a_clear_message(page, live_server, upload_setup, tmp_path):
    notes = tmp_path / "notes.mp4"
    notes.write_text("Session notes, not a video.\n" * 100)
    login_in_browser(page, live_server, "uploader")
    page.goto(f"/upload/?session={upload_setup.pk}")
    page.set_input_files("#upload-file", str(notes))
    page.wait_for_selector("#upload-app[data-state=failed]")
    screenshot(page, "upload-7-not-a-video")
    message = page.inner_text("#upload-message")
    assert "video" in message.lower() and len(message) > 30
    assert Recording.objects.count() == 0
    assert ChunkedUpload.objects.get().status == ChunkedUpload.Status.FAILED
    assert page.errors == []


def test_the_browsers_incremental_sha256_matches_pythons(page, live_server, upload_setup):
    login_in_browser(page, live_server, "uploader")
    page.goto(f"/upload/?session={upload_setup.pk}")
    rng = random.Random(7)
    for length in [0, 1, 55, 56, 63, 64, 65, 119, 120, 1000, 70_001]:
        data = bytes(rng.getrandbits(8) for _ in range(length))
        split = length // 3
        digest = page.evaluate(
            """([bytes, split]) => {
                const all = new Uint8Array(bytes);
                const hash = new Sha256();
                hash.update(all.subarray(0, split));
                hash.update(all.subarray(split));
                return hash.hexDigest();
            }""",
            [list(data), split],
        )
        assert digest == hashlib.sha256(data).hexdigest(), f"SHA-256 differs for {length} bytes"


@pytest.mark.usefixtures("no_analysis")
def test_the_same_file_for_another_patient_is_uploaded_only_once_confirmed(
    page, live_server, upload_setup, video, world
):
    other_session = make_session(world.other_patient, by=world.outsider)
    recording_create_from_file(
        session=other_session,
        file_path=video,
        original_filename="visit.mp4",
        sha256=hashlib.sha256(video.read_bytes()).hexdigest(),
        uploaded_by=world.outsider,
    )
    dialogs = []

    def answer(dialog):
        dialogs.append(dialog.message)
        dialog.accept()

    page.on("dialog", answer)
    login_in_browser(page, live_server, "uploader")
    page.goto(f"/upload/?session={upload_setup.pk}")
    page.set_input_files("#upload-file", str(video))
    page.wait_for_selector("#upload-app[data-state=analysing]", timeout=60_000)
    screenshot(page, "upload-8-same-file-other-patient-confirmed")
    assert len(dialogs) == 1 and "already stored for another patient" in dialogs[0]
    assert world.other_patient.code not in dialogs[0]
    assert Recording.objects.filter(session=upload_setup).count() == 1
    assert page.errors == []
