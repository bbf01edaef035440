"""Validation of what administrators send, and serialisation of what
notifications returns."""
from datetime import date, datetime, time, timezone

from services.common.errors import ValidationFailed

from . import domain


def mail(row):
    return {"id": row.id, "code": row.code, "subject": row.subject, "body": row.body,
            "to": row.to_address, "status": row.status, "audience": row.audience,
            "candidate_id": row.candidate_id, "centre": row.centre_code,
            "error": row.error if row.status in ("failed", "refused", "unconfirmed") else None,
            "created_at": row.created_at.isoformat() if row.created_at else None,
            "sent_at": row.sent_at.isoformat() if row.sent_at else None,
            "attempts": row.attempts, "message_id": row.message_id,
            "last_attempt_at": row.last_attempt_at.isoformat() if row.last_attempt_at else None,
            "next_attempt_at": row.next_attempt_at.isoformat() if row.next_attempt_at else None}


def since(value):
    """An ISO date (its start, Paris time) or datetime; None stays None."""
    if value in (None, ""):
        return None
    try:
        if "T" in str(value):
            parsed = datetime.fromisoformat(str(value))
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
        day = date.fromisoformat(str(value))
    except ValueError:
        raise ValidationFailed("invalid_date", "since: an ISO date", {"since": "invalid_date"})
    return datetime.combine(day, time(0), tzinfo=domain.PARIS)


def ids(values):
    if values is None:
        return None
    try:
        return [int(v) for v in values]
    except (TypeError, ValueError):
        raise ValidationFailed("invalid_ids", "mail ids are numbers", {"ids": "invalid"})


def version(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValidationFailed("invalid_version", "a version number", {"version": "invalid"})


def template_key(code, lang):
    if code not in domain.CODE_VARIABLES or lang not in domain.LANGUAGES:
        raise ValidationFailed("unknown_template", "no such mail code or language",
                               {"code": "unknown_template"})
    return code, lang


def template_text(subject, body):
    subject, body = (subject or "").strip(), (body or "").replace("\r\n", "\n")
    fields = {}
    if not subject:
        fields["subject"] = "required"
    elif len(subject) > 300:
        fields["subject"] = "too_long"
    if not body.strip():
        fields["body"] = "required"
    if fields:
        raise ValidationFailed("invalid_template", "subject and body are required", fields)
    return subject, body


def check_template(code, lang, subject, body):
    """ValidationFailed `template_syntax` / `unknown_variable` / ... with the
    field, and the line in `fields["line"]` and the message."""
    try:
        domain.check_template(code, lang, subject, body)
    except domain.TemplateProblem as problem:
        raise ValidationFailed(problem.kind, str(problem),
                               {problem.field: problem.kind, "line": str(problem.line),
                                "detail": str(problem.detail)[:200]})


def version_dict(row):
    return {"version": row.version, "action": row.action, "reverted_from": row.reverted_from,
            "subject": row.subject, "body": row.body, "author_id": row.author_id,
            "author_name": row.author_name,
            "created_at": row.created_at.isoformat() if row.created_at else None}


def template_summary(code, lang, latest):
    edited = latest is not None and latest.subject is not None
    return {"code": code, "lang": lang, "edited": edited,
            "version": latest.version if latest else 0,
            "author_name": latest.author_name if latest else None,
            "updated_at": latest.created_at.isoformat() if latest else None}


def template(code, lang, versions, default, variables):
    latest = versions[0] if versions else None
    edited = latest is not None and latest.subject is not None
    subject, body = (latest.subject, latest.body) if edited else default
    return {"code": code, "lang": lang, "subject": subject, "body": body, "edited": edited,
            "version": latest.version if latest else 0,
            "default_subject": default[0], "default_body": default[1],
            "variables": variables, "versions": [version_dict(v) for v in versions]}
