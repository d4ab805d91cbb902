"""Output and input shapes of the API. No logic here: services and selectors do the work."""

from rest_framework import serializers

from accounts.models import Study
from accounts.permissions import Action, patients_for
from patients.models import Patient, PatientIdentity
from recordings.models import ChunkedUpload, ClinicalSession, Recording
from results.models import AnalysisJob, BehaviourEvent, EventReview, MetricSample


class PatientSerializer(serializers.ModelSerializer):
    care_team = serializers.CharField(source="care_team.name")

    class Meta:
        model = Patient
        fields = ["code", "care_team", "created_at"]


class PatientIdentitySerializer(serializers.ModelSerializer):
    patient = serializers.CharField(source="patient.code")

    class Meta:
        model = PatientIdentity
        fields = ["patient", "full_name", "date_of_birth", "hospital_number"]


class ClinicalSessionSerializer(serializers.ModelSerializer):
    """The notes are the care team's free text: null for anyone without VIEW_NOTES."""

    patient = serializers.CharField(source="patient.code")
    protocol = serializers.CharField(source="protocol.code")

    class Meta:
        model = ClinicalSession
        fields = ["id", "patient", "protocol", "session_date", "notes", "created_at"]

    def to_representation(self, instance: ClinicalSession) -> dict:
        data = super().to_representation(instance)
        if instance.patient_id not in self._patients_with_notes():
            data["notes"] = None
        return data

    def _patients_with_notes(self) -> set[int]:
        """Asked once per response (the rows of a list share their root serializer's context)."""
        context = self.context
        if "patients_with_notes" not in context:
            request = context.get("request")
            user = request.user if request is not None else None
            context["patients_with_notes"] = set(
                patients_for(user, Action.VIEW_NOTES).values_list("pk", flat=True)
            )
        return context["patients_with_notes"]


class ClinicalSessionInputSerializer(serializers.Serializer):
    patient = serializers.CharField(max_length=12)
    protocol = serializers.SlugField(max_length=40)
    session_date = serializers.DateField()
    notes = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


class RecordingSerializer(serializers.ModelSerializer):
    session = serializers.IntegerField(source="session_id")

    class Meta:
        model = Recording
        fields = [
            "id",
            "session",
            "original_filename",
            "sha256",
            "size_bytes",
            "codec",
            "fps",
            "duration_s",
            "width",
            "height",
            "rotation_deg",
            "status",
            "created_at",
        ]


class UploadSerializer(serializers.ModelSerializer):
    session = serializers.IntegerField(source="session_id")
    recording = serializers.IntegerField(source="recording_id", allow_null=True)

    class Meta:
        model = ChunkedUpload
        fields = [
            "id",
            "session",
            "original_filename",
            "total_size_bytes",
            "expected_sha256",
            "received_bytes",
            "status",
            "error",
            "recording",
            "created_at",
        ]


class UploadStartSerializer(serializers.Serializer):
    session = serializers.IntegerField(min_value=1)
    filename = serializers.CharField(max_length=255)
    size_bytes = serializers.IntegerField(min_value=1)
    sha256 = serializers.RegexField(r"^[0-9a-fA-F]{64}$")
    confirm_other_patient = serializers.BooleanField(
        default=False,
        help_text="Upload anyway when the same file is already stored for another patient.",
    )


class AnalysisJobSerializer(serializers.ModelSerializer):
    recording = serializers.IntegerField(source="recording_id")
    session = serializers.IntegerField(source="recording.session_id")

    class Meta:
        model = AnalysisJob
        fields = [
            "id",
            "recording",
            "session",
            "status",
            "stage",
            "progress",
            "queue",
            "pipeline_version",
            "model_versions",
            "result_status",
            "error",
            "attempts",
            "created_at",
            "started_at",
            "finished_at",
        ]


class MetricSampleSerializer(serializers.ModelSerializer):
    patient = serializers.CharField(source="patient.code")
    session = serializers.IntegerField(source="session_id")

    class Meta:
        model = MetricSample
        fields = [
            "id",
            "patient",
            "session",
            "session_date",
            "metric",
            "value",
            "unit",
            "window_start_s",
            "window_end_s",
            "is_session_level",
            "pipeline_version",
        ]


class EventReviewSerializer(serializers.ModelSerializer):
    reviewer = serializers.CharField(source="reviewer.username")

    class Meta:
        model = EventReview
        fields = [
            "id",
            "event",
            "reviewer",
            "decision",
            "corrected_kind",
            "corrected_start_s",
            "corrected_end_s",
            "note",
            "created_at",
        ]


class EventReviewInputSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=EventReview.Decision.choices)
    corrected_kind = serializers.ChoiceField(
        choices=BehaviourEvent.Kind.choices, required=False, allow_blank=True
    )
    corrected_start_s = serializers.FloatField(required=False, allow_null=True, min_value=0)
    corrected_end_s = serializers.FloatField(required=False, allow_null=True, min_value=0)
    note = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


class BehaviourEventSerializer(serializers.ModelSerializer):
    patient = serializers.CharField(source="patient.code")
    session = serializers.IntegerField(source="session_id")
    reviews = EventReviewSerializer(many=True, read_only=True)

    class Meta:
        model = BehaviourEvent
        fields = [
            "id",
            "patient",
            "session",
            "kind",
            "body_part",
            "start_s",
            "end_s",
            "frequency_hz",
            "confidence",
            "attributes",
            "pipeline_version",
            "reviews",
        ]


class StudySerializer(serializers.ModelSerializer):
    class Meta:
        model = Study
        fields = ["id", "code", "title"]
