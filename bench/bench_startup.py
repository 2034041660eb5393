"""What a notebook's set-up cell costs: ``import lab_support``, ``lab.start()``, and the first Lambda / API Gateway call.

    python bench/bench_startup.py [--runs 5]

Each run is a fresh Python process (imports are paid once per process). In it, first a baseline,
``import boto3; boto3.client("s3")``, then ``import lab_support``, ``lab.start()``, the first ``lambda.list_functions()``
and the first ``apigateway.get_rest_apis()``, each timed on its own. moto's API Gateway and Lambda models are imported,
and patched, at their first use (lab_support/core/patching.py), so a notebook that uses neither does not wait for them
in ``lab.start()``. Prints the median of each step in ms and as a ratio to the same process's baseline.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

PROBE = r"""
import json, sys, time

def timed(fn):
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000

result = {}
def baseline():
    import boto3
    boto3.client("s3", region_name="us-east-1")
result["baseline"] = timed(baseline)
def load():
    global lab
    import lab_support as lab
result["import lab_support"] = timed(load)
result["lab.start()"] = timed(lambda: lab.start())
aws = lab.current()
result["first Lambda call"] = timed(lambda: aws.client("lambda").list_functions())
result["first API Gateway call"] = timed(lambda: aws.client("apigateway").get_rest_apis())
lab.stop()
print(json.dumps(result))
"""

STEPS = ("import lab_support", "lab.start()", "first Lambda call", "first API Gateway call")


def run_once() -> dict[str, float]:
    """One fresh process: the timings of the baseline and of each step, in ms."""
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True)
    values = json.loads(done.stdout.strip().splitlines()[-1])
    return {k: float(v) for k, v in values.items() if v is not None}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="fresh processes to measure (default 5)")
    args = parser.parse_args()
    runs = [run_once() for _ in range(args.runs)]
    base = statistics.median(r["baseline"] for r in runs)
    print(f"baseline (import boto3; boto3.client('s3')): {base:7.0f} ms   (median of {args.runs} fresh processes)")
    print(f"{'step':28} {'ms':>8} {'x baseline':>11}")
    for step in STEPS:
        ms = statistics.median(r[step] for r in runs)
        ratio = statistics.median(r[step] / r["baseline"] for r in runs)
        print(f"{step:28} {ms:8.0f} {ratio:11.2f}")


if __name__ == "__main__":
    main()
