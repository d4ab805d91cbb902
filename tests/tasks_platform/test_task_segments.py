"""Task segments of semi-guided visits: marking, correcting, accepting and deleting through the
services; refusals of bad input with a sentence; permission; audit; training data filtered by
consent; withdrawal and erasure."""

import re

import pytest

from accounts.errors import ApplicationError
from accounts.permissions import PatientRefused
from audit.models import AccessEvent
from care.erasure import erasure_confirm, erasure_request
from care.withdrawal import consent_withdraw
from patients.models import ConsentScope
from results.models import TaskSegment
from results.task_segments import (
    ProposedSegment,
    task_segment_accept,
    task_segment_correct,
    task_segment_delete,
    task_segment_mark,
    task_segments_propose,
)
from results.task_selectors import (
    patient_task_visits,
    segments_in_use,
    session_task_segments,
    task_segments_for_training,
)
from tests.factories import make_analysed_session, make_patient
from tests.tasks_platform.conftest import make_task_protocol


def mark(visit, by, code="pill_box", start_s=2.0, end_s=8.0):
    return task_segment_mark(session=visit.session, task_code=code, start_s=start_s, end_s=end_s, by=by)


def test_a_clinician_marks_a_task_stored_with_who_and_audited(world, visit):
    segment = mark(visit, world.clinician)
    assert (segment.task_code, segment.start_s, segment.end_s) == ("pill_box", 2.0, 8.0)
    assert segment.source == TaskSegment.Source.MARKED and segment.marked_by == world.clinician
    row = AccessEvent.objects.get(object_type="task_segment", object_id=str(segment.pk))
    assert (row.username, row.patient_code, row.outcome) == ("clinician", world.patient.code, "allowed")


@pytest.mark.parametrize(
    ("start_s", "end_s", "words"),
    [
        (-1.0, 4.0, "before the start of the video"),
        (10.0, 31.0, "after the end of the video (30.0 s)"),
        (8.0, 8.0, "is not after the start"),
        (9.0, 5.0, "is not after the start"),
        (float("nan"), 5.0, "must be numbers of seconds"),
        (None, 5.0, "Give the task's start and end"),
    ],
)
def test_out_of_video_marks_are_refused_with_a_sentence_and_audited(world, visit, start_s, end_s, words):
    with pytest.raises(ApplicationError, match=re.escape(words)):
        mark(visit, world.clinician, start_s=start_s, end_s=end_s)
    assert not TaskSegment.objects.exists()
    refusal = AccessEvent.objects.get(object_type="task_segment", outcome="denied")
    assert words.split(" (")[0] in refusal.details["reason"]


def test_an_overlapping_mark_is_refused_naming_the_other_task(world, visit):
    mark(visit, world.clinician, "pill_box", 2.0, 8.0)
    with pytest.raises(ApplicationError) as refused:
        mark(visit, world.colleague, "phone_call", 7.0, 12.0)
    assert "overlaps 'Prepare a pill box', marked from 2.0 to 8.0 s" in refused.value.message
    adjacent = mark(visit, world.colleague, "phone_call", 8.0, 12.0)  # one ends as the next starts
    assert [s.task_code for s in session_task_segments(session=visit.session)] == ["pill_box", "phone_call"]
    with pytest.raises(ApplicationError, match="overlaps"):
        task_segment_correct(
            segment=adjacent, task_code="phone_call", start_s=5.0, end_s=12.0, by=world.clinician
        )


def test_a_session_of_another_protocol_never_gets_task_segments(world):
    interview = make_analysed_session(world.patient, by=world.clinician).recording.session
    with pytest.raises(ApplicationError, match="which has no task list"):
        task_segment_mark(session=interview, task_code="pill_box", start_s=1.0, end_s=2.0, by=world.clinician)
    job = interview.recordings.first().jobs.first()
    with pytest.raises(ApplicationError, match="which has no task list"):
        task_segments_propose(
            session=interview, job=job, segments=[ProposedSegment("pill_box", 1, 2)], model_version="1"
        )
    assert not TaskSegment.objects.filter(session=interview).exists()


def test_an_unknown_task_is_refused(world, visit):
    with pytest.raises(ApplicationError, match="Unknown task 'cheque'"):
        mark(visit, world.clinician, code="cheque")


@pytest.mark.parametrize("persona", ["uploader", "outsider", "statistician", "admin"])
def test_only_clinicians_of_the_care_team_mark_tasks(world, visit, persona):
    with pytest.raises(PatientRefused):
        mark(visit, getattr(world, persona))
    assert not TaskSegment.objects.exists()


def test_correcting_and_accepting_a_proposal_makes_it_marked_by_the_clinician(world, visit):
    proposed = task_segments_propose(
        session=visit.session,
        job=visit.job,
        segments=[ProposedSegment("pill_box", 1.0, 6.0, 0.9), ProposedSegment("phone_call", 6.0, 11.0, 0.7)],
        model_version="task-tcn 1",
    )
    assert [s.source for s in proposed] == ["automatic", "automatic"] and proposed[0].marked_by is None
    accepted = task_segment_accept(segment=proposed[0], by=world.clinician)
    assert (accepted.source, accepted.marked_by, accepted.start_s) == ("marked", world.clinician, 1.0)
    corrected = task_segment_correct(
        segment=proposed[1], task_code="water_plant", start_s=6.5, end_s=12.0, by=world.colleague
    )
    assert (corrected.task_code, corrected.source, corrected.marked_by) == (
        "water_plant",
        "marked",
        world.colleague,
    )
    details = AccessEvent.objects.filter(object_type="task_segment", details__corrected=True).values_list(
        "details", flat=True
    )
    assert {d["was"] for d in details} == {"automatic"}


def test_a_proposal_overlapping_a_marked_task_or_outside_the_video_is_dropped(world, visit):
    mark(visit, world.clinician, "pill_box", 0.0, 5.0)
    kept = task_segments_propose(
        session=visit.session,
        job=visit.job,
        segments=[
            ProposedSegment("pill_box", 3.0, 7.0),  # overlaps the clinician's mark
            ProposedSegment("phone_call", 7.0, 12.0),
            ProposedSegment("read_article", 25.0, 45.0),  # beyond the 30 s video
            ProposedSegment("cheque", 12.0, 14.0),  # not in the protocol
        ],
        model_version="task-tcn 1",
    )
    assert [(s.task_code, s.start_s) for s in kept] == [("phone_call", 7.0)]
    # the clinician's marks are what the metrics use, once there are any
    in_use = segments_in_use(session_task_segments(session=visit.session))
    assert [(s.task_code, s.source) for s in in_use] == [("pill_box", "marked")]


def test_deleting_a_task_is_audited_with_what_it_was(world, visit):
    segment = mark(visit, world.clinician)
    pk = segment.pk
    task_segment_delete(segment=segment, by=world.colleague)
    assert not TaskSegment.objects.filter(pk=pk).exists()
    row = AccessEvent.objects.get(object_type="task_segment", object_id=str(pk), details__deleted=True)
    assert (row.username, row.details["start_s"], row.details["end_s"]) == ("colleague", 2.0, 8.0)


def test_training_segments_are_those_of_patients_consenting_to_model_training(world, visit):
    mark(visit, world.clinician)
    no_training = make_patient(
        world.memory_clinic,
        name="Paul Durand",
        hospital_number="H-0009",
        scopes=(ConsentScope.STORE_VIDEO, ConsentScope.ANALYSE),
        by=world.clinician,
    )
    other_job = make_analysed_session(no_training, by=world.clinician, protocol=make_task_protocol())
    task_segment_mark(
        session=other_job.recording.session, task_code="pill_box", start_s=1.0, end_s=3.0, by=world.clinician
    )
    task_segments_propose(
        session=visit.session,
        job=visit.job,
        segments=[ProposedSegment("hot_drink", 20.0, 25.0)],
        model_version="1",
    )
    training = list(task_segments_for_training())
    assert [(s.session.patient_id, s.source) for s in training] == [(world.patient.pk, "marked")]
    consent_withdraw(patient=world.patient, scope=ConsentScope.MODEL_TRAINING, by=world.clinician)
    assert not task_segments_for_training().exists()


def test_withdrawing_analyse_removes_the_proposals_and_keeps_the_marks(world, visit):
    mark(visit, world.clinician, "pill_box", 0.0, 5.0)
    task_segments_propose(
        session=visit.session,
        job=visit.job,
        segments=[ProposedSegment("phone_call", 6.0, 9.0)],
        model_version="1",
    )
    consent_withdraw(patient=world.patient, scope=ConsentScope.ANALYSE, by=world.clinician)
    assert list(TaskSegment.objects.values_list("source", flat=True)) == ["marked"]
    assert AccessEvent.objects.filter(object_type="task_segments_proposed", action="delete").count() == 1
    consent_withdraw(patient=world.patient, scope=ConsentScope.STORE_VIDEO, by=world.clinician)
    assert not TaskSegment.objects.exists()  # neither analyse nor store_video: every derived row goes


def test_erasure_removes_every_task_segment(world, visit):
    mark(visit, world.clinician)
    task_segments_propose(
        session=visit.session,
        job=visit.job,
        segments=[ProposedSegment("phone_call", 9.0, 12.0)],
        model_version="1",
    )
    erasure = erasure_request(patient=world.patient, by=world.clinician)
    erasure = erasure_confirm(erasure=erasure, by=world.admin)
    assert not TaskSegment.objects.exists()
    row = AccessEvent.objects.get(object_type="patient_erasure")
    assert row.details["rows"]["task_segments"] == 2


def test_the_dashboard_reads_each_visit_with_its_task_list(world, visit):
    mark(visit, world.clinician, "phone_call", 1.0, 4.0)
    [only] = patient_task_visits(patient=world.patient)
    assert [t.code for t in only.tasks] == [
        "pill_box",
        "phone_call",
        "water_plant",
        "read_article",
        "hot_drink",
    ]
    assert [s.task_code for s in only.segments] == ["phone_call"]
