"""A study's behaviour events: one row per event the model detected, with the latest clinician
review beside it (decision and the reviewed kind and times; empty when rejected or not
reviewed). Same keys and covariates as the metrics export, same CSV and Parquet writers.
"""

from api.exports.export_columns import event_columns
from api.exports.study_export import KEY_SELECT, Table, jobs_cte, keys_cte
from api.exports.study_scope import ExportRequest, consenting_patients, session_keys
from results.models import BehaviourEvent

# The latest review of an event is its status, newest created_at then highest id, as in
# results.review_selectors (the SQL below is its set-based form); rejected events have no
# reviewed values.
_EVENT_SELECT = """
SELECT %s, {keys}, ROW_NUMBER() OVER (ORDER BY k.ord, e.start_s, e.id), e.kind, e.body_part,
  e.start_s, e.end_s, e.frequency_hz, e.confidence, r.decision,
  CASE WHEN r.decision IS NULL OR r.decision = 'reject' THEN NULL
       WHEN r.corrected_kind <> '' THEN r.corrected_kind ELSE e.kind END,
  CASE WHEN r.decision IS NULL OR r.decision = 'reject' THEN NULL
       ELSE COALESCE(r.corrected_start_s, e.start_s) END,
  CASE WHEN r.decision IS NULL OR r.decision = 'reject' THEN NULL
       ELSE COALESCE(r.corrected_end_s, e.end_s) END,
  e.pipeline_version, j.models
FROM results_behaviourevent e
JOIN k ON e.session_id = k.session_pk
JOIN j ON e.job_id = j.job_pk
LEFT JOIN r ON r.event_id = e.id AND r.n = 1
WHERE {where}
ORDER BY k.ord, e.start_s, e.id
"""
_LATEST_REVIEW = (
    "r AS (SELECT event_id, decision, corrected_kind, corrected_start_s, corrected_end_s, "
    "ROW_NUMBER() OVER (PARTITION BY event_id ORDER BY created_at DESC, id DESC) AS n "
    "FROM results_eventreview)"
)


def events_table(request: ExportRequest, kind: str = "") -> Table:
    events = BehaviourEvent.objects.filter(patient__in=consenting_patients(request.study).values("pk"))
    conditions, where_params = ["1 = 1"], []
    if request.pipeline_version:
        events = events.filter(pipeline_version=request.pipeline_version)
        conditions.append("e.pipeline_version = %s")
        where_params.append(request.pipeline_version)
    if kind:
        events = events.filter(kind=kind)
        conditions.append("e.kind = %s")
        where_params.append(kind)
    keys = session_keys(request, set(events.values_list("session_id", flat=True).distinct()))
    columns = event_columns(request.study)
    counts: dict[int, int] = {}
    if not keys:
        return Table(columns, "", [], counts, {})
    kept = events.filter(session_id__in=[key.session_pk for key in keys])
    for patient_pk in kept.values_list("patient_id", flat=True):
        counts[patient_pk] = counts.get(patient_pk, 0) + 1
    age_type = "text" if request.study.age_band_years else "double precision"
    keys_sql, params = keys_cte(keys, age_type)
    jobs_sql, job_params = jobs_cte(list(kept.values_list("job_id", flat=True).distinct()))
    sql = f"WITH {keys_sql}, {jobs_sql}, {_LATEST_REVIEW} " + _EVENT_SELECT.format(
        keys=KEY_SELECT, where=" AND ".join(conditions)
    )
    return Table(columns, sql, [*params, *job_params, request.study.code, *where_params], counts, {})
