"""Covariates the care team records for studies: sex once on the patient, group or arm and
diagnosis group per enrolment, as short codes (studies receive them as they are)."""

import pytest
from django.core.exceptions import ValidationError

from patients.models import Sex


def test_group_and_diagnosis_group_are_short_codes_not_free_text(world):
    enrolment = world.study.enrolments.get(patient=world.patient)
    enrolment.group, enrolment.diagnosis_group = "arm-B", "PD"
    enrolment.full_clean()
    enrolment.group = "Mrs Martin's arm, see notes!"
    with pytest.raises(ValidationError) as error:
        enrolment.full_clean()
    assert "short code" in str(error.value.message_dict["group"])


def test_sex_is_one_of_the_recorded_choices(world):
    assert world.patient.sex == Sex.NOT_RECORDED
    world.patient.sex = "unknown"
    with pytest.raises(ValidationError) as error:
        world.patient.full_clean()
    assert "sex" in error.value.message_dict
