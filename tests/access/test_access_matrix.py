"""The access matrix: every URL pattern of the site (pages, admin, API, Dash, media) is declared in
the access table, and every role gets the answer the table declares for each of its requests.
A pattern missing from the table fails here, with what to write."""

import pytest

from tests.access.access_table import TABLE
from tests.access.admin_table import ADMIN_MODELS, PAGES, SITE
from tests.access.matrix import ROLES, admin_models, url_patterns

HOW_TO_DECLARE = (
    "Declare it in TABLE of tests/access/access_table.py: one probe per request form, e.g."
    ' get("/sessions/{{session}}/video", "404 200 200 404 404 404 404 302", DATA), with the path'
    " filled from tests/access/matrix.py make_objects' values, the expected status for each role in"
    f" the order {', '.join(ROLES)}, and DATA when its allowed answer shows or changes patient data"
    " (it must then leave an audit row with outcome allowed) or NO_DATA (it joins the declared list"
    " of requests without patient data). The key is the name shown here; an object the path needs is"
    " made in make_objects, and a write takes a body that succeeds (BODIES in tests/access/walk.py)."
)
HOW_TO_DECLARE_MODEL = (
    "Declare it in ADMIN_MODELS of tests/access/admin_table.py: the values key of the row its pages"
    f" show and the administrator's status on its {', '.join(PAGES)} pages; if it holds patient"
    " data, name its path to the patient in accounts.permissions.PATIENT_PATHS and give its"
    " ModelAdmin audit.admin_reads.AuditedReadsAdmin."
)


def declared_patterns() -> set[str]:
    declared = set(TABLE) | set(SITE)
    for model in admin_models():
        label = model._meta.label_lower
        if label in ADMIN_MODELS:
            app, name = model._meta.app_label, model._meta.model_name
            declared |= {f"admin:{app}_{name}_{page}" for page in PAGES}
            declared.add(f"admin/{app}/{name}/<path:object_id>/")
    return declared


def test_every_admin_model_is_declared():
    missing = sorted(m._meta.label_lower for m in admin_models() if m._meta.label_lower not in ADMIN_MODELS)
    assert not missing, f"Admin models without a row in the access table: {missing}. {HOW_TO_DECLARE_MODEL}"


def test_every_url_pattern_is_declared():
    missing = sorted(set(url_patterns()) - declared_patterns())
    assert not missing, "URL patterns missing from the access table:\n" + "\n".join(
        f"- {pattern}: {HOW_TO_DECLARE.format()}" for pattern in missing
    )


def test_the_table_names_only_url_patterns_of_the_site():
    gone = sorted(declared_patterns() - set(url_patterns()))
    assert not gone, f"The access table declares URL patterns the site no longer has: {gone}; remove them."


def test_every_probe_declares_an_answer_for_each_role():
    wrong = [
        (p, probe.path)
        for p, probes in {**TABLE, **SITE}.items()
        for probe in probes
        if len(probe.expected) != len(ROLES)
    ]
    assert not wrong, f"Probes without one status per role ({len(ROLES)}): {wrong}"


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_the_declared_answer(walked, role):
    wrong = [
        f"- {answer.describe()}: {answer.status}, the table says {answer.expected}"
        + (f" (to {answer.location})" if answer.location else "")
        for answer in walked[role]
        if answer.status != answer.expected
    ]
    assert not wrong, (
        f"As {role}, {len(wrong)} of {len(walked[role])} answers differ from the table:\n" + "\n".join(wrong)
    )


# Who may see the memory-clinic patient's care-team code and name, in any answer to a request
# whose address does not itself hold the code: the code only the care team and the
# administrator (study members see the study's pseudonym), the name only the care team.
MAY_SEE = {
    "code": {"uploader", "clinician", "colleague", "admin"},
    "name": {"uploader", "clinician", "colleague"},
}


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_no_answer_shows_the_patient_to_a_role_that_may_not_see_them(walked, role):
    leaks = [
        f"- {answer.describe()}: {answer.status} shows the patient's {mark}"
        for answer in walked[role]
        for mark in sorted(answer.shows)
        if role not in MAY_SEE[mark] and "{code}" not in answer.probe.path
    ]
    assert not leaks, f"As {role}, answers show what the role may not see:\n" + "\n".join(leaks)
    seen = set().union(*(answer.shows for answer in walked[role]))
    assert seen == {mark for mark, roles in MAY_SEE.items() if role in roles}, "the marks are looked for"
