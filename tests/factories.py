"""Test data built with the ORM: personas in the style of healthchecks' alice/bob/charlie.

- clinician and colleague: clinicians of care team "Memory clinic" (patient `patient`)
- outsider: a clinician of another care team ("Child psychiatry", patient `other_patient`)
- uploader: hospital staff of the memory clinic
- statistician: member of study "apathy-2026", in which `patient` is enrolled
- admin: platform administrator, in no care team
"""

import hashlib
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files import File
from django.utils import timezone

from accounts.models import CareTeam, Study
from accounts.roles import ALL_ROLES, Role
from analysis.tracks import Tracks, write_parquet
from patients.models import Consent, ConsentScope, Patient, PatientIdentity, StudyEnrolment
from recordings.models import ClinicalSession, Protocol, Recording
from results.models import AnalysisJob, BehaviourEvent, MetricSample

PASSWORD = "correct-horse-battery-staple"


def make_user(username: str, *roles: Role, care_teams=(), studies=()):
    for role in ALL_ROLES:
        Group.objects.get_or_create(name=role.value)
    user = get_user_model().objects.create_user(
        username=username, password=PASSWORD, is_staff=Role.ADMIN in roles, email=f"{username}@example.org"
    )
    user.groups.set(Group.objects.filter(name__in=[r.value for r in roles]))
    for team in care_teams:
        team.members.add(user)
    for study in studies:
        study.members.add(user)
    return user


def make_patient(
    care_team: CareTeam, *, name: str, hospital_number: str, scopes=tuple(ConsentScope), by=None
):
    patient = Patient.objects.create(care_team=care_team)
    PatientIdentity.objects.create(
        patient=patient, full_name=name, date_of_birth=date(1948, 3, 14), hospital_number=hospital_number
    )
    for version, scope in enumerate(scopes, start=1):
        Consent.objects.create(
            patient=patient, scope=scope, version=version, given_at=timezone.now(), recorded_by=by
        )
    return patient


def make_protocol(code: str = "apathy-interview", kind: str = Protocol.Kind.APATHY_INTERVIEW) -> Protocol:
    protocol, _ = Protocol.objects.get_or_create(
        code=code, defaults={"name": code.replace("-", " "), "kind": kind}
    )
    return protocol


def make_session(patient: Patient, *, by, protocol: Protocol | None = None, on: date | None = None):
    return ClinicalSession.objects.create(
        patient=patient,
        protocol=protocol or make_protocol(),
        session_date=on or date(2026, 11, 2),
        clinician=by,
        created_by=by,
    )


# Units of the metrics the tests use most (any other metric is a share).
UNITS = {
    "apathy.neutral_share": "share",
    "apathy.facial_motion_energy": "IOD/s",
    "stereotypy.episodes_per_min": "per_min",
    "stereotypy.agitation_index": "SW/s",
    "attention.gaze_on_target_share": "share",
    "attention.gaze_shifts_per_min": "per_min",
    "praxis.score_mean": "score",
}


def make_recording(
    session: ClinicalSession,
    *,
    by,
    video: Path | None = None,
    duration_s: float = 60.0,
    fps: float = 25.0,
    size_px: tuple[int, int] = (320, 240),
    file_name: str = "",
) -> Recording:
    """A stored recording; with video, the file is saved through Django storage; file_name names
    a file that is not there (for code that only looks at the name)."""
    recording = Recording(
        session=session,
        original_filename="visit.mp4",
        sha256=hashlib.sha256(f"{session.pk}-{timezone.now().isoformat()}".encode()).hexdigest(),
        size_bytes=video.stat().st_size if video else 1,
        codec="h264",
        fps=fps,
        duration_s=duration_s,
        width=size_px[0],
        height=size_px[1],
        uploaded_by=by,
    )
    if video is not None:
        with video.open("rb") as handle:
            recording.file.save("visit.video", File(handle), save=False)
        recording.sha256 = hashlib.sha256(video.read_bytes()).hexdigest()
    elif file_name:
        recording.file.name = file_name
    recording.save()
    return recording


# Where a standing person's main body keypoints sit in their box (fractions of width, height).
STICK_FIGURE = {
    0: (0.5, 0.08), 11: (0.3, 0.25), 12: (0.7, 0.25), 13: (0.2, 0.42), 14: (0.8, 0.42), 15: (0.15, 0.58),
    16: (0.85, 0.58), 23: (0.38, 0.6), 24: (0.62, 0.6), 25: (0.38, 0.8), 26: (0.62, 0.8), 27: (0.38, 0.98),
    28: (0.62, 0.98),
}  # fmt: skip


def make_people_tracks(
    boxes_xywh: Sequence[tuple[float, float, float, float]],
    *,
    patient: int = 0,
    duration_s: float,
    fps: float,
) -> Tracks:
    """Tracks of still people (person i in boxes_xywh[i], px), one row per person and frame, with
    a stick figure of body keypoints; person `patient` is the one analysed as the patient."""
    times = np.arange(0.0, duration_s, 1.0 / fps)
    tracks = Tracks.empty(len(times) * len(boxes_xywh))
    for row, (i, time_s) in enumerate((i, t) for t in times for i in range(len(boxes_xywh))):
        x, y, w, h = boxes_xywh[i]
        tracks.frame[row], tracks.time_s[row] = round(time_s * fps), time_s
        tracks.person_id[row], tracks.is_patient[row] = i, i == patient
        tracks.bbox_xywh[row] = (x, y, w, h)
        for point, (fx, fy) in STICK_FIGURE.items():
            tracks.pose_xy[row, point] = (x + fx * w, y + fy * h)
            tracks.pose_visibility[row, point] = 0.95
    return tracks


def make_analysed_session(
    patient: Patient,
    *,
    by,
    on: date | None = None,
    session: ClinicalSession | None = None,
    protocol: Protocol | None = None,
    windows: Mapping[str, Sequence[float | None]] | None = None,
    session_values: Mapping[str, float | None] | None = None,
    units: Mapping[str, str] | None = None,
    events: Sequence[tuple[str, float, float]] = (),
    event_fields: Mapping[str, Any] | None = None,
    pipeline_version: str = "1.0.0",
    model_versions: Sequence[Mapping[str, str]] = (),
    tracks: Tracks | None = None,
    video: Path | None = None,
    recording_fields: Mapping[str, Any] | None = None,
    window_s: float = 10.0,
) -> AnalysisJob:
    """An analysed session, built with the ORM: a session (or a new analysis of `session`), its
    stored recording, one finished job and its results. Returns the job.

    windows maps a metric key to its values over consecutive windows of window_s seconds;
    session_values adds whole-session samples (units: UNITS, then `units`); events are (kind,
    start_s, end_s) with event_fields for the other columns; tracks are stored as the job's
    Parquet through storage. The recording lasts as long as the tracks, else as the windows, else
    30 s; recording_fields go to make_recording.
    """
    session = session or make_session(patient, by=by, protocol=protocol or make_protocol(), on=on)
    if tracks is not None:
        duration_s = float(tracks.time_s[-1]) + 0.1 if len(tracks) else 30.0
    elif windows is not None:
        duration_s = max(max((len(values) for values in windows.values()), default=1) * window_s, 1.0)
    else:
        duration_s = 30.0
    windows = windows or {}
    recording = session.recordings.filter(status=Recording.Status.STORED).first() or make_recording(
        session, by=by, video=video, duration_s=duration_s, **(recording_fields or {})
    )
    now = timezone.now()
    job = AnalysisJob.objects.create(
        recording=recording,
        status=AnalysisJob.Status.SUCCEEDED,
        stage="finished",
        progress=100,
        pipeline_version=pipeline_version,
        model_versions=[dict(m) for m in model_versions],
        result_status="ok",
        started_at=now,
        finished_at=now,
    )
    units = {**UNITS, **(units or {})}
    common = {"job": job, "patient": patient, "session": session, "pipeline_version": pipeline_version}
    samples = [
        MetricSample(
            **common,
            session_date=session.session_date,
            metric=metric,
            value=value,
            unit=units.get(metric, "share"),
            window_start_s=i * window_s,
            window_end_s=(i + 1) * window_s,
        )
        for metric, values in windows.items()
        for i, value in enumerate(values)
    ]
    samples += [
        MetricSample(
            **common,
            session_date=session.session_date,
            metric=metric,
            value=value,
            unit=units.get(metric, "share"),
            window_start_s=0,
            window_end_s=recording.duration_s,
            is_session_level=True,
        )
        for metric, value in (session_values or {}).items()
    ]
    MetricSample.objects.bulk_create(samples)
    fields = {"body_part": "trunk", "frequency_hz": 1.0, "confidence": 0.8, **(event_fields or {})}
    BehaviourEvent.objects.bulk_create(
        BehaviourEvent(**common, kind=kind, start_s=start_s, end_s=end_s, **fields)
        for kind, start_s, end_s in events
    )
    if tracks is not None:
        with tempfile.TemporaryDirectory() as scratch:
            path = Path(scratch) / "tracks.parquet"
            write_parquet(tracks, path)
            with path.open("rb") as handle:
                job.tracks_file.save(f"job-{job.pk}.parquet", File(handle), save=True)
    return job


@dataclass
class World:
    memory_clinic: CareTeam
    child_psychiatry: CareTeam
    study: Study
    clinician: object
    colleague: object
    outsider: object
    uploader: object
    statistician: object
    admin: object
    patient: Patient
    other_patient: Patient


def make_world() -> World:
    memory_clinic = CareTeam.objects.create(name="Memory clinic")
    child_psychiatry = CareTeam.objects.create(name="Child psychiatry")
    study = Study.objects.create(code="apathy-2026", title="Apathy in older adults 2026")
    clinician = make_user("clinician", Role.CLINICIAN, care_teams=[memory_clinic])
    colleague = make_user("colleague", Role.CLINICIAN, care_teams=[memory_clinic])
    outsider = make_user("outsider", Role.CLINICIAN, care_teams=[child_psychiatry])
    uploader = make_user("uploader", Role.UPLOADER, care_teams=[memory_clinic])
    statistician = make_user("statistician", Role.STATISTICIAN, studies=[study])
    admin = make_user("admin", Role.ADMIN)
    patient = make_patient(memory_clinic, name="Jeanne Martin", hospital_number="H-0001", by=clinician)
    other_patient = make_patient(
        child_psychiatry, name="Lucas Bernard", hospital_number="H-0002", by=outsider
    )
    StudyEnrolment.objects.create(study=study, patient=patient, date_shift_days=-17)
    return World(
        memory_clinic=memory_clinic,
        child_psychiatry=child_psychiatry,
        study=study,
        clinician=clinician,
        colleague=colleague,
        outsider=outsider,
        uploader=uploader,
        statistician=statistician,
        admin=admin,
        patient=patient,
        other_patient=other_patient,
    )
