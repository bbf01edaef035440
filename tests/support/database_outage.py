"""A service's database going away and coming back, as when its server restarts."""
from sqlalchemy import create_engine, text


def allow_connections(engine, allowed):
    name = engine.url.database
    admin = create_engine(engine.url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {str(allowed).lower()}'))
        if not allowed:  # and the open ones go, as when the server restarts
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE datname = :name AND pid <> pg_backend_pid()"),
                         {"name": name})
    admin.dispose()
