"""E-mail to the people a workflow step concerns. Called after the transaction commits.

Contract (the service functions rely on it): each function takes the saved record, sends its
mail(s) in the recipient's language (User.language), never raises (a mail server that is down
must not undo or hide a clinical action; the failure is logged without patient data), and puts
no clinical content in the mail beyond what the recipient needs to act: a link to the case.
"""

import logging

logger = logging.getLogger(__name__)


def case_submitted(case):
    """To the neuro-oncologists of the case's MDO centre: a case awaits pre-consultation."""


def info_requested(preconsultation):
    """To the referring physician: the neuro-oncologist asks for information (the message)."""


def case_scheduled(item):
    """To the referring physician: the case is on a meeting (date, time, location, video link)."""


def advice_recorded(advice):
    """To the referring physician: the meeting's advice is recorded."""
