"""Run notebooks in real-account mode (``LAB_BACKEND=aws``) and check they leave nothing behind.

Against the course's own stand-in for AWS (the default; what ``make test`` and CI do)::

    .venv/bin/python tools/run_aws_mode.py              # every notebook
    .venv/bin/python tools/run_aws_mode.py 00 01        # some of them

starts ``python -m lab_support serve`` on a free port, and runs each notebook with nbclient (executing it, not
comparing outputs) in a kernel whose environment has ``LAB_BACKEND=aws``, ``AWS_ENDPOINT_URL`` pointing at that
server, dummy keys and no AWS profile or config file. After each notebook it asks the server what the course
left (``lab.leftovers()``: resources tagged ``course=apigw-lambda-lab``), prints what the notebook's own
``lab.cleanup()`` removed and what remains, and removes the remains so the next notebook starts clean.

Against a real account (``make check-aws``; costs money)::

    .venv/bin/python tools/run_aws_mode.py --real [NN ...]

uses the credentials boto3 finds (``AWS_PROFILE``, ``aws configure``, SSO) and no endpoint, prints the account
(masked) and Region and the cost notice of the chosen notebooks, and asks for confirmation unless ``YES=1``.

Exit status 0 only if every notebook ran to the end and nothing tagged remained after it.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
sys.path.insert(0, str(ROOT))


@dataclass
class Outcome:
    """What happened to one notebook."""

    notebook: str
    ran: bool = False
    seconds: float = 0.0
    error: str | None = None          # the first failing cell: "cell N: Ename: message"
    failing_source: str | None = None  # that cell's first lines
    cleanup_output: str = ""          # what the notebook's own lab.cleanup() printed
    left_behind: list[str] = field(default_factory=list)  # tagged resources after the notebook

    @property
    def ok(self) -> bool:
        return self.ran and not self.left_behind


def notebook_paths(selection: list[str]) -> list[Path]:
    """``["00", "01_what_is_an_api"]`` → paths; empty → every ``notebooks/NN_*.ipynb``."""
    every = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    if not selection:
        return every
    chosen = []
    for item in selection:
        key = Path(item).name.removesuffix(".ipynb")
        matches = [p for p in every if p.stem == key or p.stem.startswith(key.zfill(2) + "_") or p.stem == key]
        if not matches:
            raise SystemExit(f"no notebook matches {item!r} (have: {', '.join(p.stem for p in every)})")
        chosen += matches
    return chosen


@contextmanager
def lab_server() -> Iterator[str]:
    """``python -m lab_support serve --port 0`` in a child process; yields its URL, stops it afterwards."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k != "LAB_BACKEND"}
    proc = subprocess.Popen([sys.executable, "-m", "lab_support", "serve", "--port", "0"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        match = re.search(r"at (http://127\.0\.0\.1:\d+)", first)
        if not match:
            raise SystemExit(f"python -m lab_support serve did not start: {first}{proc.stdout.read()[:2000]}")
        yield match.group(1)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def aws_mode_env(endpoint: str | None, region: str) -> dict[str, str]:
    """The environment a notebook kernel gets: ``LAB_BACKEND=aws`` and, for the stand-in, the endpoint and
    dummy keys with no profile or config file (so nothing reaches a real account by accident)."""
    env = dict(os.environ)
    env.update({"LAB_BACKEND": "aws", "LAB_REGION": region, "PYTHONPATH": str(ROOT)})
    if endpoint is not None:
        for key in [k for k in env if k.startswith("AWS_")]:
            del env[key]
        env.update({
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_DEFAULT_REGION": region,
            "AWS_REGION": region,
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        })
    return env


def _text_of(outputs: list[dict]) -> str:
    parts = []
    for out in outputs:
        if out.get("output_type") == "stream":
            parts.append(out.get("text", ""))
        elif "data" in out and "text/plain" in out["data"]:
            parts.append(out["data"]["text/plain"])
    return "".join(parts).strip()


def run_notebook(path: Path, env: dict[str, str], *, timeout: int) -> Outcome:
    """Execute one notebook (a copy; the repository's file is not touched)."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    outcome = Outcome(path.stem)
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(NOTEBOOKS)}})
    started = time.monotonic()
    try:
        with tempfile.TemporaryDirectory() as home:  # a kernel's own files (matplotlib cache…) stay out of $HOME
            client.execute(env={**env, "MPLCONFIGDIR": home})
        outcome.ran = True
    except CellExecutionError as err:
        index = next((i for i, c in enumerate(nb.cells) if c.cell_type == "code" and any(
            o.get("output_type") == "error" for o in c.get("outputs", []))), None)
        if index is not None:
            error = next(o for o in nb.cells[index].outputs if o.get("output_type") == "error")
            outcome.error = f"cell {index}: {error.get('ename')}: {str(error.get('evalue'))[:300]}"
            outcome.failing_source = "\n".join(nb.cells[index].source.splitlines()[:6])
        else:
            outcome.error = str(err).strip().splitlines()[-1][:300]
    except Exception as err:  # a kernel that died, a timeout…
        outcome.error = f"{type(err).__name__}: {str(err)[:300]}"
    outcome.seconds = round(time.monotonic() - started, 1)
    cleanup_cells = [c for c in nb.cells if c.cell_type == "code" and "lab.cleanup()" in c.source]
    if cleanup_cells and outcome.ran:  # (a cell that did not run keeps the output stored in the file)
        outcome.cleanup_output = _text_of(cleanup_cells[-1].get("outputs", []))
    return outcome


def sweep_after(outcome: Outcome) -> None:
    """Record what the notebook left (tagged resources), then remove it so the next notebook starts clean."""
    import lab_support as lab

    aws = lab.current()
    # on the stand-in everything is the course's; a real account may hold the student's own execution logs
    outcome.left_behind = aws.leftovers(quiet=True) + (untagged_leftovers() if aws.endpoint_url else [])
    if outcome.left_behind:
        with contextlib.redirect_stdout(io.StringIO()):  # the list above says what goes
            aws.cleanup()


def untagged_leftovers() -> list[str]:
    """What the course causes but cannot tag, left after a notebook: API Gateway's execution-log groups and the
    account's CloudWatch role setting pointing at a role that no longer exists."""
    import lab_support as lab
    from lab_support.core.sweep import EXECUTION_LOGS

    logs = lab.current().client("logs")
    found = [f"log group {g['logGroupName']} (API Gateway execution log)"
             for page in logs.get_paginator("describe_log_groups").paginate(logGroupNamePrefix=EXECUTION_LOGS)
             for g in page.get("logGroups", [])]
    role_arn, role_exists = lab.observability.logging_role_setting()
    if role_arn and not role_exists:
        found.append(f"API Gateway account setting cloudwatchRoleArn -> deleted role {role_arn.rsplit('/', 1)[-1]}")
    return found


def confirm_real(paths: list[Path]) -> None:
    """Print who and where (masked) and what it costs; ask unless YES=1."""
    import lab_support as lab

    if os.environ.get("AWS_ENDPOINT_URL"):
        raise SystemExit("--real runs against AWS itself: unset AWS_ENDPOINT_URL (or drop --real to use the stand-in).")
    lab.start("aws")  # prints Region, masked account and caller; refuses bad credentials or Regions
    for path in paths:
        lab.costs(path.stem[:2])
    if os.environ.get("YES") == "1":
        return
    answer = input("This creates (and then deletes) billable resources in the account above. Type yes to go on: ")
    if answer.strip().lower() != "yes":
        raise SystemExit("stopped: nothing was created.")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", help="NN or notebook names (default: all)")
    parser.add_argument("--real", action="store_true", help="a real AWS account instead of the stand-in")
    parser.add_argument("--region", default=os.environ.get("LAB_REGION", "us-east-1"))
    parser.add_argument("--timeout", type=int, default=600, help="seconds per cell (default 600)")
    parser.add_argument("--report", type=Path, help="write the outcomes as JSON here")
    args = parser.parse_args(argv)
    paths = notebook_paths(args.notebooks)

    saved_env = dict(os.environ)
    try:
        return _run(args, paths)
    finally:  # this process's environment as it was (the tests call main() in their own process)
        import boto3

        import lab_support as lab

        lab.stop()
        os.environ.clear()
        os.environ.update(saved_env)
        boto3.DEFAULT_SESSION = None


def _run(args: argparse.Namespace, paths: list[Path]) -> int:
    import lab_support as lab

    outcomes: list[Outcome] = []
    with contextlib.nullcontext() if args.real else lab_server() as endpoint:
        if args.real:
            os.environ["LAB_REGION"] = args.region
            confirm_real(paths)
            env = aws_mode_env(None, args.region)
        else:
            env = aws_mode_env(endpoint, args.region)
            os.environ.clear()  # this process too: its clients reach only the stand-in, with the dummy keys
            os.environ.update(env)
            lab.start("aws")  # the harness's own session: leftovers() and cleanup() against the server
        for path in paths:
            print(f"\n=== {path.stem} (LAB_BACKEND=aws{', real account' if args.real else ', ' + str(endpoint)})",
                  flush=True)
            outcome = run_notebook(path, env, timeout=args.timeout)
            sweep_after(outcome)
            outcomes.append(outcome)
            print(f"ran to the end: {'yes' if outcome.ran else 'NO'} ({outcome.seconds} s)")
            if outcome.error:
                print(f"failed at {outcome.error}")
                if outcome.failing_source:
                    print("  " + outcome.failing_source.replace("\n", "\n  "))
            if outcome.cleanup_output:
                print("the notebook's lab.cleanup() said:\n  " + outcome.cleanup_output.replace("\n", "\n  "))
            if outcome.left_behind:
                print(f"LEFT BEHIND ({len(outcome.left_behind)}), now removed:\n  - "
                      + "\n  - ".join(outcome.left_behind))
            else:
                print("left behind: nothing")
    print("\n=== summary")
    for outcome in outcomes:
        status = "ok" if outcome.ok else ("FAILED" if not outcome.ran else "LEFT RESOURCES")
        print(f"{outcome.notebook:45} {status:15} {outcome.error or ''}")
    if args.report:
        args.report.write_text(json.dumps([asdict(o) for o in outcomes], indent=2) + "\n", encoding="utf-8")
    return 0 if all(o.ok for o in outcomes) else 1


if __name__ == "__main__":
    raise SystemExit(main())
