"""A recording of two people, analysed by the worker's task with the real models: the patient,
calibrated on the session's marked 2 s facing the camera, turns toward the other person, who
is turned toward them (analysis/synthetic_head.py); the eye contact and mutual gaze the analysis
decides reach the database as episodes, and the session page's timeline draws them."""

import pytest

from analysis.synthetic_head import PATIENT_FACE_XY, astronaut_head, make_eye_contact_video
from recordings.models import ClinicalSession
from results.jobs import analysis_job_create
from results.models import AnalysisJob, EyeContactEpisode
from tests.workers.conftest import store_recording
from workers.tasks import analyse_job

pytestmark = [pytest.mark.slow]
# Facing the camera (the calibration), 40 deg toward the other person, 40 deg away.
PATIENT_YAWS = [(0.0, 2.0, 0.0), (2.0, 5.0, 40.0), (5.0, 8.0, -40.0)]


def test_the_eye_contact_the_analysis_sees_is_stored_and_drawn(world, tmp_path, settings, login):
    settings.ANALYSIS_DISPATCHER = "tests.workers.test_job_services.leave_queued"
    video = make_eye_contact_video(
        tmp_path / "turned.mp4", PATIENT_YAWS, other_yaw_deg=-35.0, head=astronaut_head()
    )
    recording = store_recording(world, video)
    ClinicalSession.objects.filter(pk=recording.session_id).update(
        gaze_calibration_start_s=0.0, gaze_calibration_end_s=2.0
    )
    job = analysis_job_create(recording=recording)
    AnalysisJob.objects.filter(pk=job.pk).update(
        patient_point={"x_px": PATIENT_FACE_XY[0], "y_px": PATIENT_FACE_XY[1], "time_s": 1.0}
    )

    analyse_job.apply(args=[job.pk])
    job.refresh_from_db()

    assert job.status == AnalysisJob.Status.SUCCEEDED, job.error
    stored = list(EyeContactEpisode.objects.filter(job=job).values_list("kind", "start_s", "end_s"))
    assert [kind for kind, _, _ in stored] == ["eye_contact", "mutual_gaze"], stored
    for _, start_s, end_s in stored:
        # Within the turn toward the other person (a turn lands within a few frames: 0.5 s).
        assert 2.0 <= start_s <= 2.5 and end_s == pytest.approx(5.0, abs=0.1)

    figure = login(world.clinician).get(f"/sessions/{recording.session_id}/").context["timeline"]
    lanes = {t["y"][0] for t in figure["data"] if t.get("type") == "bar" and t.get("y")}
    assert {"looks at the other person", "mutual gaze"} <= lanes
