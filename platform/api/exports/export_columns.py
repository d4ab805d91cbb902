"""The columns of every study export, described once: the CSV header, the Parquet schema, the
Stata and SPSS variable labels and value labels, the data package's Table Schemas and the
codebook are all built from these descriptions.

Types are Table Schema's words (string, integer, number, date, boolean); booleans are written
1/0 so that R, Stata and SPSS read them as numbers.
"""

from dataclasses import dataclass

from accounts.models import Study
from api.exports.metric_catalogue import MetricInfo, metric_info, variable_names
from api.exports.task_event_rows import TASK_KIND, TASK_SOURCES, task_codes
from patients.models import Sex
from recordings.models import EthogramLabel, Protocol
from results.models import BehaviourEvent, EventReview
from results.reviewed import reviewed_metric_keys


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


REVIEWED_FLAG = Column(
    "is_reviewed",
    "boolean",
    "1 when clinicians reviewed or added events of the analysis and the value was computed from the "
    "reviewed events (then value and model_value may differ), 0 when it is the model's.",
)
MODEL_ONLY_SUFFIX = "_mo"  # wide: the model-only column beside a reviewed metric's column

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
            "The metric's value in its unit after clinicians' review of the events it is made of "
            "(the model's value for metrics not made of events and for sessions nobody reviewed).",
            missing_reason="the metric could not be measured (reason in missing_reason)",
        ),
        Column(
            "model_value",
            "number",
            "The model's value alone, before any review.",
            missing_reason="the model could not measure the metric (reason by family in the codebook)",
        ),
        REVIEWED_FLAG,
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


def metric_column(name: str, info: MetricInfo, *, which: str = "") -> Column:
    """A wide column of one metric; which: "" for a metric not made of events, "reviewed" or
    "model only" for the two columns of a metric made of events."""
    return Column(
        name,
        "number",
        info.label + (f", {which}" if which else ""),
        unit=info.unit,
        minimum=info.minimum,
        maximum=info.maximum,
        missing_reason=info.missing_reason,
    )


def wide_columns(study: Study, metric_keys: list[str]) -> tuple[list[Column], dict[str, str]]:
    """Columns of the one-row-per-session table and metric key -> variable name. A metric made
    of events (results.reviewed) has its reviewed column and, beside it, its model-only column
    (the name with MODEL_ONLY_SUFFIX)."""
    reviewable = set(reviewed_metric_keys())
    names = variable_names(metric_keys)
    metrics = []
    for key in metric_keys:
        info = metric_info(key)
        if key in reviewable:
            metrics.append(metric_column(names[key], info, which="reviewed"))
            metrics.append(metric_column(names[key] + MODEL_ONLY_SUFFIX, info, which="model only"))
        else:
            metrics.append(metric_column(names[key], info))
    if len({column.name for column in metrics}) != len(metrics):
        raise ValueError("A model-only column's name is taken by another metric.")
    return [*session_columns(study), *PROVENANCE_COLUMNS, REVIEWED_FLAG, *metrics], names


def event_labels() -> tuple[str, ...]:
    """Every label an event can carry after review: the model's kinds and the ethogram codes
    clinicians code with."""
    codes = set(EthogramLabel.objects.values_list("code", flat=True))
    return tuple(sorted(codes | set(BehaviourEvent.Kind.values)))


ADDED = "added by a clinician: the model did not detect it"


def event_columns(study: Study) -> list[Column]:
    kinds = tuple(BehaviourEvent.Kind.values)
    rejected = "rejected by a clinician (it counts nowhere)"
    return [
        *session_columns(study),
        Column("event_id", "integer", "Number of the event within the export.", minimum=1),
        Column(
            "source",
            "string",
            "model: detected by the analysis; clinician: added by a clinician while reviewing; for a "
            "task of a semi-guided visit (kind task), marked: by a clinician (or a proposal a clinician "
            "accepted or corrected), automatic: proposed by the task model in a visit no clinician marked.",
            enum=("model", "clinician", *TASK_SOURCES),
        ),
        Column(
            "kind",
            "string",
            "Kind of behaviour the model detected; task for a task of a semi-guided visit (its code is "
            "reviewed_kind).",
            enum=(*kinds, TASK_KIND),
            missing_reason=ADDED,
        ),
        Column(
            "body_part",
            "string",
            "Body part the event was detected on.",
            missing_reason=f"{ADDED}, or a task",
        ),
        Column(
            "start_s",
            "number",
            "Start as the model detected it (a task: as marked or proposed), from the start of the recording.",
            "s",
            minimum=0,
            missing_reason=ADDED,
        ),
        Column(
            "end_s",
            "number",
            "End as the model detected it (a task: as marked or proposed), from the start of the recording.",
            "s",
            minimum=0,
            missing_reason=ADDED,
        ),
        Column(
            "frequency_hz",
            "number",
            "Dominant frequency of a periodic event.",
            "Hz",
            minimum=0,
            missing_reason="the event is not periodic, or was added by a clinician, or is a task",
        ),
        Column(
            "confidence",
            "number",
            "The model's confidence (a task: the task model's).",
            minimum=0,
            maximum=1,
            missing_reason=f"{ADDED}, or a task marked by a clinician",
        ),
        Column(
            "review_decision",
            "string",
            "The latest clinician review of the event (added: a clinician's own event).",
            enum=(*EventReview.Decision.values, "added"),
            missing_reason="not reviewed (the event counts as detected), or a task",
        ),
        Column(
            "reviewed_kind",
            "string",
            "Label after review: the corrected one, else the detected kind (also when not reviewed); "
            "a task's code in the protocol's task list.",
            enum=tuple(sorted(set(event_labels()) | set(task_codes()))),
            missing_reason=rejected,
        ),
        Column(
            "reviewed_start_s",
            "number",
            "Start after review (the corrected time, else the detected one).",
            "s",
            minimum=0,
            missing_reason=rejected,
        ),
        Column(
            "reviewed_end_s",
            "number",
            "End after review (the corrected time, else the detected one).",
            "s",
            minimum=0,
            missing_reason=rejected,
        ),
        Column(
            "counted",
            "boolean",
            "1 when the event counts in the reviewed values (every event but a rejected one).",
        ),
        Column(
            "pipeline_version",
            "string",
            "Version of the analysis the event belongs to (a clinician's event: the analysis on "
            "which it was added, or the session's latest).",
        ),
        Column(
            "model_versions",
            "string",
            "Models that detected the event, as name@version separated by ';'.",
            missing_reason=ADDED,
        ),
    ]
