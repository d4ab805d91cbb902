"""Eye-contact episodes of report.json reach the database with the analysis's results, are
replaced by a re-analysis, and leave with the derived results when consent is withdrawn."""

import pytest

from analysis.results import MetricsReport
from audit.models import AccessEvent
from care.reanalysis import analysis_results_replace
from care.withdrawal import consent_withdraw
from patients.models import ConsentScope
from results.jobs import analysis_job_claim, analysis_job_create
from results.models import AnalysisJob, EyeContactEpisode
from results.services import AnalysisOutcome
from tests.workers.conftest import store_recording

EPISODES = [
    {"kind": "eye_contact", "start_s": 1.0, "end_s": 3.5},
    {"kind": "mutual_gaze", "start_s": 1.5, "end_s": 2.0},
]


def _finish(job: AnalysisJob, episodes: list[dict], task_id: str) -> AnalysisJob:
    analysis_job_claim(job_id=job.pk, task_id=task_id)
    outcome = AnalysisOutcome(report=MetricsReport(), duration_s=12.5, contact_episodes=episodes)
    return analysis_results_replace(job_id=job.pk, task_id=task_id, outcome=outcome)


@pytest.fixture
def recording(world, videos):
    return store_recording(world, videos["rocking"])


def test_episodes_are_stored_and_replaced_by_a_reanalysis(world, recording):
    first = _finish(analysis_job_create(recording=recording, requested_by=world.uploader), EPISODES, "a")
    stored = list(EyeContactEpisode.objects.filter(job=first).values_list("kind", "start_s", "end_s"))
    assert stored == [("eye_contact", 1.0, 3.5), ("mutual_gaze", 1.5, 2.0)]

    second = _finish(analysis_job_create(recording=recording, requested_by=world.uploader), EPISODES[:1], "b")
    assert list(EyeContactEpisode.objects.values_list("job_id", "kind")) == [(second.pk, "eye_contact")]


def test_withdrawing_consent_deletes_the_episodes(world, recording):
    _finish(analysis_job_create(recording=recording, requested_by=world.uploader), EPISODES, "a")
    patient = recording.session.patient

    consent_withdraw(patient=patient, scope=ConsentScope.ANALYSE, by=world.clinician)
    consent_withdraw(patient=patient, scope=ConsentScope.STORE_VIDEO, by=world.clinician)

    assert not EyeContactEpisode.objects.filter(patient=patient).exists()
    assert AccessEvent.objects.get(object_type="derived_results").details["eye_contact_episodes"] == 2
