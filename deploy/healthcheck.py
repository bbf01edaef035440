"""Container health: `python -m deploy.healthcheck <service>` asks the service
for `ping` over RPC; `python -m deploy.healthcheck gateway` asks /healthz.
Exit 0 when healthy, 1 otherwise (2: unknown name). `--wait SECONDS name...` waits
until every named service is healthy (the local runner uses it).
HEALTHCHECK_TIMEOUT (seconds, default 5) bounds one check; keep it under the
container healthcheck's own timeout."""
import sys
import time
import urllib.request

from services.common.config import SERVICES, env, nameko_config


def check_timeout():
    return float(env("HEALTHCHECK_TIMEOUT", "5"))


def service_healthy(name, timeout=None):
    from nameko.standalone.rpc import ClusterRpcProxy

    from services.common.actors import service
    from services.common.rpc import ActingProxy
    try:
        with ClusterRpcProxy(nameko_config(), timeout=timeout or check_timeout()) as rpc:
            target = ActingProxy(getattr(rpc, name), name)
            return target.ping(service("healthcheck")).get("status") == "ok"
    except Exception:
        return False


def gateway_healthy(timeout=None):
    url = f"http://127.0.0.1:{env('PORT', '8000')}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=timeout or check_timeout()) as response:
            return response.status == 200
    except Exception:
        return False


def healthy(name, timeout=None):
    return gateway_healthy(timeout) if name == "gateway" else service_healthy(name, timeout)


def wait(names, seconds):
    deadline = time.time() + seconds
    for name in names:
        # one attempt never outlives the deadline (an absent service costs a full timeout)
        while not healthy(name, max(0.5, min(check_timeout(), deadline - time.time()))):
            if time.time() > deadline:
                print(f"{name} did not answer within {seconds:.0f}s", file=sys.stderr)
                return 1
            time.sleep(0.3)
    return 0


def main(argv):
    if argv[:1] == ["--wait"] and len(argv) > 2:
        return wait(argv[2:], float(argv[1]))
    name = argv[0] if argv else ""
    if name == "gateway":
        return 0 if gateway_healthy() else 1
    if name in SERVICES:
        return 0 if service_healthy(name) else 1
    print(f"usage: python -m deploy.healthcheck <{'|'.join(SERVICES)}|gateway>", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
