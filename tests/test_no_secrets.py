"""No secrets in what the course publishes: stored notebook outputs and the built site (``_site/``).

Looked for (https://docs.aws.amazon.com/IAM/latest/UserGuide/security-creds-programmatic-access.html and the
identifier formats in https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html):

* access key ids: ``AKIA`` (long-term) or ``ASIA`` (temporary) and 16 more upper-case letters or digits;
* secret access keys: 40 base64 characters after a secret-ish name (``secret``, ``SecretAccessKey``…);
* session tokens: a long base64 value after a token-ish name, or the prefixes AWS session tokens start with;
* 12-digit account ids (in ARNs, queue URLs, or after an account-ish name) other than moto's
  ``123456789012`` and the placeholder ids AWS's documentation uses.

The embedded backend makes random ``AKIA…`` keys for every session (``core/session.py``): nothing may print them.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
SITE = ROOT / "_site"

# Placeholders AWS's documentation uses (not anyone's account) and moto's default account.
ALLOWED_ACCOUNTS = {"123456789012", "111122223333", "444455556666", "555555555555", "111111111111",
                    "222222222222", "000000000000", "999999999999"}
ALLOWED_KEYS = {"AKIAIOSFODNN7EXAMPLE", "AKIAI44QH8DHBEXAMPLE", "ASIAIOSFODNN7EXAMPLE"}
ALLOWED_SECRETS = {"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY"}

ACCESS_KEY = re.compile(r"(?<![A-Z0-9])((?:AKIA|ASIA)[A-Z0-9]{16})(?![A-Z0-9])")
SECRET = re.compile(r"(?i)(?:secret[_ ]?(?:access[_ ]?)?key|secretaccesskey|aws_secret_access_key|\bsecret)"
                    r"[\"'\s:=>]{1,6}([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+])")
TOKEN = re.compile(r"(?i)(?:session[_ ]?token|security[_ ]?token|sessiontoken)[\"'\s:=>]{1,6}([A-Za-z0-9/+=]{80,})")
TOKEN_PREFIX = re.compile(r"(IQoJb3JpZ2lu[A-Za-z0-9/+=]{20,}|FwoGZXIvYXdz[A-Za-z0-9/+=]{20,}|FQoGZXIvYXdz[A-Za-z0-9/+=]{20,})")
ACCOUNT = re.compile(
    r"arn:aws[a-z-]*:[a-z0-9-]*:[a-z0-9-]*:(\d{12})(?=[:/])"               # in an ARN
    r"|amazonaws\.com/(\d{12})/"                                          # in an SQS queue URL
    r"|(?i:account[_ ]?id|\baccount|sourceaccount|ownerid|owner)[\"'\s:=]{1,6}(\d{12})(?!\d)"
)


def _outputs(nb_path: Path) -> Iterator[tuple[str, str]]:
    """(where, text) for every stored output of a notebook."""
    nb = json.loads(nb_path.read_text(encoding="utf-8"))
    for index, cell in enumerate(nb.get("cells", [])):
        for output in cell.get("outputs", []):
            where = f"{nb_path.name} cell {index}"
            if "text" in output:
                yield where, "".join(output["text"]) if isinstance(output["text"], list) else output["text"]
            for mime, data in output.get("data", {}).items():
                if mime.startswith("image/"):
                    continue
                yield where, "".join(data) if isinstance(data, list) else json.dumps(data) if not isinstance(
                    data, str) else data
            if "traceback" in output:
                yield where, "\n".join(output["traceback"])
            if "evalue" in output:
                yield where, str(output["evalue"])


def _site_files(site: Path = SITE) -> Iterator[tuple[str, str]]:
    if not site.is_dir():
        return
    for path in sorted(site.rglob("*")):
        if path.is_file() and path.suffix in {".html", ".htm", ".js", ".json", ".txt", ".md", ".ipynb", ".xml",
                                              ".css", ".py", ".yaml", ".yml"}:
            yield str(path.relative_to(site.parent)), path.read_text(encoding="utf-8", errors="replace")


def findings(where: str, text: str) -> list[str]:
    """What in ``text`` looks like a secret or someone's account id (each with where it was)."""
    found = []
    for match in ACCESS_KEY.finditer(text):
        if match.group(1) not in ALLOWED_KEYS:
            found.append(f"{where}: access key id {match.group(1)[:8]}…")
    for match in SECRET.finditer(text):
        if match.group(1) not in ALLOWED_SECRETS:
            found.append(f"{where}: secret access key {match.group(1)[:4]}…")
    for pattern in (TOKEN, TOKEN_PREFIX):
        for match in pattern.finditer(text):
            found.append(f"{where}: session token {match.group(1)[:12]}…")
    for match in ACCOUNT.finditer(text):
        account = next(g for g in match.groups() if g)
        if account not in ALLOWED_ACCOUNTS:
            found.append(f"{where}: account id …{account[-4:]} in {match.group(0)[:60]!r}")
    return found


def test_the_scanner_finds_what_it_should() -> None:
    sample = ('{"AccessKeyId": "AKIAZ7Q2EXAMPLE0ABCD", "SecretAccessKey": "abcdEFGHijklMNOPqrstUVWXyz0123456789+/AB",'
              ' "SessionToken": "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQD", '
              '"Arn": "arn:aws:iam::210987654321:role/x", "ok": "arn:aws:iam::123456789012:role/y"}')
    kinds = [f.split(": ", 1)[1].split(" ")[0] for f in findings("sample", sample)]
    assert kinds.count("access") == 1 and kinds.count("secret") == 1 and kinds.count("session") == 1
    assert kinds.count("account") == 1
    assert findings("doc", "arn:aws:iam::111122223333:role/x AKIAIOSFODNN7EXAMPLE") == []
    assert findings("moto", "arn:aws:lambda:us-east-1:123456789012:function:f requestTimeEpoch 1700000000000") == []


@pytest.mark.parametrize("nb_path", NOTEBOOKS, ids=lambda p: p.stem)
def test_stored_notebook_outputs_hold_no_secrets(nb_path: Path) -> None:
    problems = [f for where, text in _outputs(nb_path) for f in findings(where, text)]
    assert problems == [], "\n".join(problems)


def test_built_site_holds_no_secrets(tmp_path: Path) -> None:
    """The site as `make site` builds it (built here into a temporary folder when _site/ is absent, as in CI)."""
    site = SITE
    if not site.is_dir():
        site = tmp_path / "_site"
        subprocess.run([sys.executable, str(ROOT / "tools" / "build_site.py"), "--out", str(site)], check=True,
                       capture_output=True, timeout=300)
    problems = [f for where, text in _site_files(site) for f in findings(where, text)]
    assert problems == [], "\n".join(problems[:50])
