"""The model registry lists every model that produced results, with the jobs that used it."""

from datetime import date

import pytest

from results.models import AnalysisJob, ModelVersion
from tests.factories import make_analysed_session

pytestmark = pytest.mark.django_db


def test_every_model_named_by_a_finished_job_is_listed_with_its_jobs(world, private_media, login):
    first = make_analysed_session(world.patient, by=world.clinician, on=date(2026, 9, 1), windows={})
    second = make_analysed_session(world.patient, by=world.clinician, on=date(2026, 10, 1), windows={})
    models = [
        {"name": "face_landmarker", "version": "2024-01"},
        {"name": "pose_landmarker_full", "version": "1"},
    ]
    AnalysisJob.objects.filter(pk__in=[first.pk, second.pk]).update(model_versions=models)
    AnalysisJob.objects.filter(pk=second.pk).update(
        model_versions=[*models, {"name": "emotion_mobilenet", "version": "0.3"}]
    )
    ModelVersion.objects.create(name="face_landmarker", version="2024-01", kind="face")
    world.admin.is_superuser = True
    world.admin.save()
    html = login(world.admin).get("/models/").content.decode()
    section = html.split('id="in-use-heading"')[1].split("</section>")[0]
    for name in ("face_landmarker", "pose_landmarker_full", "emotion_mobilenet"):
        assert name in section
    assert f"#{first.pk}" in section and f"#{second.pk}" in section
    assert "no (named by the pipeline)" in section and ">yes<" in section.replace("yes</td>", "yes<")
