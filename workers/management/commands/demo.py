"""`python manage.py demo`: a demo site built through the real code paths (idempotent).

Users for every role, a care team with three patients (identities, versioned consent), a study
with enrolments, the five protocol kinds, sessions over several months, and recordings made from
generated videos, stored through recording_create_from_file and analysed through
analysis_job_create (in-process on the embedded default). Running it again changes nothing that
exists and only completes what is missing.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.utils import timezone

from accounts.models import CareTeam, Study
from accounts.roles import Role
from accounts.services import care_team_create, roles_ensure, study_create, user_create
from analysis.synthetic_video import make_person_video
from analysis.tasks.demo_video import make_task_demo_video
from care.withdrawal import consent_withdraw
from patients.models import ConsentScope, Patient, PatientIdentity
from patients.selectors import consent_active_scopes
from patients.services import consent_record, patient_create, study_enrol
from recordings.models import ClinicalSession, Protocol, ProtocolTask, Recording
from recordings.services import recording_create_from_file, session_create
from results.jobs import analysis_job_create
from results.models import AnalysisJob, ModelVersion
from results.task_models import TASK_MODEL_NAME
from results.task_training import task_model_train_synthetic
from workers.dispatch import local_analyses_wait

# A documented password for the local demo only; set DEMO_PASSWORD to choose another.
DEFAULT_DEMO_PASSWORD = "demo-platform-2026"  # noqa: S105
CARE_TEAM_NAME = "Demo memory clinic"
# The demo's videos: short and small, so that `manage.py demo` analyses them in about a minute
# (the semi-guided visit's rendered video in about a minute more).
DEMO_VIDEO = {
    "duration_s": 8.0,
    "fps": 15.0,
    "size": (320, 240),
    "amplitude_px": 20.0,
    "photo_height_fraction": 0.85,
}
# The semi-guided visit's video: a drawn person doing the five tasks (about 80 s), so that the
# task model trained on the synthetic set has something to propose (analysis.tasks.demo_video).
TASK_VIDEO = {"rendered": "semi-guided tasks"}
STUDY_CODE = "demo-apathy"

USERS = (
    ("demo-admin", Role.ADMIN, "Ada", "Admin"),
    ("demo-clinician", Role.CLINICIAN, "Claire", "Dubois"),
    ("demo-uploader", Role.UPLOADER, "Hugo", "Lefèvre"),
    ("demo-statistician", Role.STATISTICIAN, "Sofia", "Moreau"),
)

PROTOCOLS = (
    {
        "code": "apathy-interview",
        "name": "Apathy interview",
        "kind": Protocol.Kind.APATHY_INTERVIEW,
        "description": "Semi-structured interview: a positive and a negative story, then free conversation.",
        "expected_segments": [
            {"name": "positive story", "start_s": 0, "end_s": 120},
            {"name": "negative story", "start_s": 120, "end_s": 240},
        ],
        "gaze_target": {"kind": "camera"},
    },
    {
        "code": "ados-module-2",
        "name": "ADOS module 2",
        "kind": Protocol.Kind.ADOS_MODULE,
        "description": "ADOS-2 module 2 activities; stereotypies and joint attention are scored.",
        "expected_segments": [
            {"name": "construction task"},
            {"name": "joint attention"},
            {"name": "free play"},
        ],
    },
    {
        "code": "praxis-test",
        "name": "Praxis test",
        "kind": Protocol.Kind.PRAXIS_TEST,
        "description": "Imitation of meaningless and meaningful gestures, one after the other.",
        "expected_gestures": ["wave", "salute", "point", "thumbs_up", "comb_hair"],
    },
    {
        "code": "semi-guided-tasks",
        "name": "Semi-guided tasks",
        "kind": Protocol.Kind.SEMI_GUIDED_TASKS,
        "description": "Five daily-living tasks in a furnished room, asked in order; the clinician "
        "marks when each is done.",
        "tasks": [
            ("pill_box", "Prepare a pill box", "Fill the week's pill box from the prescription.", 240),
            ("phone_call", "Make a phone call", "Call the number on the card and ask for the time.", 120),
            ("water_plant", "Water a plant", "Fill the watering can and water the plant.", 90),
            ("read_article", "Read an article", "Read the short article and say what it is about.", 180),
            ("hot_drink", "Prepare a hot drink", "Make a cup of tea or coffee.", 300),
        ],
    },
    {
        "code": "free-play",
        "name": "Free play",
        "kind": Protocol.Kind.FREE_PLAY,
        "description": "Unstructured play with toys; agitation and stereotypies are observed.",
    },
)


@dataclass(frozen=True)
class DemoPatient:
    hospital_number: str
    full_name: str
    date_of_birth: date
    scopes: tuple[str, ...]
    withdrawn: tuple[str, ...] = ()
    enrolled: bool = False
    # (days before today, protocol code, notes, video spec or None)
    sessions: tuple[tuple[int, str, str, dict | None], ...] = field(default_factory=tuple)


PATIENTS = (
    DemoPatient(
        hospital_number="DEMO-0001",
        full_name="Jeanne Martin",
        date_of_birth=date(1946, 5, 12),
        scopes=tuple(ConsentScope.values),
        enrolled=True,
        sessions=(
            (150, "apathy-interview", "Baseline interview.", {"motion": "still"}),
            (90, "praxis-test", "Praxis assessment.", None),
            (
                30,
                "apathy-interview",
                "Follow-up at 4 months; more head movement.",
                {"motion": "nod", "motion_hz": 0.8},
            ),
        ),
    ),
    DemoPatient(
        hospital_number="DEMO-0002",
        full_name="Lucas Bernard",
        date_of_birth=date(2019, 9, 3),
        scopes=(ConsentScope.STORE_VIDEO, ConsentScope.ANALYSE, ConsentScope.RESEARCH_EXPORT),
        enrolled=True,
        sessions=(
            (120, "free-play", "Free play with the parent present.", None),
            (
                14,
                "ados-module-2",
                "Body rocking observed mid-session.",
                {"motion": "rock", "motion_hz": 1.2, "motion_start_s": 2.0, "motion_end_s": 8.0},
            ),
        ),
    ),
    DemoPatient(
        hospital_number="DEMO-0003",
        full_name="Marcel Petit",
        date_of_birth=date(1939, 1, 27),
        scopes=(ConsentScope.STORE_VIDEO, ConsentScope.ANALYSE, ConsentScope.MODEL_TRAINING),
        withdrawn=(ConsentScope.MODEL_TRAINING,),
        sessions=(
            (
                60,
                "semi-guided-tasks",
                "Five daily-living tasks (demo video: a drawn person doing the five tasks).",
                TASK_VIDEO,
            ),
            (7, "praxis-test", "Short praxis screening.", {"motion": "still", "duration_s": 6.0}),
        ),
    ),
)


def protocols_ensure() -> None:
    """The demo's protocols and their task lists, created once (also used by deploy/smoke_setup.py)."""
    for spec in PROTOCOLS:
        protocol, _ = Protocol.objects.get_or_create(
            code=spec["code"], defaults={k: v for k, v in spec.items() if k not in ("code", "tasks")}
        )
        for position, (code, name, instructions, max_s) in enumerate(spec.get("tasks", ()), start=1):
            ProtocolTask.objects.get_or_create(
                protocol=protocol,
                code=code,
                defaults={
                    "position": position,
                    "name": name,
                    "instructions": instructions,
                    "expected_max_duration_s": max_s,
                },
            )


class Command(BaseCommand):
    help = "Create (or complete) the demo site: users for every role, patients, consent, sessions, analysed videos."

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-analysis", action="store_true", help="Store the demo videos but do not analyse them."
        )

    def handle(self, *args, no_analysis: bool = False, **options):
        password = os.environ.get("DEMO_PASSWORD") or DEFAULT_DEMO_PASSWORD
        roles_ensure()
        team = CareTeam.objects.filter(name=CARE_TEAM_NAME).first() or care_team_create(name=CARE_TEAM_NAME)
        study = Study.objects.filter(code=STUDY_CODE).first() or study_create(
            code=STUDY_CODE, title="Apathy and facial expressivity in older adults (demo)"
        )
        users = {
            role: self._user(username, role, first, last, password=password, team=team, study=study)
            for username, role, first, last in USERS
        }
        protocols_ensure()
        clinician, uploader = users[Role.CLINICIAN], users[Role.UPLOADER]
        recordings: list[Recording] = []
        with tempfile.TemporaryDirectory(prefix="demo-videos-") as tmp:
            for spec in PATIENTS:
                patient = self._patient(spec, team, study, clinician)
                recordings += self._sessions(spec, patient, clinician, uploader, Path(tmp))
        if no_analysis:
            self.stdout.write(
                "Analysis skipped (--no-analysis); the demo videos are stored but not analysed."
            )
        else:
            if not ModelVersion.objects.filter(name=TASK_MODEL_NAME).exists():
                # Labelled by its version and metrics as trained on synthetic data, not patients.
                task_model_train_synthetic(version="synthetic-demo")
            self._analyse(recordings, clinician)
        self._print_logins(password)

    def _user(self, username, role, first, last, *, password, team, study):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            user = user_create(
                username=username,
                password=password,
                roles=[role],
                care_teams=[team] if role in (Role.CLINICIAN, Role.UPLOADER) else [],
                studies=[study] if role == Role.STATISTICIAN else [],
                email=f"{username}@demo.invalid",
                first_name=first,
                last_name=last,
            )
        else:
            user.set_password(password)
            user.save(update_fields=["password"])
        if role == Role.ADMIN and not user.is_superuser:
            # The demo administrator manages every model in the Django admin; patient data stays
            # narrowed by accounts.permissions there too.
            user.is_staff = user.is_superuser = True
            user.save(update_fields=["is_staff", "is_superuser"])
        return user

    def _patient(self, spec: DemoPatient, team, study, clinician) -> Patient:
        identity = (
            PatientIdentity.objects.filter(hospital_number=spec.hospital_number)
            .select_related("patient")
            .first()
        )
        if identity is not None:
            patient = identity.patient
        else:
            patient = patient_create(
                care_team=team,
                full_name=spec.full_name,
                date_of_birth=spec.date_of_birth,
                hospital_number=spec.hospital_number,
                by=clinician,
            )
            consent_record(
                patient=patient,
                scopes=spec.scopes,
                by=clinician,
                note="Signed at the first visit (demo).",
                given_at=timezone.now() - timedelta(days=200),
            )
            for scope in spec.withdrawn:
                consent_withdraw(
                    patient=patient, scope=scope, by=clinician, note="Changed their mind (demo)."
                )
            self.stdout.write(f"Patient {patient.code} created ({spec.hospital_number}).")
        if spec.enrolled:
            study_enrol(patient=patient, study=study, by=clinician)
        return patient

    def _sessions(
        self, spec: DemoPatient, patient: Patient, clinician, uploader, tmp: Path
    ) -> list[Recording]:
        recordings = []
        today = timezone.localdate()
        for days_ago, protocol_code, notes, video in spec.sessions:
            session_date = today - timedelta(days=days_ago)
            protocol = Protocol.objects.get(code=protocol_code)
            session = ClinicalSession.objects.filter(
                patient=patient, protocol=protocol, session_date=session_date
            ).first()
            if session is None:
                session = session_create(
                    patient=patient,
                    protocol=protocol,
                    session_date=session_date,
                    clinician=clinician,
                    notes=notes,
                    by=uploader,
                )
            if video is None:
                continue
            stored = session.recordings.filter(status=Recording.Status.STORED).first()
            if stored is None:
                if ConsentScope.STORE_VIDEO not in consent_active_scopes(patient=patient):
                    continue
                name = f"{protocol_code}-{session_date:%Y%m%d}.mp4"
                if video == TASK_VIDEO:
                    path, _ = make_task_demo_video(tmp / name)
                else:
                    path = make_person_video(tmp / name, **{**DEMO_VIDEO, **video})
                stored = recording_create_from_file(
                    session=session,
                    file_path=path,
                    original_filename=name,
                    sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
                    uploaded_by=uploader,
                )
                self.stdout.write(f"Recording {name} stored for {patient.code} ({stored.duration_s:.0f} s).")
            recordings.append(stored)
        return recordings

    def _analyse(self, recordings: list[Recording], clinician) -> None:
        mode = "in this process" if settings.CELERY_TASK_ALWAYS_EAGER else "on the Celery workers"
        for recording in recordings:
            if recording.jobs.filter(status=AnalysisJob.Status.SUCCEEDED).exists():
                continue
            self.stdout.write(f"Analysing {recording.original_filename} {mode}...")
            job = analysis_job_create(recording=recording, requested_by=clinician)
            if settings.CELERY_TASK_ALWAYS_EAGER:
                local_analyses_wait()
            job.refresh_from_db()
            outcome = job.get_status_display()
            if job.status == AnalysisJob.Status.SUCCEEDED:
                outcome += (
                    f": {job.metric_samples.count()} metric samples, {job.events.count()} behaviour events"
                )
            elif job.error:
                outcome += f": {job.error}"
            self.stdout.write(f"  {outcome}.")

    def _print_logins(self, password: str) -> None:
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS("Demo logins (local demo only):"))
        for username, role, _first, _last in USERS:
            self.stdout.write(f"  {role.value:<13} {username:<19} password: {password}")
