"""make bench: gateway pages with and without an RPC, and nameko RPC against a
raw pika request/reply, each pair measured in this one run."""
import argparse

from .amqp_roundtrip import nameko_roundtrips, pika_roundtrips
from .http_load import load
from .stack import running_gateway


def row(name, result):
    return (f"  {name:34} {result['per_second']:9.0f}/s   p50 {result['p50_ms']:7.2f} ms"
            f"   p99 {result['p99_ms']:7.2f} ms   n={result['count']}")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="short run (smoke)")
    args = parser.parse_args()
    seconds, calls = (2.0, 300) if args.quick else (8.0, 2000)

    with running_gateway() as stack:
        # warm both paths (pool clients, reply queues) before measuring
        load(stack["port"], "/healthz/rpc", threads=4, seconds=1.0)
        plain = load(stack["port"], "/healthz", seconds=seconds)
        with_rpc = load(stack["port"], "/healthz/rpc", seconds=seconds)
        config = {"AMQP_URI": stack["amqp_uri"], "serializer": "json"}
        nameko = nameko_roundtrips(config, calls)
        raw = pika_roundtrips(stack["amqp_uri"], calls)

    print("\nGateway (gunicorn gthread 2x8, 8 keep-alive clients, same machine)")
    print(row("GET /healthz      (no RPC)", plain))
    print(row("GET /healthz/rpc  (one RPC)", with_rpc))
    print(f"  ratio requests/s no-RPC : one-RPC      = {plain['per_second'] / with_rpc['per_second']:.2f}")
    print(f"  ratio p50 one-RPC : no-RPC             = {with_rpc['p50_ms'] / plain['p50_ms']:.2f}")
    print(f"  errors: {plain['errors'] + with_rpc['errors']}")
    print(f"\nAMQP request/reply, {calls} sequential calls on the same broker")
    print(row("nameko RPC (catalog.ping)", nameko))
    print(row("raw pika request/reply", raw))
    print(f"  ratio p50 nameko : pika                = {nameko['p50_ms'] / raw['p50_ms']:.2f}")
    print(f"  ratio calls/s pika : nameko            = {raw['per_second'] / nameko['per_second']:.2f}")


if __name__ == "__main__":
    main()
