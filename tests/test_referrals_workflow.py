"""The referral workflow: every (from, to, actor) triple against the table written out here
by hand, decline reasons, and the kinds of refusal."""
import itertools

import pytest

from assetmap.errors import ConflictError, InputError, PermissionDenied
from assetmap.referrals import workflow

#: The issue's moves, written independently of workflow.TRANSITIONS.
EXPECTED = {
    ("sent", "accepted", "provider"), ("sent", "declined", "provider"),
    ("sent", "withdrawn", "referrer"), ("accepted", "withdrawn", "referrer"),
    ("accepted", "closed", "referrer"), ("accepted", "closed", "provider"),
    ("declined", "closed", "referrer"),
}


@pytest.mark.parametrize("current,new,actor", list(itertools.product(
    workflow.STATUSES, workflow.STATUSES, workflow.ACTORS)))
def test_every_move_is_allowed_exactly_as_the_table_says(current, new, actor):
    reason = "no_capacity" if new == "declined" else None
    if (current, new, actor) in EXPECTED:
        assert workflow.check_transition(current, new, actor, reason) == reason
        assert new in workflow.allowed_moves(current, actor)
    else:
        with pytest.raises((ConflictError, InputError, PermissionDenied)):
            workflow.check_transition(current, new, actor, reason)
        assert new not in workflow.allowed_moves(current, actor)


def test_final_statuses_go_nowhere():
    for status in ("withdrawn", "closed"):
        assert workflow.allowed_moves(status, "referrer") == []
        assert workflow.allowed_moves(status, "provider") == []


def test_a_decline_needs_a_reason_from_the_list():
    for reason in (None, "", "busy", "No capacity"):
        with pytest.raises(InputError) as e:
            workflow.check_transition("sent", "declined", "provider", reason)
        assert e.value.field == "decline_reason"
        assert "no capacity" in e.value.message
    assert set(workflow.DECLINE_REASONS) == {"no_capacity", "outside_area", "wrong_service",
                                             "other"}
    assert workflow.TURNED_AWAY_REASON == "no_capacity"


def test_refusals_say_what_kind_of_problem_it_is():
    # the other party's move: not allowed for this actor
    with pytest.raises(PermissionDenied, match="only the provider"):
        workflow.check_transition("sent", "accepted", "referrer")
    # the right party, but someone already moved it (a stale page): a conflict
    with pytest.raises(ConflictError, match="declined now"):
        workflow.check_transition("declined", "accepted", "provider")
    with pytest.raises(ConflictError):
        workflow.check_transition("accepted", "accepted", "provider")
    # nonsense
    with pytest.raises(InputError):
        workflow.check_transition("sent", "lost", "provider")
    with pytest.raises(InputError):
        workflow.check_transition("sent", "accepted", "planner")
    # a reason on another move is not recorded
    assert workflow.check_transition("sent", "accepted", "provider", "no_capacity") is None
