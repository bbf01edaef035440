"""Latency summaries."""


def percentile(sorted_values, fraction):
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(fraction * (len(sorted_values) - 1))))
    return sorted_values[index]


def summary(latencies, elapsed):
    values = sorted(latencies)
    return {"count": len(values), "per_second": len(values) / elapsed if elapsed else 0.0,
            "p50_ms": percentile(values, 0.50) * 1000, "p99_ms": percentile(values, 0.99) * 1000}
