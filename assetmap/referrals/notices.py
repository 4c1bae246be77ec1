"""Optional email notices about referrals (``settings.SMTP_*``, overridable per app).

Who hears what:

* a provider whose private link was issued with an email address gets the link itself when
  it is issued, and a notice of each new referral (with its case reference: the provider is
  one of the two parties allowed to see it);
* a referrer whose user name is an email address hears when the provider answers (the case
  reference again goes only to its own referrer).

Nobody else is ever written to, subjects never carry a case reference (they show on lock
screens), and a failure to send is logged without the message body. Without an SMTP host
nothing is sent: the pages show the same notices.
"""
from __future__ import annotations

import logging
import re
import smtplib
import threading
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Callable

from .. import settings
from .workflow import DECLINE_REASONS, STATUSES

log = logging.getLogger(__name__)

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
SMTP_KEYS = ("SMTP_HOST", "SMTP_PORT", "SMTP_USER", "SMTP_PASSWORD", "SMTP_FROM",
             "SMTP_STARTTLS", "SMTP_TIMEOUT_S")


@dataclass(frozen=True)
class Notice:
    to: str
    subject: str
    body: str


def is_email(value) -> bool:
    return bool(value) and bool(_EMAIL.match(str(value))) and len(str(value)) <= 254


def smtp_config(get: Callable[[str], object] | None = None) -> dict | None:
    """The SMTP settings (``get(name)`` overrides ``settings``, e.g. the app's config), or
    None when no host is set (notices stay on the pages)."""
    def value(k):
        v = get(k) if get is not None else None
        return getattr(settings, k) if v is None else v
    cfg = {k: value(k) for k in SMTP_KEYS}
    return cfg if cfg["SMTP_HOST"] else None


def send(notices: list[Notice], cfg: dict | None) -> int:
    """Send ``notices`` over one SMTP connection; returns how many were sent (0 without a
    configuration). Failures are logged (recipient count and error type only)."""
    if not cfg or not notices:
        return 0
    sent = 0
    try:
        with smtplib.SMTP(str(cfg["SMTP_HOST"]), int(cfg["SMTP_PORT"] or 25),
                          timeout=float(cfg["SMTP_TIMEOUT_S"] or 10)) as smtp:
            if cfg["SMTP_STARTTLS"]:
                smtp.starttls()
            if cfg["SMTP_USER"]:
                smtp.login(str(cfg["SMTP_USER"]), str(cfg["SMTP_PASSWORD"] or ""))
            for n in notices:
                msg = EmailMessage()
                msg["From"] = str(cfg["SMTP_FROM"])
                msg["To"] = n.to
                msg["Subject"] = n.subject
                msg.set_content(n.body)
                smtp.send_message(msg)
                sent += 1
    except (OSError, smtplib.SMTPException) as e:
        log.warning("referral notices: %d of %d sent (%s)", sent, len(notices),
                    type(e).__name__)
    return sent


def dispatch(notices: list[Notice], cfg: dict | None, background: bool = True) -> None:
    """Send in a background thread (a slow mail server never holds up a page), or now."""
    if not cfg or not notices:
        return
    if background:
        threading.Thread(target=send, args=(list(notices), cfg), daemon=True,
                         name="assetmap-notices").start()
    else:
        send(notices, cfg)


# --- the notices -----------------------------------------------------------------------------
def link_issued(email: str, provider_name: str, link: str, area_name: str) -> Notice:
    """The provider's private link, sent to the address the planner gave for it."""
    return Notice(email, f"Your AssetMap referrals page for {provider_name}",
                  f"{area_name} council has set up a private page for {provider_name} on "
                  "AssetMap.\n\nOpen it to see referrals sent to you, accept or decline them, "
                  f"and keep your vacancies up to date:\n\n{link}\n\nKeep this link to "
                  "yourself: anyone who has it can answer for you. Ask the council for a new "
                  "one if it is lost.\n")


def new_referral(email: str, provider_name: str, referral: dict, service: str) -> Notice:
    """To the provider: a referral is waiting (its case reference, which it may see)."""
    return Notice(email, f"New referral for {provider_name}",
                  f"A new referral for {service} was sent to {provider_name}.\n\n"
                  f"Case reference: {referral['case_ref']}\n"
                  f"Referral number: {referral['id']}\n\n"
                  "Open your private AssetMap page (the link the council sent you) to "
                  "accept or decline it.\n")


def answered(email: str, provider_name: str, referral: dict, service: str) -> Notice:
    """To the referrer: the provider has answered (case reference to its own referrer)."""
    status = STATUSES.get(referral["status"], referral["status"]).lower()
    why = ""
    if referral.get("decline_reason"):
        why = f" (reason: {DECLINE_REASONS.get(referral['decline_reason'], '').lower()})"
    return Notice(email, f"Referral {referral['id']}: {referral['status']}",
                  f"Your referral {referral['id']} for {service} to {provider_name} was "
                  f"{status}{why}.\n\nCase reference: {referral['case_ref']}\n\n"
                  "See it under My referrals on AssetMap.\n")
