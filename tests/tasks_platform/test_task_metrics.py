"""Per-task metrics stored as metric samples, recomputed when the segments change, and the
patient's dashboard drawing them visit over visit (Gantt and trends, or why there is none)."""

from frontend.dashboards.tasks_view import MIN_VISIT_SLOTS, trends_figure
from results.models import MetricSample
from results.task_metric_samples import task_definitions
from results.task_segments import task_segment_delete, task_segment_mark
from results.task_selectors import patient_task_metrics, patient_task_visits
from tests.factories import make_analysed_session
from tests.tasks_platform.conftest import make_task_protocol


def stored(session) -> dict[str, MetricSample]:
    rows = MetricSample.objects.filter(session=session, metric__startswith="tasks.", is_session_level=True)
    return {row.metric: row for row in rows}


def test_marking_stores_the_task_metrics_and_a_change_recomputes_them(world, visit):
    assert stored(visit.session) == {}  # nothing marked: no metric, not "every task omitted"
    mark = {"session": visit.session, "by": world.clinician}
    task_segment_mark(task_code="phone_call", start_s=1.0, end_s=4.0, **mark)
    pill_box = task_segment_mark(task_code="pill_box", start_s=5.0, end_s=9.5, **mark)
    metrics = stored(visit.session)
    assert metrics["tasks.order_errors"].value == 1  # the pill box was asked first, done second
    assert metrics["tasks.omitted_count"].value == 3
    assert (
        metrics["tasks.pill_box.duration_s"].value == 4.5 and metrics["tasks.pill_box.duration_s"].unit == "s"
    )
    assert metrics["tasks.idle_time_s"].value == 1.0
    assert metrics["tasks.total_time_s"].value == 8.5
    hands = metrics["tasks.pill_box.hand_activity_share"]
    assert hands.value is None and "activity signal" in hands.reason
    assert metrics["tasks.water_plant.duration_s"].value is None
    assert metrics["tasks.water_plant.duration_s"].reason == "The task was not performed (no segment)."
    assert {row.job_id for row in metrics.values()} == {visit.job.pk}
    task_segment_delete(segment=pill_box, by=world.clinician)
    metrics = stored(visit.session)
    assert metrics["tasks.omitted_count"].value == 4 and metrics["tasks.order_errors"].value == 0


def test_every_stored_task_metric_has_a_definition_with_unit_and_range(world, visit):
    task_segment_mark(
        session=visit.session, task_code="hot_drink", start_s=2.0, end_s=20.0, by=world.clinician
    )
    definitions = task_definitions(visit.session.protocol)
    for key, row in stored(visit.session).items():
        definition = definitions[key]
        assert definition.unit == row.unit and definition.description
        assert row.value is None or definition.minimum <= row.value <= definition.maximum


def _layout(client, code) -> str:
    answer = client.get(f"/dashboards/patient/{code}/_dash-layout")
    assert answer.status_code == 200
    return b"".join(answer.streaming_content).decode() if answer.streaming else answer.content.decode()


def test_the_dashboard_draws_each_visit_against_the_asked_order(world, login, visit):
    later = make_analysed_session(world.patient, by=world.clinician, protocol=make_task_protocol())
    for session, marks in (
        (visit.session, [("pill_box", 1.0, 6.0), ("phone_call", 7.0, 12.0)]),
        (
            later.recording.session,
            [("phone_call", 1.0, 3.0), ("pill_box", 4.0, 9.0), ("hot_drink", 10.0, 20.0)],
        ),
    ):
        for code, start_s, end_s in marks:
            task_segment_mark(
                session=session, task_code=code, start_s=start_s, end_s=end_s, by=world.clinician
            )
    layout = _layout(login(world.clinician), world.patient.code)
    assert "Semi-guided tasks, visit over visit" in layout and "tasks-gantt" in layout
    assert "1. Prepare a pill box" in layout and "5. Prepare a hot drink" in layout
    assert "omitted: Water a plant, Read an article" in layout and "1 order error" in layout
    assert (
        "Time spent on each task (seconds)" in layout and "Tasks omitted and order errors (count)" in layout
    )


def test_without_marked_tasks_the_dashboard_says_why(world, login, visit):
    layout = _layout(login(world.clinician), world.patient.code)
    assert "No task is marked yet in the 1 semi-guided visit" in layout and "tasks-gantt" not in layout


def test_a_patient_without_semi_guided_visits_has_no_task_section(world, login):
    make_analysed_session(world.patient, by=world.clinician)
    assert "Semi-guided tasks" not in _layout(login(world.clinician), world.patient.code)


def test_a_single_visit_has_narrow_count_bars_and_a_zero_is_said_in_words(world, visit):
    for code, start_s, end_s in (("pill_box", 1.0, 6.0), ("phone_call", 7.0, 12.0)):
        task_segment_mark(
            session=visit.session, task_code=code, start_s=start_s, end_s=end_s, by=world.clinician
        )
    visits = patient_task_visits(patient=world.patient)
    figure = trends_figure(visits, patient_task_metrics(patient=world.patient))
    bars = {trace.name: trace for trace in figure.data if trace.type == "bar"}
    assert list(bars["Order errors"].y) == [0] and list(bars["Order errors"].text) == ["no order error"]
    assert list(bars["Tasks omitted"].text) == ["3"]
    low, high = figure.layout.xaxis2.range
    assert high - low == MIN_VISIT_SLOTS and (low + high) / 2 == 0  # one visit, centred in five slots
    assert figure.layout.xaxis2.showline  # the zero line under a count of none
