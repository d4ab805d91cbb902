"""The access table: for every URL pattern of the site (its view name, or its route when it has
none), the requests that try it and the answer each role gets, in the order of ROLES
(tests/access/matrix.py): uploader, clinician, colleague, outsider, statistician in the study,
statistician outside it, admin, anonymous.

404 answers an unknown object and a refused one alike; 403 is a refusal that names no patient;
401 the API's answer to anonymous; 302 a redirect (to the log-in page for anonymous, the
admin's log-in page for non-staff in the admin, or the page's own redirect after a POST).

DATA marks a request whose allowed answer shows or changes patient data: it must leave an
audit row with outcome allowed. NO_DATA marks the declared list of requests that carry no
patient data. Every refusal must leave a row with outcome denied, whatever its mark.
The admin's pages are generated from its registered models (tests/access/admin_table.py).
"""

from dataclasses import dataclass

from frontend.review.plotly_asset import PLOTLY_JS_VERSION

DATA, NO_DATA = True, False


@dataclass(frozen=True)
class Probe:
    method: str
    path: str  # filled from tests.access.matrix.make_objects' values
    expected: tuple[int, ...]  # one status per role
    patient_data: bool
    headers: tuple[tuple[str, str], ...] = ()
    body: str = ""  # a named body (walk._body); none means an empty form
    note: str = ""


def probe(method: str, path: str, statuses: str, data: bool, *, range_: str = "", body: str = "") -> Probe:
    expected = tuple(int(status) for status in statuses.split())
    headers = (("Range", range_),) if range_ else ()
    return Probe(method, path, expected, data, headers, body, f"Range: {range_}" if range_ else "")


def get(path: str, statuses: str, data: bool, **extra: str) -> Probe:
    return probe("get", path, statuses, data, **extra)


def post(path: str, statuses: str, data: bool, **extra: str) -> Probe:
    return probe("post", path, statuses, data, **extra)


API = "/api/v1/"
STUDY = "/api/v1/studies/{study}/"
SESSION = "/sessions/{session}/"
TASKS = "/sessions/{task_session}/"  # a session of a semi-guided protocol
PATIENT = "/patients/{code}/"
DASH = "/dashboards/patient/{code}/"
VIDEO_ANSWERS = "404 {ok} {ok} 404 404 404 404 302"  # clinicians of the team only
RANGES = ("bytes=0-", "bytes=-99999999", "Bytes=0-", "bytes=00-", "bytes=0-99", "garbage", "bytes=5-2,7-9")

#                   uploader clinician colleague outsider statistician stat_out admin anonymous
TABLE: dict[str, list[Probe]] = {
    "healthz": [get("/healthz", "200 200 200 200 200 200 200 200", NO_DATA)],
    "api-token": [get(API + "auth/token/", "405 405 405 405 405 405 405 401", NO_DATA)],
    "api-agreement": [get(API + "agreement/", "403 403 403 403 403 403 200 401", NO_DATA)],
    "api-schema": [get(API + "schema/", "200 200 200 200 200 200 200 200", NO_DATA)],
    "api-docs": [get(API + "docs/", "200 200 200 200 200 200 200 200", NO_DATA)],
    "api-redoc": [get(API + "redoc/", "200 200 200 200 200 200 200 200", NO_DATA)],
    "api-root": [get(API, "200 200 200 200 200 200 200 401", NO_DATA)],
    "patient-list": [get(API + "patients/", "200 200 200 200 200 200 200 401", DATA)],
    "patient-detail": [get(API + "patients/{code}/", "200 200 200 404 404 404 200 401", DATA)],
    "patient-identity": [get(API + "patients/{code}/identity/", "200 200 200 404 404 404 404 401", DATA)],
    "session-list": [
        get(API + "sessions/", "200 200 200 200 200 200 200 401", DATA),
        post(API + "sessions/", "201 201 201 404 404 404 404 401", DATA, body="api_session"),
    ],
    "session-detail": [get(API + "sessions/{session}/", "200 200 200 404 404 404 200 401", DATA)],
    "session-events-export": [
        get(API + "sessions/{session}/events-export/?format=eaf", "404 200 200 404 404 404 404 401", DATA),
        get(API + "sessions/{session}/events-export/?format=boris", "404 200 200 404 404 404 404 401", DATA),
    ],
    "recording-list": [get(API + "recordings/", "200 200 200 200 200 200 200 401", DATA)],
    "recording-detail": [get(API + "recordings/{recording}/", "200 200 200 404 404 404 200 401", DATA)],
    "upload-list": [get(API + "uploads/", "405 405 405 405 405 405 405 401", NO_DATA)],
    "upload-detail": [get(API + "uploads/{upload}/", "200 404 404 404 404 404 404 401", DATA)],
    "upload-chunk": [get(API + "uploads/{upload}/chunk/", "405 405 405 405 405 405 405 401", NO_DATA)],
    "upload-complete": [get(API + "uploads/{upload}/complete/", "405 405 405 405 405 405 405 401", NO_DATA)],
    "job-list": [get(API + "jobs/", "200 200 200 200 200 200 200 401", DATA)],
    "job-detail": [get(API + "jobs/{job}/", "200 200 200 404 404 404 200 401", DATA)],
    "job-cancel": [
        get(API + "jobs/{job}/cancel/", "405 405 405 405 405 405 405 401", NO_DATA),
        post(API + "jobs/{queued_job}/cancel/", "200 200 200 404 404 404 200 401", DATA),
    ],
    "job-retry": [
        get(API + "jobs/{job}/retry/", "405 405 405 405 405 405 405 401", NO_DATA),
        post(API + "jobs/{job}/retry/", "400 400 400 404 404 404 400 401", DATA),
    ],
    "metric-sample-list": [get(API + "metric-samples/", "200 200 200 200 200 200 200 401", DATA)],
    "event-list": [get(API + "events/", "200 200 200 200 200 200 200 401", DATA)],
    "event-detail": [get(API + "events/{event}/", "404 200 200 404 404 404 404 401", DATA)],
    "event-reviews": [
        get(API + "events/{event}/reviews/", "405 405 405 405 405 405 405 401", NO_DATA),
        post(API + "events/{event}/reviews/", "404 201 201 404 404 404 404 401", DATA, body="api_review"),
    ],
    "study-list": [get(API + "studies/", "200 200 200 200 200 200 200 401", NO_DATA)],
    "study-detail": [get(STUDY, "404 404 404 404 200 404 200 401", NO_DATA)],
    "study-codebook": [get(STUDY + "codebook/", "404 404 404 404 200 404 200 401", NO_DATA)],
    "study-data-dictionary": [get(STUDY + "data-dictionary/", "404 404 404 404 200 404 200 401", NO_DATA)],
    "study-datapackage": [
        get(STUDY + "datapackage/", "404 404 404 404 200 404 403 401", NO_DATA),
        get(STUDY + "datapackage/?format=zip", "404 404 404 404 200 404 403 401", DATA),
    ],
    "study-events": [get(STUDY + "events/", "404 404 404 404 200 404 403 401", DATA)],
    "study-tasks": [get(STUDY + "tasks/", "404 404 404 404 200 404 403 401", DATA)],
    "study-speech": [get(STUDY + "speech/", "404 404 404 404 200 404 403 401", DATA)],
    "study-export": [
        get(STUDY + "export/?format=csv", "404 404 404 404 200 404 403 401", DATA),
        get(STUDY + "export/?format=csv&date_from={today}", "404 404 404 404 200 404 403 401", DATA),
    ],
    "study-session-list": [get(STUDY + "sessions/", "404 404 404 404 200 404 404 401", DATA)],
    "study-session-detail": [get(STUDY + "sessions/{session_key}/", "404 404 404 404 200 404 404 401", DATA)],
    "study-session-events-export": [
        get(
            STUDY + "sessions/{session_key}/events-export/?format=boris",
            "404 404 404 404 200 404 404 401",
            DATA,
        ),
        get(
            STUDY + "sessions/{session_key}/events-export/?format=eaf",
            "404 404 404 404 200 404 404 401",
            DATA,
        ),
    ],
    "study-recording-list": [get(STUDY + "recordings/", "404 404 404 404 200 404 404 401", DATA)],
    "study-metric-sample-list": [get(STUDY + "metric-samples/", "404 404 404 404 200 404 404 401", DATA)],
    "study-behaviour-event-list": [get(STUDY + "behaviour-events/", "404 404 404 404 200 404 404 401", DATA)],
    "token-list": [get(API + "tokens/", "200 200 200 200 200 200 200 401", NO_DATA)],
    "token-detail": [get(API + "tokens/{token}/", "405 405 405 405 405 405 405 401", NO_DATA)],
    "home": [get("/", "302 302 302 302 302 302 302 302", NO_DATA)],
    "login": [get("/login/", "302 302 302 302 302 302 302 200", NO_DATA)],
    "logout": [get("/logout/", "405 405 405 405 405 405 405 405", NO_DATA)],
    "patient_list": [get("/patients/", "200 200 200 200 403 403 403 302", DATA)],
    "patient_register": [get("/patients/new/", "200 200 200 200 404 404 404 302", NO_DATA)],
    "patient_detail": [get(PATIENT, "200 200 200 404 403 403 403 302", DATA)],
    "consent_record": [post(PATIENT + "consent/", "400 400 400 404 403 403 403 302", DATA)],
    "consent_withdraw": [post(PATIENT + "consent/withdraw/", "400 400 400 404 403 403 403 302", DATA)],
    "session_create": [get(PATIENT + "sessions/new/", "200 200 200 404 403 403 403 302", DATA)],
    "identity_correct": [get(PATIENT + "identity/", "200 200 200 404 404 404 404 302", DATA)],
    "session_edit": [get(PATIENT + "sessions/{session}/edit/", "200 200 200 404 404 404 404 302", DATA)],
    "erasure_request": [
        get(PATIENT + "erasure/", "404 200 200 404 404 404 404 302", DATA),
        post(PATIENT + "erasure/", "404 302 302 404 404 404 404 302", DATA),
    ],
    "enrolment_covariates": [post(PATIENT + "studies/{enrolment}/", "302 302 302 404 404 404 404 302", DATA)],
    "erasure_list": [get("/erasures/", "403 403 403 403 403 403 200 302", DATA)],
    "study_list": [get("/studies/", "403 403 403 403 200 200 200 302", NO_DATA)],
    "upload:page": [get("/upload/", "200 200 200 200 403 403 403 302", DATA)],
    "upload:session_create": [get("/upload/sessions/new/", "405 405 405 405 405 405 405 405", NO_DATA)],
    "upload:start": [post("/upload/api/start/", "400 400 400 400 403 403 403 401", DATA)],
    "upload:status": [get("/upload/api/{upload}/", "200 404 404 404 404 404 404 401", NO_DATA)],
    "upload:job_status": [get("/upload/api/jobs/{job}/", "200 200 200 404 404 404 200 401", NO_DATA)],
    "plotly_js": [
        get(f"/sessions/plotly-basic-{PLOTLY_JS_VERSION}.min.js", "200 200 200 200 200 200 200 302", NO_DATA)
    ],
    "session_page": [get(SESSION, "404 200 200 404 404 404 404 302", DATA)],
    "session_video": [get(SESSION + "video", VIDEO_ANSWERS.format(ok=200), DATA)]
    + [
        get(
            SESSION + "video",
            VIDEO_ANSWERS.format(ok=200 if r in ("Bytes=0-", "garbage", "bytes=5-2,7-9") else 206),
            DATA,
            range_=r,
        )
        for r in RANGES
    ]
    + [get(SESSION + "video", VIDEO_ANSWERS.format(ok=416), DATA, range_="bytes=99999999-")],
    "session_overlay": [get(SESSION + "overlay.json", "404 200 200 404 404 404 404 302", DATA)],
    "patient_dashboard": [get(DASH, "404 200 200 404 404 404 404 302", DATA)],
    "patient_dashboard_dash": [
        get(DASH + "_dash-layout", "404 200 200 404 404 404 404 403", DATA),
        get(DASH + "_dash-dependencies", "404 200 200 404 404 404 404 403", NO_DATA),
        post(DASH + "_dash-update-component", "404 200 200 404 404 404 404 403", DATA, body="dash_callback"),
        get(
            DASH + "_dash-component-suites/dash/dcc/async-graph.js",
            "404 200 200 404 404 404 404 403",
            NO_DATA,
        ),
        get(DASH + "no-such-endpoint", "404 404 404 404 404 404 404 404", NO_DATA),
    ],
    "dashboard_index": [get("/dashboards/", "403 200 200 200 403 403 403 302", DATA)],
    "dashboard_assets": [
        get(
            "/dashboards/app/_dash-component-suites/dash/dcc/async-graph.js",
            "200 200 200 200 200 200 200 403",
            NO_DATA,
        ),
        get(
            "/dashboards/app/_dash-component-suites/../_dash-layout",
            "404 404 404 404 404 404 404 403",
            NO_DATA,
        ),
    ],
    "models_admin": [get("/models/", "403 403 403 403 403 403 200 302", NO_DATA)],
    "model_activate": [post("/models/activate/", "403 403 403 403 403 403 302 302", NO_DATA)],
    "api_tokens": [get("/tokens/", "200 200 200 200 200 200 200 302", NO_DATA)],
    # The writes come last: they change the world the reads above walk.
    "event_review": [
        post(SESSION + "events/{event}/review", "404 302 302 404 404 404 404 302", DATA, body="review")
    ],
    "gesture_reference_mark": [
        post(SESSION + "events/{event}/reference", "404 404 404 404 404 404 404 302", DATA)
    ],
    "coded_event_add": [
        post(SESSION + "coded-events", "404 302 302 404 404 404 404 302", DATA, body="coded_event")
    ],
    "coded_event_delete": [
        post(SESSION + "coded-events/{coded}/remove", "404 302 302 404 404 404 404 302", DATA)
    ],
    "patient_choose": [post(SESSION + "patient-choice", "404 302 302 404 404 404 404 302", DATA)],
    "gaze_calibration_mark": [post(SESSION + "gaze-calibration", "404 302 302 404 404 404 404 302", DATA)],
    "session_reanalyse": [post(SESSION + "reanalyse", "404 302 302 404 404 404 404 302", DATA)],
    "task_mark": [post(TASKS + "tasks", "404 302 302 404 404 404 404 302", DATA, body="task_mark")],
    "task_accept": [post(TASKS + "tasks/{segment}/accept", "404 302 302 404 404 404 404 302", DATA)],
    "task_correct": [
        post(TASKS + "tasks/{segment}/correct", "404 302 302 404 404 404 404 302", DATA, body="task_correct")
    ],
    "task_delete": [post(TASKS + "tasks/{segment}/delete", "404 302 302 404 404 404 404 302", DATA)],
    "upload:chunk": [post("/upload/api/{upload}/chunk/", "400 404 404 404 404 404 404 401", DATA)],
    "upload:complete": [post("/upload/api/{upload}/complete/", "409 404 404 404 404 404 404 401", DATA)],
    "upload:abandon": [post("/upload/api/{upload}/abandon/", "200 404 404 404 404 404 404 401", NO_DATA)],
    "api_token_revoke": [post("/tokens/{token}/revoke/", "404 302 404 404 404 404 404 302", NO_DATA)],
    "erasure_confirm": [post("/erasures/{erasure}/confirm/", "403 403 403 403 403 403 302 302", DATA)],
}
