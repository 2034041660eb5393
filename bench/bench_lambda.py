"""Latency of the local Lambda runtime next to moto's own no-code invoke, measured in the same run.

    python bench/bench_lambda.py [--cold 15] [--warm 200]

* moto alone, ``mock_aws(config={"lambda": {"use_docker": False}})``: Invoke only echoes the payload (no code
  runs). "first" = the first invoke after create_function, "warm" = later ones.
* local runtime (``lab.start()``): "cold" = first invoke of a new function (a worker process starts and
  imports the handler), "warm" = later invokes reusing the environment.

Both go through boto3 in this process (moto's in-process mock); prints p50/p99 in ms and the ratios.
"""

from __future__ import annotations

import argparse
import json
import statistics
from collections.abc import Callable

from stats import pct, timed  # bench/stats.py (the script's folder is on sys.path)

HANDLER = "def handler(event, context):\n    return {'echo': event}\n"
ROLE_TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}


def run(make_zip: Callable[[str], bytes], cold_n: int, warm_n: int, prefix: str) -> tuple[list[float], list[float]]:
    import boto3

    iam = boto3.client("iam", region_name="us-east-1")
    lam = boto3.client("lambda", region_name="us-east-1")
    try:
        role = iam.get_role(RoleName="bench-role")["Role"]["Arn"]
    except iam.exceptions.NoSuchEntityException:
        role = iam.create_role(RoleName="bench-role", AssumeRolePolicyDocument=json.dumps(ROLE_TRUST))["Role"]["Arn"]
    cold: list[float] = []
    for i in range(cold_n):
        name = f"{prefix}-{i}"
        lam.create_function(FunctionName=name, Runtime="python3.12", Role=role, Handler="app.handler",
                            Code={"ZipFile": make_zip(HANDLER)})
        cold.append(timed(lambda name=name: lam.invoke(FunctionName=name, Payload=b'{"n": 1}')["Payload"].read()))
        if i >= 1:  # keep at most two environments alive
            lam.delete_function(FunctionName=f"{prefix}-{i - 1}")
    name = f"{prefix}-{cold_n - 1}"
    warm = [timed(lambda: lam.invoke(FunctionName=name, Payload=b'{"n": 1}')["Payload"].read()) for _ in range(warm_n)]
    return cold, warm


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cold", type=int, default=15)
    parser.add_argument("--warm", type=int, default=200)
    args = parser.parse_args()

    from moto import mock_aws

    import lab_support as lab

    # 1. moto alone, echo mode
    with mock_aws(config={"lambda": {"use_docker": False}}):
        moto_first, moto_warm = run(lab.lambda_zip, args.cold, args.warm, "moto")

    # 2. the local runtime
    lab.start()
    try:
        local_cold, local_warm = run(lab.lambda_zip, args.cold, args.warm, "local")
    finally:
        lab.stop()

    rows = [("moto echo, first invoke", moto_first), ("moto echo, warm", moto_warm),
            ("local runtime, cold start", local_cold), ("local runtime, warm", local_warm)]
    print(f"{'':28} {'n':>5} {'p50 ms':>9} {'p99 ms':>9} {'mean ms':>9}")
    for label, samples in rows:
        print(f"{label:28} {len(samples):5d} {pct(samples, .5):9.2f} {pct(samples, .99):9.2f} "
              f"{statistics.fmean(samples):9.2f}")
    print()
    print(f"cold / moto first : p50 x{pct(local_cold, .5) / pct(moto_first, .5):.1f}, "
          f"p99 x{pct(local_cold, .99) / pct(moto_first, .99):.1f}")
    print(f"warm / moto warm  : p50 x{pct(local_warm, .5) / pct(moto_warm, .5):.1f}, "
          f"p99 x{pct(local_warm, .99) / pct(moto_warm, .99):.1f}")


if __name__ == "__main__":
    main()
