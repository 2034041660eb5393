"""Command line: ``python -m lab_support serve --port 4566``, ``python -m lab_support check`` and
``python -m lab_support patches --markdown`` (the moto patch table of docs/SEAMS.md).

``serve`` runs the embedded AWS standalone (the same thing a notebook kernel
serves from a background thread), so the AWS CLI, curl or Postman can reach it
without a notebook open.
"""

from __future__ import annotations

import argparse
import sys
import threading

from lab_support.core import patching, session
from lab_support.core.errors import LabError
from lab_support.course.envcheck import check_environment


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lab_support", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve the embedded AWS over HTTP until Ctrl-C")
    serve.add_argument("--port", type=int, default=4566, help="port on 127.0.0.1 (0: any free port; default 4566)")
    serve.add_argument("--region", default=None, help="AWS Region (default LAB_REGION or us-east-1)")
    sub.add_parser("check", help="check Python and the course's packages")
    sub.add_parser("patches", add_help=False, help="the moto patch registry: --markdown, --write FILE, --check")
    args, rest = parser.parse_known_args(argv)
    if args.command == "patches":
        return patching.main(rest)
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")

    if args.command == "check":
        return 1 if check_environment() else 0

    try:
        aws = session.start("moto", region=args.region, port=args.port, open_endpoint=True)
    except LabError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"Embedded AWS ({aws.region}, account {aws.account_id}) at {aws.endpoint_url}", flush=True)
    print(f"Use it with: export AWS_ENDPOINT_URL={aws.endpoint_url}   (Ctrl-C stops)", flush=True)
    print("Open endpoint: any local process may use it, with any keys (as moto's server and LocalStack); "
          "a notebook kernel's own endpoint accepts only its session's keys.", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        session.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
