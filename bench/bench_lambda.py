"""Latency of the local Lambda runtime next to moto's own no-code invoke, measured in the same run.

    python bench/bench_lambda.py [--cold 15] [--warm 200]

* moto alone, ``mock_aws(config={"lambda": {"use_docker": False}})``: Invoke only echoes the payload (no code
  runs). "first" = the first invoke after create_function, "warm" = later ones.
* moto alone with code execution stubbed: moto's own Invoke path (``LambdaBackend.invoke`` ->
  ``LambdaFunction.invoke`` -> ``_invoke_lambda``) where only the Docker run inside ``_invoke_lambda`` is
  replaced by returning the event: the baseline the local runtime's warm invoke is compared with.
* local runtime (``lab.start()``): "cold" = first invoke of a new function (a worker process starts and
  imports the handler), "warm" = later invokes reusing the environment.

All go through boto3 in this process (moto's in-process mock), one run; prints p50/p99 in ms and the ratios.
"""

from __future__ import annotations

import argparse
import json
import statistics
from collections.abc import Callable
from typing import Any

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


def stub_invoke_lambda(self: Any, event: Any = None) -> tuple[str, bool, str]:
    """moto's ``LambdaFunction._invoke_lambda`` without running code: the log group it ensures, then the event back."""
    self.logs_backend.ensure_log_group(self.logs_group_name)
    return (event if isinstance(event, str) else json.dumps(event if event is not None else {})), False, ""


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

    # 2. moto alone, code execution stubbed out (the ratio's baseline)
    from moto.awslambda.models import LambdaFunction

    original = LambdaFunction.__dict__["_invoke_lambda"]
    LambdaFunction._invoke_lambda = stub_invoke_lambda  # type: ignore[method-assign]
    try:
        with mock_aws():
            stub_first, stub_warm = run(lab.lambda_zip, args.cold, args.warm, "stub")
    finally:
        LambdaFunction._invoke_lambda = original  # type: ignore[method-assign]

    # 3. the local runtime
    lab.start()
    try:
        local_cold, local_warm = run(lab.lambda_zip, args.cold, args.warm, "local")
    finally:
        lab.stop()

    rows = [("moto echo, first invoke", moto_first), ("moto echo, warm", moto_warm),
            ("moto stubbed, first invoke", stub_first), ("moto stubbed, warm", stub_warm),
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
    print(f"warm / moto stubbed warm: p50 x{pct(local_warm, .5) / pct(stub_warm, .5):.1f}, "
          f"p99 x{pct(local_warm, .99) / pct(stub_warm, .99):.1f}")


if __name__ == "__main__":
    main()
