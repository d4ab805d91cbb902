"""The vendored plotly.js basic bundle: the published file (checksum), of the version plotly.py
ships (the one Dash's graphs are built for), and able to draw every figure the platform makes:
a trace type outside the bundle would leave its chart empty, so each chart's figure is built
here and its trace types compared with the bundle's."""

import hashlib
import json
import re
from pathlib import Path

from plotly.offline import get_plotlyjs_version

from frontend.dashboards.labels import default_metrics
from frontend.models_admin.charts import agreement_chart_html
from frontend.review.plotly_asset import PLOTLY_JS, PLOTLY_JS_TRACE_TYPES, PLOTLY_JS_VERSION
from results.agreement import agreement_from_pairs
from results.task_segments import task_segment_mark
from tests.factories import make_analysed_session
from tests.tasks_platform.conftest import make_task_protocol

# plotly-basic.min.js of the npm package plotly.js-basic-dist-min@4.1.1 (see its README).
PLOTLY_JS_SHA256 = "99784e3abfb07b142a15e521a439e6d9addceadb3f79553fd24c72774f0649ba"
STATIC_JS = Path(__file__).resolve().parents[2] / "frontend" / "static" / "js"
METRICS = ("apathy.neutral_share", "stereotypy.episodes_per_min", "attention.gaze_shifts_per_min")


def test_the_vendored_bundle_is_the_published_file_of_the_version_plotly_py_ships():
    bundle = PLOTLY_JS.read_bytes()
    assert hashlib.sha256(bundle).hexdigest() == PLOTLY_JS_SHA256
    assert bundle[:200].decode().splitlines()[1] == f"* plotly.js (basic - minified) v{PLOTLY_JS_VERSION}"
    assert get_plotlyjs_version() == PLOTLY_JS_VERSION
    registered = set(re.findall(rb'moduleType:"trace",name:"(\w+)"', bundle))
    assert {name.decode() for name in registered} == PLOTLY_JS_TRACE_TYPES


def _trace_types(node) -> list[str]:
    """The trace type of every trace of every figure in a Dash layout (JSON)."""
    if isinstance(node, list):
        return [kind for child in node for kind in _trace_types(child)]
    if not isinstance(node, dict):
        return []
    if isinstance(node.get("figure"), dict):
        return [trace.get("type", "scatter") for trace in node["figure"].get("data", [])]
    return [kind for child in node.values() for kind in _trace_types(child)]


def test_the_dashboard_draws_only_trace_types_of_the_bundle(world, login):
    visit = make_analysed_session(world.patient, by=world.clinician, protocol=make_task_protocol())
    for code, start_s, end_s in (("pill_box", 1.0, 6.0), ("phone_call", 7.0, 12.0)):
        task_segment_mark(
            session=visit.recording.session, task_code=code, start_s=start_s, end_s=end_s, by=world.clinician
        )
    make_analysed_session(world.patient, by=world.clinician, windows={m: [0.2, 0.4, 0.5] for m in METRICS})
    answer = login(world.clinician).get(f"/dashboards/patient/{world.patient.code}/_dash-layout")
    assert answer.status_code == 200
    layout = json.loads(b"".join(answer.streaming_content) if answer.streaming else answer.content)
    kinds = _trace_types(layout)
    # One metric graph per default metric, the tasks' Gantt (bars) and trends (lines and bars).
    assert len(default_metrics(list(METRICS))) >= 2 and {"scatter", "bar"} <= set(kinds)
    assert set(kinds) <= PLOTLY_JS_TRACE_TYPES


def test_the_session_timeline_and_the_agreement_chart_draw_only_trace_types_of_the_bundle(world, login):
    job = make_analysed_session(
        world.patient,
        by=world.clinician,
        protocol=make_task_protocol(),
        windows={"stereotypy.episodes_per_min": [1.0, 2.0]},
        events=[("body_rocking", 1.0, 2.0)],
    )
    task_segment_mark(
        session=job.recording.session, task_code="pill_box", start_s=1.0, end_s=6.0, by=world.clinician
    )
    timeline = login(world.clinician).get(f"/sessions/{job.recording.session_id}/").context["timeline"]
    assert {trace.get("type", "scatter") for trace in timeline["data"]} <= PLOTLY_JS_TRACE_TYPES

    report = agreement_from_pairs([("body_rocking", "body_rocking"), ("hand_flapping", "none")])
    html = agreement_chart_html(report, csp_nonce="n")
    start = html.index('"agreement-chart",') + len('"agreement-chart",')
    data, _ = json.JSONDecoder().raw_decode(html[start:].lstrip())
    assert data and {trace["type"] for trace in data} <= PLOTLY_JS_TRACE_TYPES


def test_traces_added_by_the_pages_scripts_are_of_the_bundles_types():
    scripts = [path.read_text() for path in STATIC_JS.glob("*.js")]
    added = [kind for text in scripts if "Plotly." in text for kind in re.findall(r'\btype: "(\w+)"', text)]
    assert added and set(added) <= PLOTLY_JS_TRACE_TYPES
