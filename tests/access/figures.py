"""The figures of a walk of the access table: the matrix's size and the audit's completeness."""

from tests.access.matrix import ROLES, url_patterns
from tests.access.walk import Answer


def no_data_patterns(answers: list[Answer]) -> list[str]:
    """The URL patterns declared as carrying no patient data (every probe NO_DATA)."""
    carries: dict[str, bool] = {}
    for answer in answers:
        carries[answer.pattern] = carries.get(answer.pattern, False) or answer.probe.patient_data
    return sorted(pattern for pattern, data in carries.items() if not data)


def audited_reads(answers: list[Answer]) -> list[Answer]:
    return [a for a in answers if a.is_read and a.allowed_rows]


def audited_refusals(answers: list[Answer]) -> list[Answer]:
    return [a for a in answers if a.refused and a.denied_rows == 1 and not a.allowed_rows]


def figures(walked: dict[str, list[Answer]]) -> list[str]:
    every = [answer for answers in walked.values() for answer in answers]
    patterns = url_patterns()
    probes = len(next(iter(walked.values())))
    empty_lists = [a for a in every if a.is_read and a.empty and not a.allowed_rows]
    no_data = no_data_patterns(every)
    return [
        f"matrix: {len(patterns)} URL patterns, {probes} requests per role (Range forms, Dash endpoints,"
        f" export formats) x {len(walked)} roles ({', '.join(r for r in ROLES if r in walked)})"
        f" = {len(every)} requests",
        f"audit: {len(audited_reads(every))} reads of patient data with an allowed row,"
        f" {len(empty_lists)} empty lists (nothing shown, no row),"
        f" {len(audited_refusals(every))} refusals with one denied row,"
        f" {sum(not a.probe.patient_data and not a.refused for a in every)} allowed requests on"
        f" {len(no_data)} URL patterns declared without patient data:",
        "  " + ", ".join(no_data),
    ]
