"""Container health: `python -m deploy.healthcheck <service>` asks the service
for `ping` over RPC; `python -m deploy.healthcheck gateway` asks /healthz.
Exit 0 when healthy, 1 otherwise."""
import sys
import urllib.request

from services.common.config import SERVICES, env, nameko_config

TIMEOUT = 5


def service_healthy(name):
    from nameko.standalone.rpc import ClusterRpcProxy
    try:
        with ClusterRpcProxy(nameko_config(), timeout=TIMEOUT) as rpc:
            return getattr(rpc, name).ping().get("status") == "ok"
    except Exception:
        return False


def gateway_healthy():
    url = f"http://127.0.0.1:{env('PORT', '8000')}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT) as response:
            return response.status == 200
    except Exception:
        return False


def main(argv):
    name = argv[0] if argv else ""
    if name == "gateway":
        return 0 if gateway_healthy() else 1
    if name in SERVICES:
        return 0 if service_healthy(name) else 1
    print(f"usage: python -m deploy.healthcheck <{'|'.join(SERVICES)}|gateway>", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
