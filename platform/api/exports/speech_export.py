"""A study's speech segments: one row per stretch of speech the analysis heard on a recording's
audio track, with who spoke (the patient, the other person, or unknown) and the attribution's
confidence, under the session keys and covariates of every study table (study pseudonym, study
session key, shifted date). Segments of the current analysis of each recording only (as the
events table), of consenting patients; same writers as the metrics, events and tasks tables."""

from collections import defaultdict
from collections.abc import Iterator

from accounts.models import Study
from api.exports.events_export import current_jobs
from api.exports.export_columns import Column, session_columns
from api.exports.study_export import Table
from api.exports.study_scope import ExportRequest, consenting_patients, rows_per_patient, session_keys
from results.models import SpeechSegment


def speech_columns(study: Study) -> list[Column]:
    return [
        *session_columns(study),
        Column("segment_number", "integer", "Number of the speech segment within the export.", minimum=1),
        Column("start_s", "number", "Start of the speech, from the start of the recording.", "s", minimum=0),
        Column("end_s", "number", "End of the speech, from the start of the recording.", "s", minimum=0),
        Column("duration_s", "number", "End minus start.", "s", minimum=0),
        Column(
            "speaker",
            "string",
            "Who spoke, from the mouth movement that goes with the sound: the patient, the other "
            "person in view, or unknown (no face visible, or evidence below the threshold).",
            enum=("patient", "other", "unknown"),
        ),
        Column(
            "confidence",
            "number",
            "The speaker attribution's confidence (the winning mouth's correlation margin over the "
            "threshold); 0 for an unknown speaker.",
            minimum=0,
            maximum=1,
        ),
        Column(
            "speech_probability",
            "number",
            "The voice-activity model's mean speech probability over the segment.",
            minimum=0,
            maximum=1,
        ),
        Column("pipeline_version", "string", "Version of the analysis pipeline that heard the speech."),
    ]


def speech_table(request: ExportRequest) -> Table:
    segments = SpeechSegment.objects.filter(
        patient__in=consenting_patients(request.study).values("pk"), job__in=current_jobs(request)
    )
    by_session: dict[int, list[SpeechSegment]] = defaultdict(list)
    for segment in segments.select_related("job").order_by("start_s", "pk"):
        by_session[segment.session_id].append(segment)
    keys = session_keys(request, set(by_session))
    counts = rows_per_patient(keys, {pk: len(rows) for pk, rows in by_session.items()})

    def rows() -> Iterator[tuple]:
        number = 0
        for key in keys:
            for segment in by_session[key.session_pk]:
                number += 1
                yield (
                    request.study.code,
                    *key.columns(),
                    number,
                    segment.start_s,
                    segment.end_s,
                    segment.end_s - segment.start_s,
                    segment.speaker,
                    segment.confidence,
                    segment.speech_probability,
                    segment.job.pipeline_version,
                )

    return Table(speech_columns(request.study), "", [], counts, {}, rows=rows if keys else None)
