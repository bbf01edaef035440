"""The gateway: Flask app serving the candidate portal, the staff review
portal and the dev pages, talking to the services through a pool of RPC
clients. It holds no business rules: it authenticates, checks the session's
scope, renders, and translates typed remote errors."""
from .app import create_app

__all__ = ["create_app"]
