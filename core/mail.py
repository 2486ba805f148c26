"""Sending an email: through the SMTP server the settings name, or, with none configured (in
development), to the log. Sending never raises: the caller records what happened."""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage

from core.settings import Settings

log = logging.getLogger("flourish.mail")

#: Seconds to wait for the mail server before giving up on one message.
TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class Sent:
    ok: bool
    #: "smtp" or "console"; for a failure, why, in words.
    how: str


def send_email(settings: Settings, to: str, subject: str, body: str) -> Sent:
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    if not settings.smtp_host:
        log.info("Email not sent (no SMTP_HOST): to %s, subject %r\n%s", to, subject, body)
        return Sent(True, "console")
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=TIMEOUT_SECONDS) as smtp:
            if settings.smtp_starttls:
                smtp.starttls()
            if settings.smtp_user and settings.smtp_password:
                smtp.login(settings.smtp_user, settings.smtp_password)
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        log.warning("Email to %s failed: %s", to, exc)
        return Sent(False, f"{type(exc).__name__}: {exc}"[:300])
    return Sent(True, "smtp")
