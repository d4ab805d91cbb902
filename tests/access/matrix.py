"""The objects and addresses of the access matrix: the world every URL pattern is filled from (two
care teams, patients, a session with its video, tracks, events, consents, a study and its
enrolment, uploads, tokens, erasure requests), the roles that walk it, and the site's URL
patterns as Django's resolver lists them."""

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from accounts.roles import Role
from accounts.tokens import api_token_create
from analysis.tracks import Tracks
from audit.models import AccessEvent
from audit.services import access_record
from patients.models import ErasureRequest, IdentityCorrection, StudyEnrolment
from patients.study_view import study_session_key
from recordings.models import ChunkedUpload, EthogramLabel, Protocol, ProtocolTask
from results.models import (
    AnalysisJob,
    CodedEvent,
    EventReview,
    EyeContactEpisode,
    GestureReference,
    ModelVersion,
    SpeechSegment,
    TaskSegment,
)
from tests import factories

# uploader and clinician of the memory clinic, a colleague (clinician of the same team), an
# outsider (clinician of another team), a statistician in the study and one outside it, the
# administrator (a superuser, as on the demo site) and an anonymous visitor.
ROLES = ("uploader", "clinician", "colleague", "outsider", "statistician", "stat_out", "admin", "anonymous")
VIDEO_BYTES = bytes(range(256)) * 40  # what the session's stored "video" holds (10 240 bytes)


@dataclass
class Objects:
    world: Any
    users: dict
    values: dict
    api_keys: dict = field(default_factory=dict)


def _tracks() -> Tracks:
    tracks = Tracks.empty(3)
    tracks.time_s[:] = [0.0, 0.1, 0.2]
    tracks.frame[:] = [0, 1, 2]
    tracks.person_id[:] = 0
    tracks.is_patient[:] = True
    tracks.pose_xy[0] = 50.0
    tracks.pose_visibility[0] = 0.9
    return tracks


def _analysed_session(world) -> AnalysisJob:
    with tempfile.TemporaryDirectory() as scratch:
        video = Path(scratch) / "visit.mp4"
        video.write_bytes(VIDEO_BYTES)
        return factories.make_analysed_session(
            world.patient,
            by=world.clinician,
            windows={"apathy.neutral_share": [0.5, 0.6, 0.7]},
            session_values={"stereotypy.episodes_per_min": 1.5},
            events=[("body_rocking", 3.0, 11.0)],
            tracks=_tracks(),
            video=video,
        )


def make_objects(world) -> Objects:
    """Every object a URL pattern names, one of each, for the memory-clinic patient."""
    job = _analysed_session(world)
    session, recording, event = job.recording.session, job.recording, job.events.get()
    queued_job = AnalysisJob.objects.create(recording=recording, pipeline_version="1.0.1", stage="waiting")
    world.admin.is_superuser = True
    world.admin.save()
    stat_out = factories.make_user("stat_out", Role.STATISTICIAN)
    upload = ChunkedUpload.objects.create(
        session=session,
        uploaded_by=world.uploader,
        original_filename="video.mp4",
        total_size_bytes=1000,
        expected_sha256="a" * 64,
    )
    token, _ = api_token_create(user=world.clinician, name="matrix")
    enrolment = StudyEnrolment.objects.get(study=world.study, patient=world.patient)
    label = EthogramLabel.objects.create(protocol=session.protocol, code="rock", name="Body rocking", key="r")
    coded = CodedEvent.objects.create(
        session=session, job=job, label=label.code, start_s=1.0, end_s=2.0, coded_by=world.clinician
    )
    # A session of a semi-guided protocol beside it, for the task pages.
    guided = factories.make_protocol("daily-tasks", Protocol.Kind.SEMI_GUIDED_TASKS)
    task_session = factories.make_session(world.patient, by=world.clinician, protocol=guided)
    factories.make_recording(
        task_session, by=world.clinician, duration_s=60.0, file_name="recordings/tasks.mp4"
    )
    tasks = [
        ProtocolTask.objects.create(
            protocol=guided,
            position=position,
            code=code,
            name=code.replace("_", " "),
            expected_max_duration_s=60,
        )
        for position, code in enumerate(("pill_box", "phone_call"), start=1)
    ]
    segment = TaskSegment.objects.create(
        session=task_session,
        task_code=tasks[0].code,
        start_s=1.0,
        end_s=5.0,
        source="automatic",
        confidence=0.9,
    )
    review = EventReview.objects.create(event=event, reviewer=world.clinician, decision="confirm")
    reference = GestureReference.objects.create(
        protocol=session.protocol,
        gesture="wave",
        source_job=job,
        trajectory=[[0.1, 0.2]],
        created_by=world.clinician,
    )
    correction = IdentityCorrection.objects.create(
        identity=world.patient.identity,
        changes={"full_name": ["Jeane Martin", "Jeanne Martin"]},
        reason="misspelled",
        corrected_by=world.clinician,
    )
    erasure = ErasureRequest.objects.create(
        patient=world.other_patient, pseudonym=world.other_patient.code, requested_by=world.outsider
    )
    model_version = ModelVersion.objects.order_by("pk").first() or ModelVersion.objects.create(
        name="mediapipe-pose-full", version="0.10.14", kind=ModelVersion.Kind.POSE
    )
    attempt = {
        "user_agent": "browser",
        "ip_address": "127.0.0.1",
        "username": "clinician",
        "http_accept": "*/*",
    }
    attempt |= {"path_info": "/login/", "attempt_time": timezone.now()}
    logs = {
        "attempt": AccessAttempt.objects.create(
            **attempt, get_data="", post_data="", failures_since_start=1
        ).pk,
        "access_log": AccessLog.objects.create(**attempt).pk,
        "failure_log": AccessFailureLog.objects.create(**attempt).pk,
    }
    access_record(
        user=world.clinician, action=AccessEvent.Action.VIEW, object_type="patient", patient=world.patient
    )
    users = {role: getattr(world, role, None) for role in ROLES}
    users["stat_out"], users["anonymous"] = stat_out, None
    values = {
        "code": world.patient.code,
        "patient_pk": world.patient.pk,
        "session": session.pk,
        "recording": recording.pk,
        "job": job.pk,
        "queued_job": queued_job.pk,
        "event": event.pk,
        "review": review.pk,
        "coded": coded.pk,
        "reference": reference.pk,
        "label": label.pk,
        "task": tasks[0].pk,
        "segment": segment.pk,
        "speech": SpeechSegment.objects.create(
            job=job,
            patient=world.patient,
            session=job.recording.session,
            start_s=1.0,
            end_s=2.5,
            speaker="patient",
            confidence=0.6,
            speech_probability=0.9,
        ).pk,
        "eye_contact": EyeContactEpisode.objects.create(
            job=job,
            patient=world.patient,
            session=job.recording.session,
            kind="eye_contact",
            start_s=1.0,
            end_s=2.0,
        ).pk,
        "task_session": task_session.pk,
        "protocol": session.protocol.pk,
        "study": world.study.pk,
        "team": world.memory_clinic.pk,
        "upload": upload.pk,
        "token": token.pk,
        "consent": world.patient.consents.order_by("pk").first().pk,
        "identity": world.patient.identity.pk,
        "correction": correction.pk,
        "enrolment": enrolment.pk,
        "erasure": erasure.pk,
        "model_version": model_version.pk,
        "sample": job.metric_samples.order_by("pk").first().pk,
        "user": world.clinician.pk,
        "group": world.clinician.groups.first().pk,
        "session_type": ContentType.objects.get(app_label="recordings", model="clinicalsession").pk,
        "session_key": study_session_key(enrolment=enrolment, session_id=session.pk),
        "today": timezone.localdate().isoformat(),
        "access_event": AccessEvent.objects.order_by("-pk").values_list("pk", flat=True).first(),
        **logs,
    }
    api_keys = {
        role: api_token_create(user=user, name="matrix walk")[1]
        for role, user in users.items()
        if user is not None
    }
    return Objects(world=world, users=users, values=values, api_keys=api_keys)


def url_patterns() -> list[str]:
    """The view name (namespace:name) of every URL pattern of the site, admin included; the
    route for the few patterns without a name."""

    def walk(patterns, namespace="", prefix=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                yield from walk(pattern.url_patterns, inner, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                yield f"{namespace}{pattern.name}" if pattern.name else prefix + str(pattern.pattern)

    return sorted(set(walk(get_resolver().url_patterns)))


def admin_models() -> list:
    return list(admin.site._registry)
