"""Error codes of the notifications service (see services/README.md)."""
FORBIDDEN = "forbidden"
