"""What every service shares: configuration, database sessions with the
transactional outbox, typed errors, actor checks, the clock and the launcher.

One way to do each of these across the platform; services import from here.
"""
