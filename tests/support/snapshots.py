"""A test database's rows kept once and put back before each test, for suites
whose world is slow to build (argon2 hashes, hundreds of journeys); and every
row of it, to show that a refused call changed nothing."""
from sqlalchemy import MetaData, text


def dump(engine):
    """-> (tables, {table: [row dicts]}) of every table but alembic's."""
    tables = MetaData()
    tables.reflect(engine)
    with engine.connect() as conn:
        return tables, {t.name: [dict(r._mapping) for r in conn.execute(t.select())]
                        for t in tables.sorted_tables if t.name != "alembic_version"}


def restore(engine, saved):
    """Puts the dumped rows back into the emptied tables, and each sequence past
    its table's highest id."""
    tables, rows = saved
    with engine.begin() as conn:
        for table in tables.sorted_tables:
            if rows.get(table.name):
                conn.execute(table.insert(), rows[table.name])
        serials = conn.execute(text(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = 'public' AND column_default LIKE 'nextval%'")).all()
        for table, column in serials:
            conn.execute(text(
                f"SELECT setval(pg_get_serial_sequence('\"{table}\"', '{column}'), "
                f"COALESCE((SELECT max(\"{column}\") FROM \"{table}\"), 0) + 1, false)"))


def everything(engine):
    """{table: its rows, sorted} of every table but alembic's (new tables included)."""
    with engine.connect() as conn:
        tables = [r[0] for r in conn.execute(text(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
            "AND tablename <> 'alembic_version' ORDER BY tablename"))]
        return {t: sorted(map(repr, conn.execute(text(f'SELECT * FROM "{t}"')))) for t in tables}
