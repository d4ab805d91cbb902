"""Fixtures of the task tests: a semi-guided protocol with five tasks and an analysed visit of
the personas' patient (a 30 s recording)."""

from dataclasses import dataclass

import pytest

from recordings.models import ClinicalSession, Protocol, ProtocolTask
from results.models import AnalysisJob
from tests.factories import make_analysed_session, make_protocol

TASKS = (
    ("pill_box", "Prepare a pill box", 240),
    ("phone_call", "Make a phone call", 120),
    ("water_plant", "Water a plant", 90),
    ("read_article", "Read an article", 180),
    ("hot_drink", "Prepare a hot drink", 300),
)


def make_task_protocol(code: str = "semi-guided-tasks") -> Protocol:
    protocol = make_protocol(code, Protocol.Kind.SEMI_GUIDED_TASKS)
    for position, (task_code, name, max_s) in enumerate(TASKS, start=1):
        ProtocolTask.objects.get_or_create(
            protocol=protocol,
            code=task_code,
            defaults={"position": position, "name": name, "expected_max_duration_s": max_s},
        )
    return protocol


@dataclass
class Visit:
    session: ClinicalSession
    job: AnalysisJob


@pytest.fixture
def visit(world) -> Visit:
    job = make_analysed_session(world.patient, by=world.clinician, protocol=make_task_protocol())
    return Visit(session=job.recording.session, job=job)


@pytest.fixture
def private_media(settings, tmp_path):
    """Django storage writes under a temporary folder for this test (tracks, model files)."""
    location = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(location)},
        },
    }
    settings.MEDIA_ROOT = location
    settings.GESTURE_MODEL_DIR = str(tmp_path / "models")
    return location
