"""The task panel of the session page and its addresses: what a clinician reads, marking by the
page's JSON calls and by the form, refusals as sentences (never a 500), and the protocol's task
list in the admin."""

import pytest

from audit.models import AccessEvent
from results.models import ModelVersion, TaskSegment
from results.task_segments import ProposedSegment, task_segments_propose
from results.task_training import SYNTHETIC_NOTE
from tests.factories import make_analysed_session

JSON = {"HTTP_ACCEPT": "application/json"}


def test_the_session_page_lists_the_tasks_and_says_to_mark_them_by_hand(world, visit, login):
    page = login(world.clinician).get(f"/sessions/{visit.session.pk}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Mark the tasks by hand." in html
    assert "<kbd>1</kbd> Prepare a pill box" in html and "<kbd>5</kbd> Prepare a hot drink" in html
    assert "No task is marked for this visit yet." in html


def test_with_an_active_task_model_the_page_asks_to_accept_or_correct(world, visit, login):
    ModelVersion.objects.create(
        name="task-segmenter",
        version="1",
        kind=ModelVersion.Kind.TASK,
        is_active=True,
        metrics={"trained_on": SYNTHETIC_NOTE},
    )
    task_segments_propose(
        session=visit.session,
        job=visit.job,
        segments=[ProposedSegment("pill_box", 1.0, 6.0, 0.8)],
        model_version="task-segmenter 1",
    )
    html = login(world.clinician).get(f"/sessions/{visit.session.pk}/").content.decode()
    assert "Mark the tasks by hand" not in html
    assert "The task model proposed 1 task below: accept each one that is right" in html
    assert "task model (proposal, confidence 80 %)" in html and ">Accept</button>" in html
    # Which model proposed them, and that it learnt from the synthetic set, not from patients.
    assert f"Model: task-segmenter 1, {SYNTHETIC_NOTE}." in html


def test_marking_by_keys_posts_json_and_the_page_shows_the_task(world, visit, login):
    client = login(world.clinician)
    answer = client.post(
        f"/sessions/{visit.session.pk}/tasks",
        {"task_code": "phone_call", "start_s": "3.2", "end_s": "9.9"},
        **JSON,
    )
    assert answer.status_code == 201
    assert answer.json()["message"] == "Make a phone call from 3.2 s to 9.9 s marked."
    html = client.get(f"/sessions/{visit.session.pk}/").content.decode()
    assert "▶ Make a phone call" in html
    assert ">clinician</td>" in html.replace("\n", "")


@pytest.mark.parametrize(
    ("body", "sentence"),
    [
        ({"task_code": "pill_box", "start_s": "12", "end_s": "45"}, "is after the end of the video (30.0 s)"),
        ({"task_code": "pill_box", "start_s": "abc", "end_s": "4"}, "must be numbers of seconds"),
        ({"task_code": "pill_box", "start_s": "4"}, "Give the task's start and end"),
        ({"task_code": "", "start_s": "1", "end_s": "4"}, "Unknown task ''"),
    ],
)
def test_bad_marks_are_answered_with_a_sentence(world, visit, login, body, sentence):
    answer = login(world.clinician).post(f"/sessions/{visit.session.pk}/tasks", body, **JSON)
    assert answer.status_code == 400 and sentence in answer.json()["message"]
    assert not TaskSegment.objects.exists()


def test_an_overlap_by_the_form_comes_back_as_a_message_on_the_page(world, visit, login):
    client = login(world.clinician)
    client.post(
        f"/sessions/{visit.session.pk}/tasks", {"task_code": "pill_box", "start_s": "1", "end_s": "8"}
    )
    answer = client.post(
        f"/sessions/{visit.session.pk}/tasks",
        {"task_code": "phone_call", "start_s": "5", "end_s": "9"},
        follow=True,
    )
    assert answer.status_code == 200
    assert "overlaps &#x27;Prepare a pill box&#x27;, marked from 1.0 to 8.0 s" in answer.content.decode()
    assert TaskSegment.objects.count() == 1


def test_a_session_of_another_protocol_has_no_task_panel_and_refuses_marks(world, login):
    interview = make_analysed_session(world.patient, by=world.clinician).recording.session
    client = login(world.clinician)
    assert "tasks-h" not in client.get(f"/sessions/{interview.pk}/").content.decode()
    answer = client.post(
        f"/sessions/{interview.pk}/tasks", {"task_code": "pill_box", "start_s": "1", "end_s": "2"}, **JSON
    )
    assert answer.status_code == 400 and "has no task list" in answer.json()["message"]


def test_correct_accept_and_delete_through_the_page(world, visit, login):
    [proposed] = task_segments_propose(
        session=visit.session,
        job=visit.job,
        segments=[ProposedSegment("pill_box", 1.0, 6.0)],
        model_version="1",
    )
    client = login(world.clinician)
    base = f"/sessions/{visit.session.pk}/tasks/{proposed.pk}"
    assert client.post(f"{base}/accept", **JSON).status_code == 200
    proposed.refresh_from_db()
    assert (proposed.source, proposed.marked_by) == ("marked", world.clinician)
    answer = client.post(
        f"{base}/correct", {"task_code": "water_plant", "start_s": "2", "end_s": "7"}, **JSON
    )
    assert answer.json()["message"] == "Corrected: Water a plant from 2.0 s to 7.0 s."
    assert client.post(f"{base}/delete", **JSON).status_code == 200
    assert not TaskSegment.objects.exists()


@pytest.mark.parametrize("persona", ["uploader", "outsider", "statistician", "admin"])
def test_other_roles_get_a_404_and_the_refusal_is_audited(world, visit, login, persona):
    answer = login(getattr(world, persona)).post(
        f"/sessions/{visit.session.pk}/tasks", {"task_code": "pill_box", "start_s": "1", "end_s": "2"}
    )
    assert answer.status_code == 404
    assert not TaskSegment.objects.exists()
    assert AccessEvent.objects.filter(outcome="denied", username=persona, object_type="task_mark").exists()


def test_the_admin_edits_a_protocols_task_list_inline(world, visit, login):
    world.admin.is_superuser = True
    world.admin.save()
    html = (
        login(world.admin)
        .get(f"/admin/recordings/protocol/{visit.session.protocol.pk}/change/")
        .content.decode()
    )
    assert "Expected max duration s" in html and 'value="Prepare a pill box"' in html
