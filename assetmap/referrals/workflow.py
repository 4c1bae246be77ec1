"""A referral's statuses and the moves between them: the one place they are written down.

    from      to          who
    sent      accepted    provider
    sent      declined    provider (with a reason)
    sent      withdrawn   referrer
    accepted  withdrawn   referrer
    accepted  closed      referrer or provider
    declined  closed      referrer

* the **provider** (through its private link) accepts or declines a sent referral, and may
  close an accepted one when the support has ended;
* the **referrer** who sent it withdraws it (sent or accepted), closes it once accepted or
  declined (the case has moved on).

A decline carries one reason from :data:`DECLINE_REASONS`; "no capacity" is the observed
turned-away demand the JSNA evidence counts. Withdrawn and closed are final. The store
calls :func:`check_transition` inside the transaction that changes the status, so no other
code path can make a move this table does not allow.
"""
from __future__ import annotations

from ..errors import ConflictError, InputError, PermissionDenied

STATUSES = {
    "sent": "Sent, waiting for the provider",
    "accepted": "Accepted by the provider",
    "declined": "Declined by the provider",
    "withdrawn": "Withdrawn by the referrer",
    "closed": "Closed",
}
#: Statuses still waiting on someone.
OPEN_STATUSES = ("sent", "accepted")
DECLINE_REASONS = {
    "no_capacity": "No capacity",
    "outside_area": "Outside the area we serve",
    "wrong_service": "Not the right service",
    "other": "Other",
}
#: The reason that counts as turned-away demand.
TURNED_AWAY_REASON = "no_capacity"
ACTORS = ("referrer", "provider")
#: (from, to) -> who may make that move.
TRANSITIONS: dict[tuple[str, str], tuple[str, ...]] = {
    ("sent", "accepted"): ("provider",),
    ("sent", "declined"): ("provider",),
    ("sent", "withdrawn"): ("referrer",),
    ("accepted", "withdrawn"): ("referrer",),
    ("accepted", "closed"): ("referrer", "provider"),
    ("declined", "closed"): ("referrer",),
}
#: What a move is called on buttons and in the history.
ACTIONS = {"accepted": "Accept", "declined": "Decline", "withdrawn": "Withdraw",
           "closed": "Close"}


def allowed_moves(status: str, actor: str) -> list[str]:
    """The statuses ``actor`` may move a referral in ``status`` to (in a stable order)."""
    return [to for (frm, to), who in TRANSITIONS.items() if frm == status and actor in who]


def check_transition(current: str, new: str, actor: str, reason: str | None = None
                     ) -> str | None:
    """Refuse a move the table does not allow; returns the reason to record (a decline's
    reason code, else None).

    Raises ``InputError`` for an unknown status, actor or decline reason,
    ``PermissionDenied`` when the move exists but not for this actor, and
    ``ConflictError`` when the referral is no longer where the move starts (someone else
    moved it first: the page was out of date).
    """
    if new not in STATUSES:
        raise InputError(f"'{new}' is not a referral status", field="status")
    if actor not in ACTORS:
        raise InputError(f"'{actor}' cannot change referrals", field="actor")
    who = TRANSITIONS.get((current, new))
    if who is None:
        if any(to == new and actor in w for (_f, to), w in TRANSITIONS.items()):
            raise ConflictError(f"this referral is {current} now, so it can no longer be "
                                f"{new}; reload the page to see its latest state")
        raise InputError(f"a referral cannot go from {current} to {new}", field="status")
    if actor not in who:
        raise PermissionDenied(f"only the {' or the '.join(who)} can mark a referral {new}")
    if new == "declined":
        if reason not in DECLINE_REASONS:
            raise InputError("choose why you are declining: "
                             + ", ".join(v.lower() for v in DECLINE_REASONS.values()),
                             field="decline_reason")
        return reason
    return None
