"""Read the mails an SMTP sink folder holds (dev page /dev/mails, tests)."""
import email
import email.policy
import re
from pathlib import Path

LINK = re.compile(r"https?://[^\s<>\"']+")


def read_mails(folder):
    """Mails in the folder, newest first, as dicts."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    mails = []
    for path in sorted(folder.glob("*.eml"), reverse=True):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        body = message.get_body(preferencelist=("plain", "html"))
        text = body.get_content() if body is not None else ""
        mails.append({
            "id": path.stem,
            "to": str(message.get("To", "")),
            "from": str(message.get("From", "")),
            "subject": str(message.get("Subject", "")),
            "date": str(message.get("Date", "")),
            "code": str(message.get("X-Mail-Code", "")),
            "body": text,
            "links": LINK.findall(text),
            "attachments": [part.get_filename() for part in message.iter_attachments()],
        })
    return mails
