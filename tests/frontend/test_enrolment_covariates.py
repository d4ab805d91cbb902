"""The care team records a patient's study group and diagnosis group on the patient page; the
study export carries them beside the pseudonym; refusals are 404s and the write is audited."""

import io

import pandas as pd

from audit.models import AccessEvent
from patients.models import StudyEnrolment
from tests.api.conftest import make_analysed_session


def test_the_care_team_sets_group_and_diagnosis_group_that_the_export_carries(world, login, api):
    make_analysed_session(world.patient, by=world.clinician)
    enrolment = StudyEnrolment.objects.get(study=world.study, patient=world.patient)
    page = login(world.uploader).get(f"/patients/{world.patient.code}/").content.decode()
    assert f"/patients/{world.patient.code}/studies/{enrolment.pk}/" in page and world.study.code in page
    url = f"/patients/{world.patient.code}/studies/{enrolment.pk}/"
    response = login(world.uploader).post(url, {"group": "arm-B", "diagnosis_group": "PD"})
    assert response.status_code == 302
    enrolment.refresh_from_db()
    assert (enrolment.group, enrolment.diagnosis_group) == ("arm-B", "PD")
    audit = AccessEvent.objects.get(object_type="study_enrolment", action=AccessEvent.Action.UPDATE)
    assert audit.details["after"] == {"group": "arm-B", "diagnosis_group": "PD"}
    body = b"".join(
        api(world.statistician).get(f"/api/v1/studies/{world.study.pk}/export/").streaming_content
    )
    frame = pd.read_csv(io.BytesIO(body))
    assert set(frame["group"]) == {"arm-B"} and set(frame["diagnosis_group"]) == {"PD"}


def test_values_that_are_not_short_codes_are_refused_and_outsiders_get_404(world, login):
    enrolment = StudyEnrolment.objects.get(study=world.study, patient=world.patient)
    url = f"/patients/{world.patient.code}/studies/{enrolment.pk}/"
    response = login(world.clinician).post(
        url, {"group": "Mr Smith's arm, room 12", "diagnosis_group": ""}, follow=True
    )
    assert "Use a short code" in response.content.decode()
    enrolment.refresh_from_db()
    assert enrolment.group == ""  # short codes only (patients.models.study_code_validator)
    assert login(world.outsider).post(url, {"group": "x"}).status_code == 404
    assert login(world.statistician).post(url, {"group": "x"}).status_code == 404
