"""Development pages: the mails the local SMTP sink received (APP_ENV=development)."""
from flask import Blueprint, current_app, render_template

from deploy.local.mailbox import read_mails

from ..security import dev_only

bp = Blueprint("dev", __name__, url_prefix="/dev")


@bp.get("/mails")
@dev_only
def mails():
    return render_template("dev/mails.html", mails=read_mails(current_app.config["MAIL_SINK_DIR"]))
