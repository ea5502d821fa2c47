#!/usr/bin/env python3
"""The per-call benchmark of bench_clusters_get through the Python binding.

    bench_python.py BASE_URL ITERATIONS WARMUP

One libdbx.Client; ITERATIONS calls of client.clusters.get (which also converts the answer to
the Cluster dataclass) after WARMUP untimed ones, each call timed alone with perf_counter_ns.
Prints "wall.py.us <median microseconds per call>" (the format of bench_clusters_get's
--results). Every answer is checked (cluster id and state) so errors are never measured.
"""
import os
import sys
import time

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "bindings", "python"))
import libdbx  # noqa: E402

CLUSTER_ID = "0123-456789-bench000"


def main():
    url, iterations, warmup = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    with libdbx.Client(host=url, token="dapi-bench", no_env=True, no_config_file=True) as c:
        get = c.clusters.get
        for _ in range(warmup):
            get(CLUSTER_ID)
        samples = []
        clock = time.perf_counter_ns
        for _ in range(iterations):
            t0 = clock()
            cl = get(CLUSTER_ID)
            samples.append(clock() - t0)
            if cl.cluster_id != CLUSTER_ID or cl.state != "RUNNING":
                sys.exit("bench_python: unexpected answer %r %r" % (cl.cluster_id, cl.state))
    samples.sort()
    n = len(samples)
    med = samples[n // 2] if n % 2 else (samples[n // 2 - 1] + samples[n // 2]) / 2
    print("wall.py.us %.3f" % (med / 1000.0))


if __name__ == "__main__":
    main()
