# Every process of the platform imports this package first: its console and
# logs stay free of noise from the libraries (services/common/logs.py).
from services.common.logs import quiet_console

quiet_console()
