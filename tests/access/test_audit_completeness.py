"""Audit completeness: walking every URL pattern as each role, every read of patient data leaves an
audit row with outcome allowed, every refusal exactly one row with outcome denied, and the
requests declared without patient data are the only allowed ones that may leave none."""

import pytest

from tests.access.matrix import ROLES

# The walk (tests/access/conftest.py) needs the test database.
pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", ROLES)
def test_every_read_of_patient_data_leaves_an_allowed_row(walked, role):
    missing = [
        f"- {answer.describe()}: {answer.status}, no row with outcome allowed"
        for answer in walked[role]
        if answer.is_read and not answer.allowed_rows and not answer.empty
    ]
    assert not missing, f"As {role}, reads of patient data left no audit row:\n" + "\n".join(missing)


@pytest.mark.parametrize("role", ROLES)
def test_every_refusal_leaves_one_denied_row(walked, role):
    missing = [
        f"- {answer.describe()}: {answer.status}, {answer.denied_rows} denied and {answer.allowed_rows} allowed rows"
        for answer in walked[role]
        if answer.refused and (answer.denied_rows != 1 or answer.allowed_rows)
    ]
    assert not missing, f"As {role}, refusals not audited as one denied row:\n" + "\n".join(missing)


@pytest.mark.parametrize("role", ROLES)
def test_an_allowed_answer_is_never_audited_as_denied(walked, role):
    wrong = [
        f"- {answer.describe()}: {answer.status}, {answer.denied_rows} denied rows"
        for answer in walked[role]
        if not answer.refused and answer.denied_rows
    ]
    assert not wrong, f"As {role}, answers that refused nothing left denied rows:\n" + "\n".join(wrong)
