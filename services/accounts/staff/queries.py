"""Reads of the staff users."""
from sqlalchemy import select

from ..models import StaffUser


def staff_by_login(session, login):
    return session.execute(select(StaffUser).where(
        StaffUser.login == login.strip().lower())).scalar_one_or_none()


def staff_users(session):
    return session.scalars(select(StaffUser).order_by(StaffUser.login)).all()


def staff_user(session, staff_id, lock=False):
    if isinstance(staff_id, bool) or not str(staff_id).isdigit():
        return None
    query = select(StaffUser).where(StaffUser.id == int(staff_id))
    if lock:
        query = query.with_for_update()
    return session.execute(query).scalar_one_or_none()
