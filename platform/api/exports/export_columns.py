"""The columns of every study export, described once: the CSV header, the Parquet schema, the
Stata and SPSS variable labels and value labels, the data package's Table Schemas and the
codebook are all built from these descriptions.

Types are Table Schema's words (string, integer, number, date, boolean); booleans are written
1/0 so that R, Stata and SPSS read them as numbers.
"""

from dataclasses import dataclass

from accounts.models import Study
from api.exports.metric_catalogue import MetricInfo, metric_info, variable_names
from patients.models import Sex
from recordings.models import Protocol
from results.models import BehaviourEvent, EventReview


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # Table Schema type: string, integer, number, date, boolean
    definition: str
    unit: str = ""
    minimum: float | None = None
    maximum: float | None = None
    enum: tuple[str, ...] = ()  # allowed values of a categorical column (value labels)
    missing_reason: str = ""  # why a value can be empty

    @property
    def label(self) -> str:
        """Stata and SPSS variable label (at most 80 characters)."""
        text = self.definition if not self.unit else f"{self.definition} [{self.unit}]"
        return text[:80]


SEX_VALUES = tuple(value for value in Sex.values if value != Sex.NOT_RECORDED)


def protocol_codes() -> tuple[str, ...]:
    return tuple(Protocol.objects.order_by("code").values_list("code", flat=True))


def session_columns(study: Study) -> list[Column]:
    """The key and covariate columns every study table starts with."""
    if study.age_band_years:
        age = Column(
            "age_band",
            "string",
            f"Age at the session in bands of {study.age_band_years} years (from the date of birth).",
            missing_reason="no date of birth recorded",
        )
    else:
        age = Column(
            "age_years",
            "number",
            "Age at the session in years, one decimal (from the date of birth).",
            unit="years",
            minimum=0,
            maximum=130,
            missing_reason="no date of birth recorded",
        )
    return [
        Column("study", "string", "Study code."),
        Column("pseudonym", "string", "The patient's study pseudonym; identity never leaves the care team."),
        Column(
            "session_id",
            "string",
            "Session key, the same in every export of this study, unrelated across studies.",
        ),
        Column(
            "visit_number", "integer", "Number of the visit among all of the patient's sessions.", minimum=1
        ),
        Column(
            "session_date",
            "date",
            "Session date, shifted by the patient's random offset for this study.",
        ),
        Column(
            "session_day",
            "integer",
            "Days since the patient's first session in this export (day 0).",
            unit="days",
            minimum=0,
        ),
        Column("protocol", "string", "Protocol code of the session.", enum=protocol_codes()),
        age,
        Column(
            "sex",
            "string",
            "Sex as recorded with the patient.",
            enum=SEX_VALUES,
            missing_reason="not recorded",
        ),
        Column(
            "group",
            "string",
            "Study group or arm entered by the care team.",
            missing_reason="no group entered",
        ),
        Column(
            "diagnosis_group",
            "string",
            "Diagnosis group entered by the care team.",
            missing_reason="no diagnosis group entered",
        ),
    ]


PROVENANCE_COLUMNS = [
    Column("pipeline_version", "string", "Analysis pipeline version; do not pool across major versions."),
    Column("model_versions", "string", "Models that produced the values, as name@version separated by ';'."),
]


def long_columns(study: Study, metric_keys: list[str]) -> list[Column]:
    return [
        *session_columns(study),
        Column("metric", "string", "Metric key (see the codebook).", enum=tuple(metric_keys)),
        Column(
            "window_start_s",
            "number",
            "Start of the window, from the start of the recording.",
            "s",
            minimum=0,
        ),
        Column(
            "window_end_s", "number", "End of the window, from the start of the recording.", "s", minimum=0
        ),
        Column("is_session_level", "boolean", "1 for the value over the whole session, 0 for a window."),
        Column(
            "value",
            "number",
            "The metric's value in its unit (model output).",
            missing_reason="the metric could not be measured (reason by family in the codebook)",
        ),
        Column("unit", "string", "Unit of the value."),
        Column(
            "missing_reason",
            "string",
            "Why the value is missing, in a sentence (empty when there is a value).",
            missing_reason="the value was measured",
        ),
        Column(
            "analysable_s",
            "number",
            "Seconds of the window or session the value rests on (rates and shares).",
            "s",
            minimum=0,
            missing_reason="not applicable to this metric",
        ),
        *PROVENANCE_COLUMNS,
    ]


def metric_column(name: str, info: MetricInfo) -> Column:
    return Column(
        name,
        "number",
        info.label,
        unit=info.unit,
        minimum=info.minimum,
        maximum=info.maximum,
        missing_reason=info.missing_reason,
    )


def wide_columns(study: Study, metric_keys: list[str]) -> tuple[list[Column], dict[str, str]]:
    """Columns of the one-row-per-session table and metric key -> variable name."""
    names = variable_names(metric_keys)
    metrics = [metric_column(names[key], metric_info(key)) for key in metric_keys]
    return [*session_columns(study), *PROVENANCE_COLUMNS, *metrics], names


def event_columns(study: Study) -> list[Column]:
    kinds = tuple(BehaviourEvent.Kind.values)
    return [
        *session_columns(study),
        Column("event_id", "integer", "Number of the event within the export.", minimum=1),
        Column("kind", "string", "Kind of behaviour the model detected.", enum=kinds),
        Column("body_part", "string", "Body part the event was detected on."),
        Column("start_s", "number", "Start, from the start of the recording (model).", "s", minimum=0),
        Column("end_s", "number", "End, from the start of the recording (model).", "s", minimum=0),
        Column(
            "frequency_hz",
            "number",
            "Dominant frequency of a periodic event.",
            "Hz",
            minimum=0,
            missing_reason="the event is not periodic",
        ),
        Column("confidence", "number", "The model's confidence.", minimum=0, maximum=1),
        Column(
            "review_decision",
            "string",
            "The latest clinician review of the event.",
            enum=tuple(EventReview.Decision.values),
            missing_reason="not reviewed",
        ),
        Column(
            "reviewed_kind",
            "string",
            "Kind after review (the model's kind when confirmed or only re-timed).",
            enum=kinds,
            missing_reason="not reviewed, or rejected",
        ),
        Column(
            "reviewed_start_s",
            "number",
            "Start after review.",
            "s",
            minimum=0,
            missing_reason="not reviewed, or rejected",
        ),
        Column(
            "reviewed_end_s",
            "number",
            "End after review.",
            "s",
            minimum=0,
            missing_reason="not reviewed, or rejected",
        ),
        *PROVENANCE_COLUMNS,
    ]
