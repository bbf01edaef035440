from services.common.migrations import run_env
from services.applications.models import Base

run_env(Base.metadata)
