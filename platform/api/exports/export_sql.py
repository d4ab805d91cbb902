"""The lists of values that travel into an export's one SQL query: the sessions' keys and
covariates (k), the models of each analysis (j) and the reviewed values of event metrics (rv).

On PostgreSQL each list goes as one array parameter per column (unnest): a thousand sessions are
twelve parameters, not twelve thousand for the driver to splice into the query text. Other
databases (SQLite, the embedded default) get a VALUES list.
"""

from django.db import connection

from api.exports.study_scope import SessionKey
from results.models import AnalysisJob

KEY_SELECT = (
    "k.pseudonym, k.session_id, k.visit_number, k.session_date, k.session_day, k.protocol, "
    "k.age, k.sex, k.grp, k.diagnosis"
)


def value_list(name: str, columns: list[tuple[str, str]], rows: list[tuple]) -> tuple[str, list]:
    """`name (columns) AS (...)` holding rows; columns are (name, SQL type)."""
    names = ", ".join(column for column, _ in columns)
    if connection.vendor == "postgresql":
        arrays = ", ".join(f"%s::{sql_type}[]" for _, sql_type in columns)
        params = [[row[i] for row in rows] for i in range(len(columns))]
        # Names and types are fixed fragments of this module; the values are parameters.
        return f"{name} ({names}) AS (SELECT * FROM unnest({arrays}))", params  # noqa: S608
    if not rows:
        empty = ", ".join(f"CAST(NULL AS {sql_type})" for _, sql_type in columns)
        return f"{name} ({names}) AS (SELECT {empty} WHERE 1 = 0)", []
    row = "(" + ", ".join("%s" for _ in columns) + ")"
    return f"{name} ({names}) AS (VALUES {', '.join([row] * len(rows))})", [v for r in rows for v in r]


def keys_cte(keys: list[SessionKey], age_type: str) -> tuple[str, list]:
    """k: one row per exported session, in export order (ord)."""
    columns = [
        ("session_pk", "bigint"),
        ("ord", "integer"),
        ("pseudonym", "text"),
        ("session_id", "text"),
        ("visit_number", "integer"),
        ("session_date", "date"),
        ("session_day", "integer"),
        ("protocol", "text"),
        ("age", age_type),
        ("sex", "text"),
        ("grp", "text"),
        ("diagnosis", "text"),
    ]
    rows = [(key.session_pk, key.order, *key.columns()) for key in keys]
    return value_list("k", columns, rows)


def model_versions_text(job: AnalysisJob) -> str:
    return ";".join(f"{m.get('name')}@{m.get('version')}" for m in job.model_versions or [])


def jobs_cte(jobs: list[AnalysisJob]) -> tuple[str, list]:
    """j: job pk -> name@version;... of the models that produced its values."""
    rows = [(job.pk, model_versions_text(job)) for job in jobs]
    return value_list("j", [("job_pk", "bigint"), ("models", "text")], rows)


def reviewed_cte(values: dict[tuple[int, str], float | None]) -> tuple[str, list]:
    """rv: (job pk, metric) -> the reviewed value (results.reviewed), for the analyses whose
    events clinicians reviewed or added to; a row with an empty value is not measurable."""
    rows = [(job_pk, metric, value) for (job_pk, metric), value in sorted(values.items())]
    columns = [("job_pk", "bigint"), ("metric", "text"), ("value", "double precision")]
    return value_list("rv", columns, rows)
