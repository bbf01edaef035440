"""Serialisation of what notifications returns."""


def mail(row):
    return {"id": row.id, "code": row.code, "subject": row.subject, "body": row.body,
            "to": row.to_address, "status": row.status,
            "created_at": row.created_at.isoformat() if row.created_at else None,
            "sent_at": row.sent_at.isoformat() if row.sent_at else None,
            "attempts": row.attempts, "message_id": row.message_id,
            "last_attempt_at": row.last_attempt_at.isoformat() if row.last_attempt_at else None,
            "next_attempt_at": row.next_attempt_at.isoformat() if row.next_attempt_at else None}
