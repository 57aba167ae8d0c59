"""Tests build clinical state through the services (tests/workflow.py), never by hand.

A case put into a status with `objects.create(status=...)`, an agenda item or an advice written
as a row, is a state the application may never reach: such a test can pass while the workflow is
broken. This reads every test module and names each place that writes those rows directly.
"""

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent

# The rows of the workflow: written by the services of referrals, meetings and followup only.
CLINICAL = {"Case", "Advice", "Preconsultation", "Meeting", "AgendaItem", "Attendance", "MeetingAdvice",
            "FollowUpPlan", "FollowUpMri", "Implementation", "ReEvaluation"}
WRITES = {"create", "update", "bulk_create", "bulk_update", "get_or_create", "update_or_create"}
FACTORIES = {"CaseFactory"}

# Queries may name a status; nothing else in a test may give a case one.
READS = {"filter", "exclude", "get", "count", "exists"}

# The writes that stay, by file, model and function, each with its reason.
ALLOWED = {
    # The one place that moves a meeting's date (into the past): see its docstring.
    ("workflow.py", "Meeting", "time_passes"),
    # Likewise the date of an open re-evaluation (services accept only a date to come).
    ("workflow.py", "ReEvaluation", "reevaluation_date_comes"),
    # The migration test puts the agenda items back as they were before the migration.
    ("test_meetings.py", "AgendaItem", "test_the_migration_marks_the_items_already_advised_as_discussed"),
    # The migration test empties the columns the migration fills, as they were before it.
    ("test_advice_in_force.py", "Case", "test_the_migration_fills_the_advice_in_force_from_the_records"),
    # Likewise the advice's law columns (meetings/migrations/0007), on the advice and its history.
    ("test_meetings.py", "MeetingAdvice", "test_the_migration_fills_the_law_columns_of_existing_advices"),
    # No service changes the question once advised: the test writes it to prove the report frozen.
    ("test_mdo_report.py", "Case", "test_editing_the_case_afterwards_changes_no_version"),
    # The dashboard's radiotherapy advice without the quorum, which no service records (an older or
    # imported record can hold one).
    ("test_quality.py", "MeetingAdvice", "test_an_advice_without_the_quorum_is_listed"),
    # An advice stored by the earlier rule set (lwno-2025.1), which today's services no longer give:
    # the test proves it is still shown as it was given (issue 12, point 9).
    ("test_triage_django.py", "Advice", "test_an_advice_of_the_earlier_engine_is_still_shown_as_given"),
}


def _root(node):
    """The name a chain such as `Meeting.objects.filter(...).update` starts from."""
    while True:
        if isinstance(node, ast.Attribute):
            node = node.value
        elif isinstance(node, ast.Call):
            node = node.func
        else:
            return node.id if isinstance(node, ast.Name) else None


def _is_case_status(node):
    return (isinstance(node, ast.Attribute) and _root(node) == "CaseStatus" and node.attr != "DRAFT")


def _nodes_with_function(tree):
    """Each node with the name of the function it is in (None at module level)."""
    todo = [(tree, None)]
    while todo:
        node, function = todo.pop()
        yield node, function
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            function = node.name
        todo.extend((child, function) for child in ast.iter_child_nodes(node))


def writes_by_hand(source, filename):
    """(filename, line, what) for each direct write of workflow state in `source`."""
    found = []
    for node, function in _nodes_with_function(ast.parse(source)):
        if isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
            model = _root(node.func.value) if isinstance(node.func, ast.Attribute) else None
            if name in WRITES and model in CLINICAL and (filename, model, function) not in ALLOWED:
                found.append((filename, node.lineno, f"{model}…{name}()"))
            if name in FACTORIES and any(keyword.arg == "status" for keyword in node.keywords):
                found.append((filename, node.lineno, f"{name}(status=...)"))
            elif name not in READS and any(keyword.arg == "status" and _is_case_status(keyword.value)
                                           for keyword in node.keywords):
                found.append((filename, node.lineno, f"{name}(status=CaseStatus...)"))
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Attribute) and target.attr == "status" and _root(target) != "self":
                    found.append((filename, node.lineno, "….status = ..."))
    return sorted(found)


def test_no_test_writes_workflow_state_by_hand():
    found = []
    for path in sorted(TESTS.rglob("*.py")):
        if path.name == Path(__file__).name:
            continue
        found += writes_by_hand(path.read_text(), str(path.relative_to(TESTS)))
    assert found == [], "build it with tests/workflow.py instead"


def test_the_check_finds_each_kind_of_write():
    source = """
case = CaseFactory(status="submitted")
AgendaItem.objects.create(meeting=meeting, case=case, position=1)
Case.objects.filter(pk=case.pk).update(status="scheduled")
Meeting.objects.filter(pk=meeting.pk).update(date=today)
meeting.status = "held"
draft_of(referrer, status=CaseStatus.SUBMITTED)
Patient.objects.create(family_name="Jansen")
Case.objects.filter(status=CaseStatus.SUBMITTED).exclude(status=CaseStatus.CLOSED).count()
services.meeting_set_status(actor=actor, meeting_id=meeting.pk, status="held")

def time_passes(meeting):
    Meeting.objects.filter(pk=meeting.pk).update(date=today)
"""
    found = writes_by_hand(source, "test_example.py")
    assert [line for _name, line, _what in found] == [2, 3, 4, 5, 6, 7, 13]
    # Allowed in that one function of that one file.
    assert [line for _name, line, _what in writes_by_hand(source, "workflow.py")] == [2, 3, 4, 5, 6, 7]
