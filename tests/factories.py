"""Factories for tests: hospitals, users per role, patients and complete cases."""

import datetime

import factory
from django.utils import timezone

from accounts.models import Hospital, Role, User
from referrals.models import Case, CaseStatus, Lesion, Patient


class HospitalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Hospital

    name = factory.Sequence(lambda n: f"Ziekenhuis {n}")
    code = factory.Sequence(lambda n: f"zh{n}")
    city = "Utrecht"
    is_mdo_centre = False
    mdo_centre = factory.LazyAttribute(lambda o: None if o.is_mdo_centre else CentreFactory())


class CentreFactory(HospitalFactory):
    name = factory.Sequence(lambda n: f"MDO-centrum {n}")
    code = factory.Sequence(lambda n: f"centrum{n}")
    is_mdo_centre = True
    mdo_centre = None


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = "Test"
    last_name = factory.Sequence(lambda n: f"Arts {n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.org")
    role = Role.REFERRER
    hospital = factory.SubFactory(HospitalFactory)
    password = factory.PostGenerationMethodCall("set_password", "a-long-test-password-1")

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    hospital = factory.SubFactory(HospitalFactory)
    patient_number = factory.Sequence(lambda n: f"P{100000 + n}")
    family_name = factory.Sequence(lambda n: f"Jansen{n}")
    given_names = "J."
    date_of_birth = datetime.date(1960, 5, 17)
    sex = "female"


# Every question of every step answered: an asymptomatic patient with one 14 mm lesion.
COMPLETE_ANSWERS = {
    "presenter_role": "treating",
    "systemic_activity_discussed": "yes",
    "primary_tumour": "nsclc",
    "driver_mutation": "no",
    "prior_brain_metastases": "no",
    "comorbidity_relevant": "no",
    "anticoagulation": "no",
    "extracranial_status": "stable",
    "systemic_option": "no",
    "prognosis_months": 12,
    "kps": 80,
    "dexamethasone": "no",
    "neuro_deficit": "no",
    "epilepsy": "no",
    "lesion_mode": "list",
    "radiotherapy_considered": "yes",
    "suspected_radionecrosis": "no",
    "recurrence": "no",
    "treatment_wish": "yes",
    "question_to_mdo": "Indicatie stereotactische radiotherapie?",
}


class CaseFactory(factory.django.DjangoModelFactory):
    """A draft with every question answered (override fields to vary); add lesions separately
    or use `with_lesion=True`."""

    class Meta:
        model = Case
        skip_postgeneration_save = True

    patient = factory.SubFactory(PatientFactory)
    referring_hospital = factory.LazyAttribute(lambda o: o.patient.hospital)
    mdo_centre = factory.LazyAttribute(lambda o: o.referring_hospital.centre)
    referring_physician = factory.LazyAttribute(
        lambda o: UserFactory(hospital=o.referring_hospital, role=Role.REFERRER)
    )
    status = CaseStatus.DRAFT
    mri_date = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=3))
    completed_steps = factory.LazyFunction(list)

    @classmethod
    def _adjust_kwargs(cls, **kwargs):
        return {**COMPLETE_ANSWERS, **kwargs}

    @factory.post_generation
    def with_lesion(obj, create, extracted, **kwargs):
        if create and extracted is not False:
            LesionFactory(case=obj)


class LesionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lesion

    case = factory.SubFactory(CaseFactory)
    region = "frontal"
    side = "left"
    diameter_mm = 14
    critical = False
    critical_site = ""
