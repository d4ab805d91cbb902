"""Eye-contact episodes of report.json reach the database with the analysis's results, are
replaced by a re-analysis, and leave with the derived results when consent is withdrawn."""

from audit.models import AccessEvent
from care.withdrawal import consent_withdraw
from patients.models import ConsentScope
from results.models import EyeContactEpisode
from tests.workers.conftest import analysis_finished_with

EPISODES = [
    {"kind": "eye_contact", "start_s": 1.0, "end_s": 3.5},
    {"kind": "mutual_gaze", "start_s": 1.5, "end_s": 2.0},
]


def test_episodes_are_stored_and_replaced_by_a_reanalysis(world, recording):
    first = analysis_finished_with(recording, world.uploader, "a", contact_episodes=EPISODES)
    stored = list(EyeContactEpisode.objects.filter(job=first).values_list("kind", "start_s", "end_s"))
    assert stored == [("eye_contact", 1.0, 3.5), ("mutual_gaze", 1.5, 2.0)]

    second = analysis_finished_with(recording, world.uploader, "b", contact_episodes=EPISODES[:1])
    assert list(EyeContactEpisode.objects.values_list("job_id", "kind")) == [(second.pk, "eye_contact")]


def test_withdrawing_consent_deletes_the_episodes(world, recording):
    analysis_finished_with(recording, world.uploader, "a", contact_episodes=EPISODES)
    patient = recording.session.patient

    consent_withdraw(patient=patient, scope=ConsentScope.ANALYSE, by=world.clinician)
    consent_withdraw(patient=patient, scope=ConsentScope.STORE_VIDEO, by=world.clinician)

    assert not EyeContactEpisode.objects.filter(patient=patient).exists()
    assert AccessEvent.objects.get(object_type="derived_results").details["eye_contact_episodes"] == 2
