"""Health pages: for load balancers, compose health checks and the benchmark."""
from flask import Blueprint, current_app, jsonify

from services.common.actors import ANONYMOUS

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """Answers without any RPC nor waiting on anything, whatever the services
    do: the circuits open in this process are read from memory."""
    return jsonify(status="ok",
                   open_circuits=current_app.extensions["rpc_pool"].guards.open_circuits())


@bp.get("/healthz/rpc")
def healthz_rpc():
    """Answers after one RPC round trip (catalog.ping)."""
    answer = current_app.extensions["remote"].catalog.ping(ANONYMOUS)
    return jsonify(status="ok", catalog=answer["status"])
