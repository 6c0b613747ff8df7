"""E-mails of the partners app. Partners read English or Chinese, so every e-mail carries
both: the subject in both languages, the body in English then Chinese."""

from __future__ import annotations

import logging
import smtplib

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils.translation import override

logger = logging.getLogger(__name__)

LANGUAGES = ("en", "zh-hans")


def send_bilingual(*, template: str, context: dict, to: list[str]) -> bool:
    """Send ``partners/email/<template>_subject.txt`` and ``_body.txt`` to ``to``. A mail
    server failure is logged, not raised: the business change it reports is already made."""
    subjects, bodies = [], []
    for language in LANGUAGES:
        with override(language):
            subjects.append(render_to_string(f"partners/email/{template}_subject.txt", context).strip())
            bodies.append(render_to_string(f"partners/email/{template}_body.txt", context).strip())
    subject = settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + " / ".join(dict.fromkeys(subjects))
    body = "\n\n----------------------------------------\n\n".join(bodies) + "\n"
    try:
        send_mail(subject, body, None, to)
    except (OSError, smtplib.SMTPException):
        logger.exception("could not send the %s e-mail", template)
        return False
    return True
