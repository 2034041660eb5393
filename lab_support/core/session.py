"""Starting, resetting and stopping the course's AWS, and the Session object.

>>> import lab_support as lab
>>> aws = lab.start()          # embedded moto: no account, no Docker, no network
>>> aws.client("s3").list_buckets()["Buckets"]
[]
>>> lab.stop()

``start()`` is safe to call again: it returns the running session and keeps
its state, so "Run all" twice works. ``reset()`` empties the account.
"""

from __future__ import annotations

import atexit
import hashlib
import logging
import os
import re
import secrets
import string
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import boto3

from lab_support.core import clock, guard, patching, retry, sweep, urls
from lab_support.core.errors import CredentialsMissing, LabError, NotStarted
from lab_support.core.printed import PrintedList
from lab_support.core.server import EmbeddedServer
from lab_support.core.tags import COURSE_TAG_KEY, COURSE_TAG_VALUE, RUN_TAG_KEY, run_tags

_LOG = logging.getLogger("lab_support.server")  # kept in memory by core.server, never printed
BACKENDS = ("moto", "aws")
DEFAULT_REGION = "us-east-1"
MOTO_ACCOUNT_ID = "123456789012"
# Regions a real-account session may use: the commercial Regions enabled by default in every account (launched
# before 20 March 2019; opt-in Regions must be enabled first, https://docs.aws.amazon.com/accounts/latest/reference/
# manage-acct-regions.html) in which every service the course uses has an endpoint. The narrowest of them is
# Amazon Cognito user pools (https://docs.aws.amazon.com/general/latest/gr/cognito.html); Lambda, API Gateway
# (REST, HTTP, WebSocket), IAM, S3, SQS, SNS, Kinesis, DynamoDB, CloudWatch, CloudWatch Logs, AWS WAF, X-Ray,
# CloudTrail and Elastic Load Balancing are in all of them (read 2026-11-29).
SUPPORTED_REGIONS = (
    "us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1",
    "eu-west-1", "eu-west-2", "eu-west-3", "eu-central-1", "eu-north-1",
    "ap-south-1", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-southeast-1", "ap-southeast-2",
    "sa-east-1",
)
# Fake credentials for the embedded backend: they only have to look like keys.
_KEY_ALPHABET = string.ascii_uppercase + string.digits


def new_credentials() -> dict[str, str]:
    """A fresh access key for one embedded session: ``AKIA`` + 16 characters, as AWS shapes long-term keys.

    The embedded endpoint serves only requests signed with it (or with an execution role's key the runtime
    issued), so another local process cannot use the kernel's AWS by guessing a well-known example key.
    """
    return {
        "AWS_ACCESS_KEY_ID": "AKIA" + "".join(secrets.choice(_KEY_ALPHABET) for _ in range(16)),
        "AWS_SECRET_ACCESS_KEY": secrets.token_urlsafe(30)[:40],
    }

Extension = Callable[["Session"], None]
_EXTENSIONS: list[tuple[str, Extension]] = []


def register_extension(name: str, install: Extension) -> None:
    """Run ``install(session)`` whenever a session starts (and now, if one runs).

    This is the seam through which the local Lambda runtime and the local API
    Gateway attach themselves; they use :meth:`Session.on_reset`,
    :meth:`Session.on_stop` and ``session.server.mount`` to hook in.
    """
    global _EXTENSIONS
    _EXTENSIONS = [(n, f) for n, f in _EXTENSIONS if n != name] + [(name, install)]
    if _SESSION is not None and _SESSION.backend == "moto":
        install(_SESSION)


@dataclass
class _Tracked:
    description: str
    delete: Callable[[], Any]


@dataclass(eq=False)
class Session:
    """The course's AWS: which backend, which region and account, and clients for it.

    Attributes:
        backend: ``"moto"`` (embedded, the default) or ``"aws"`` (a real account).
        region: the AWS Region every client uses.
        account_id: the 12-digit account id (shown masked, ``••••••••9012``, on a real account).
        endpoint_url: the embedded AWS over HTTP; on ``backend="aws"`` the ``AWS_ENDPOINT_URL`` of an
            AWS-compatible endpoint (``python -m lab_support serve``, LocalStack), else ``None`` (AWS itself).
        gateway_url: where deployed APIs answer over HTTP (``None`` on AWS, where each API has its own hostname).
        caller_arn: who the credentials are (STS ``GetCallerIdentity``) on ``backend="aws"``.
        run_id: a short random id of this session; everything it creates is tagged ``lab-run=<run_id>``.
    """

    backend: str
    region: str
    account_id: str
    endpoint_url: str | None = None
    server: Any = field(default=None, repr=False)
    _mock: Any = field(default=None, repr=False)
    _tracked: list[_Tracked] = field(default_factory=list, repr=False)
    _on_reset: list[Callable[[], None]] = field(default_factory=list, repr=False)
    _on_stop: list[Callable[[], None]] = field(default_factory=list, repr=False)
    _saved_env: dict[str, str | None] = field(default_factory=dict, repr=False)
    credentials: dict[str, str] = field(default_factory=dict, repr=False)
    caller_arn: str = field(default="", repr=False)
    run_id: str = field(default_factory=lambda: secrets.token_hex(3), repr=False)

    # -- what a notebook uses -------------------------------------------------
    @property
    def gateway_url(self) -> str | None:
        return self.endpoint_url

    @property
    def tags(self) -> dict[str, str]:
        """The course tag and this run's tag as a map (``{"course": "apigw-lambda-lab", "lab-run": run_id}``),
        for ``Tags=`` arguments that take one."""
        return run_tags(self.run_id)

    @property
    def tag_list(self) -> list[dict[str, str]]:
        """The same tags as ``[{"Key":…, "Value":…}]``."""
        return [{"Key": k, "Value": v} for k, v in self.tags.items()]

    def client(self, service: str, **kwargs: Any) -> Any:
        """A boto3 client for ``service`` in this session's Region (and, on ``backend="aws"`` with
        ``AWS_ENDPOINT_URL``, on that endpoint only)."""
        kwargs.setdefault("region_name", self.region)
        if self.backend == "aws" and self.endpoint_url:
            kwargs.setdefault("endpoint_url", self.endpoint_url)
        return boto3.client(service, **kwargs)

    def resource(self, service: str, **kwargs: Any) -> Any:
        """A boto3 resource for ``service`` in this session's Region (same endpoint rule as :meth:`client`)."""
        kwargs.setdefault("region_name", self.region)
        if self.backend == "aws" and self.endpoint_url:
            kwargs.setdefault("endpoint_url", self.endpoint_url)
        return boto3.resource(service, **kwargs)

    def unique_name(self, prefix: str, *, max_length: int = 63) -> str:
        """``{prefix}-{suffix}``: a name for things whose names are global on AWS (S3 buckets, Cognito domains).

        The suffix is the same for one account and Region, so a re-run finds the same bucket:

        * embedded backend: the account id (``nb02-uploads-123456789012``), as the notebooks always showed;
        * ``backend="aws"``: 8 hex characters of a hash of the account id and Region, so another account's bucket
          cannot collide and the account id does not appear in the name (``nb02-uploads-3f9a1c27``).

        The result is lowercase; it fails (with the fix) if it would be longer than ``max_length`` (S3: 63).
        """
        if self.backend == "moto":
            suffix = self.account_id
        else:
            suffix = hashlib.sha256(f"{COURSE_TAG_VALUE}:{self.account_id}:{self.region}".encode()).hexdigest()[:8]
        name = f"{prefix.lower().rstrip('-')}-{suffix}"
        if len(name) > max_length or not re.fullmatch(r"[a-z0-9][a-z0-9.-]*", name):
            raise LabError(f"unique_name({prefix!r}) gives {name!r}, which is not a valid bucket or domain name.",
                           f"use a shorter prefix of lowercase letters, digits and hyphens (at most "
                           f"{max_length - len(suffix) - 1} characters).")
        return name

    def child_env(self) -> dict[str, str]:
        """Environment variables with which another process reaches this same AWS.

        For the embedded backend: this session's own keys, the Region and
        ``AWS_ENDPOINT_URL`` (honoured by boto3 and the AWS CLI v2). On ``backend="aws"``: the Region (and
        ``AWS_ENDPOINT_URL`` when one is used); the credentials stay where boto3 found them.
        """
        if self.backend != "moto":
            env = {"AWS_DEFAULT_REGION": self.region, "AWS_REGION": self.region}
            if self.endpoint_url:
                env["AWS_ENDPOINT_URL"] = self.endpoint_url
            return env
        assert self.endpoint_url is not None
        return {
            **self.credentials,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_REGION": self.region,
            "AWS_ENDPOINT_URL": self.endpoint_url,
        }

    def stage_url(self, api_id: str, stage: str, path: str = "", *, http_api: bool = False,
                  websocket: bool | None = None) -> str:
        """The URL of a deployed stage, in the form this backend answers.

        Real account: ``https://{api_id}.execute-api.{region}.amazonaws.com/{stage}/{path}``.
        Embedded, and ``backend="aws"`` with ``AWS_ENDPOINT_URL`` (``python -m lab_support serve``, LocalStack):
        ``{endpoint}/restapis/{api_id}/{stage}/_user_request_/{path}``, which curl, Postman and a browser reach
        too. An HTTP API's ``$default`` stage has no stage segment in its URL (pass ``stage="$default"``).

        WebSocket APIs: ``wss://{api_id}.execute-api.{region}.amazonaws.com/{stage}`` on a real account (pass
        ``websocket=True`` there); embedded: ``ws://127.0.0.1:{port}/{api_id}/{stage}`` (recognised by itself);
        on an AWS-compatible endpoint: ``ws://{host}/restapis/{api_id}/{stage}/_user_request_/{path}``.
        """
        if self.backend == "aws" and self.endpoint_url:
            if websocket:
                return urls.endpoint_websocket_url(self.endpoint_url, api_id, stage, path)
            return urls.local_stage_url(self.endpoint_url, api_id, stage, path)
        return urls.stage_url(self.backend, self.region, self.gateway_url, api_id, stage, path, http_api=http_api,
                              websocket=websocket)

    # -- lifecycle hooks for extensions ----------------------------------------
    def on_reset(self, callback: Callable[[], None]) -> None:
        """Call ``callback()`` after :func:`reset` empties the account."""
        self._on_reset.append(callback)

    def on_stop(self, callback: Callable[[], None]) -> None:
        """Call ``callback()`` when the session stops."""
        self._on_stop.append(callback)

    # -- cleanup -----------------------------------------------------------------
    def track(self, description: str, delete: Callable[[], Any], *, once: bool = False) -> None:
        """Remember a resource a notebook created, and how to delete it.

        With ``once=True`` nothing happens if something of the same description is tracked
        already: re-runnable helpers name the resource in the description and pass it.
        """
        if once and any(item.description == description for item in self._tracked):
            return
        self._tracked.append(_Tracked(description, delete))

    def cleanup(self, *, only_this_run: bool = False) -> str:
        """Delete what the course created; returns (and prints) a summary.

        Embedded backend: what was tracked, newest first (``Cleanup: removed N resources created by this
        notebook.``, unchanged). ``backend="aws"``: what was tracked, then every resource in this Region (and every
        IAM role) that carries the course tag, whichever kernel made it (with ``only_this_run=True``: only this
        session's ``lab-run`` tag), in dependency order (:mod:`lab_support.core.sweep`); the summary lists each
        one. Running it again removes nothing and says so.
        """
        if self.backend != "moto":
            return self._cleanup_account(only_this_run=only_this_run)
        removed, failed = 0, []
        while self._tracked:
            item = self._tracked.pop()
            try:
                item.delete()
                removed += 1
            except Exception as err:  # keep going: cleanup must never stop half-way
                failed.append(f"{item.description}: {err}")
        summary = f"Cleanup: removed {removed} resource{'s' if removed != 1 else ''} created by this notebook."
        if failed:
            summary += "\nCould not remove:\n  " + "\n  ".join(failed)
        print(summary)
        return summary

    def _where(self) -> str:
        return f"{'endpoint ' + self.endpoint_url + ', ' if self.endpoint_url else ''}{self.region}"

    def _cleanup_account(self, *, only_this_run: bool) -> str:
        removed: list[str] = []
        failed: list[str] = []
        while self._tracked:
            item = self._tracked.pop()
            try:
                outcome = item.delete()
                if outcome is not False:
                    removed.append(item.description)
            except Exception as err:
                if not sweep.gone(err):  # gone already: nothing to report
                    failed.append(f"{item.description}: {retry.error_code(err) or type(err).__name__}: {err}")
        report = sweep.find(self, run_id=self.run_id if only_this_run else None)
        swept, swept_failed = sweep.delete(self, report)
        removed += [d for d in swept if d not in removed]
        failed += swept_failed
        tag = f"{COURSE_TAG_KEY}={COURSE_TAG_VALUE}"
        if removed:
            n = len(removed)
            lines = [f"Cleanup ({self._where()}): removed {n} resource{'s' if n != 1 else ''} the course created "
                     f"(tag {tag}):", *(f"  - {d}" for d in removed)]
        else:
            lines = [f"Cleanup ({self._where()}): nothing to remove; no resource tagged {tag} is left."]
        if failed:
            lines += ["Could not remove (run lab.cleanup() again in a minute; lab.leftovers() lists what remains):",
                      *(f"  - {f}" for f in failed)]
        if report.other_arns:
            lines += ["Tagged, but not something lab_support deletes (delete it in the AWS console):",
                      *(f"  - {arn}" for arn in report.other_arns)]
        if report.unlisted:
            lines += ["Could not look at (check these in the AWS console):", *(f"  - {u}" for u in report.unlisted)]
        summary = mask_account("\n".join(lines), self.account_id) if self.backend == "aws" else "\n".join(lines)
        print(summary)
        return summary

    def leftovers(self, *, quiet: bool = False) -> list[str]:
        """What the course created that still exists (course tag, any run); prints it unless ``quiet``.

        Each entry reads ``"<kind> <name> (lab-run=<id>)"``; resources only the Resource Groups Tagging API
        knows are listed by ARN. The same listing as :meth:`cleanup`, without deleting anything.
        """
        report = sweep.find(self)
        items = [f.description + (f" (lab-run={f.run})" if f.run else "") for f in report.found]
        items += report.other_arns
        if not quiet:
            tag = f"{COURSE_TAG_KEY}={COURSE_TAG_VALUE}"
            if items:
                text = "\n".join([f"Leftovers ({self._where()}): {len(items)} tagged {tag}:",
                                   *(f"  - {i}" for i in items)])
            else:
                text = f"Leftovers ({self._where()}): none; nothing tagged {tag} remains."
            if report.unlisted:
                text += "\nCould not look at:\n" + "\n".join(f"  - {u}" for u in report.unlisted)
            print(mask_account(text, self.account_id) if self.backend == "aws" else text)
        return PrintedList(items)  # printed already: a notebook shows it once

    # -- context manager -----------------------------------------------------------
    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: Any) -> None:
        stop()

    def __repr__(self) -> str:
        where = f" endpoint={self.endpoint_url}" if self.endpoint_url else ""
        if self.backend == "moto":
            return f"<lab_support.Session backend={self.backend} region={self.region} account={self.account_id}{where}>"
        return (f"<lab_support.Session backend=aws region={self.region} account={mask_account(self.account_id)} "
                f"caller={mask_account(self.caller_arn, self.account_id)} run={self.run_id}{where}>")


def mask_account(text: str, account_id: str | None = None) -> str:
    """``text`` with a 12-digit account id shown as ``••••••••9012`` (the last four digits kept).

    With ``account_id`` only that id is masked; without, ``text`` is taken to be an account id itself.
    The embedded backend's ``123456789012`` is never masked.
    """
    if account_id is None:
        return "••••••••" + text[-4:] if re.fullmatch(r"\d{12}", text) and text != MOTO_ACCOUNT_ID else text
    if not account_id or account_id == MOTO_ACCOUNT_ID:
        return text
    return text.replace(account_id, "••••••••" + account_id[-4:])


_SESSION: Session | None = None
_LOCK = threading.RLock()


def _choose_backend(backend: str | None) -> str:
    chosen = (backend or os.environ.get("LAB_BACKEND") or "moto").strip().lower()
    if chosen not in BACKENDS:
        raise LabError(
            f"Unknown backend {chosen!r}.",
            "use backend='moto' (embedded, the default) or backend='aws' (a real account), "
            "or set LAB_BACKEND to one of those.",
        )
    return chosen


def start(backend: str | None = None, *, region: str | None = None, port: int | None = None,
          open_endpoint: bool = False) -> Session:
    """Start the course's AWS and return the :class:`Session`.

    Args:
        backend: ``"moto"`` (default) or ``"aws"``; if omitted, ``LAB_BACKEND``
            decides, and without it the embedded backend is used.
        region: AWS Region (default ``LAB_REGION`` or ``us-east-1``).
        port: port for the embedded AWS over HTTP (default ``LAB_PORT`` or any free one).
        open_endpoint: serve requests signed with any key, as moto's server and LocalStack do (``python -m
            lab_support serve``). By default the kernel's endpoint serves only this session's own keys (in the
            kernel's environment and :meth:`Session.child_env`) and the execution-role keys the runtime issues;
            deployed APIs (``/restapis/…/_user_request_/…``) stay reachable without a signature, like public APIs.

    Calling ``start()`` again returns the running session unchanged.

    ``backend="aws"`` is never chosen by accident (only by this argument or ``LAB_BACKEND=aws``) and never falls
    back to the embedded backend: it checks the credentials with STS ``GetCallerIdentity`` and the Region
    against :data:`SUPPORTED_REGIONS` (``region``, else ``LAB_REGION``, ``AWS_REGION``, ``AWS_DEFAULT_REGION``,
    the profile's Region, else us-east-1), refuses with the fix when either is wrong, and prints one line:
    Region, account and caller ARN (the account id masked to its last four digits), run id and tags. With
    ``AWS_ENDPOINT_URL`` set it talks only to that endpoint (an AWS-compatible emulator).
    """
    global _SESSION
    chosen = _choose_backend(backend)
    with _LOCK:
        if _SESSION is not None:
            if _SESSION.backend != chosen:
                raise LabError(
                    f"The {_SESSION.backend!r} backend is already running in this kernel.",
                    "call lab_support.stop() first, or restart the kernel, to switch backends.",
                )
            return _SESSION
        if chosen == "aws":
            _SESSION = _start_aws(region)
            # plain boto3 clients in the notebook use the session's Region too (put back by stop())
            # The notebooks' plain boto3 clients: the session's Region, and botocore's standard retries with more
            # attempts, since API Gateway limits some calls per account (DeleteRestApi one per 30 s, CreateDeployment
            # one per 5 s: https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html).
            wanted = {"AWS_REGION": _SESSION.region, "AWS_DEFAULT_REGION": _SESSION.region,
                      "AWS_RETRY_MODE": os.environ.get("AWS_RETRY_MODE") or "standard",
                      "AWS_MAX_ATTEMPTS": os.environ.get("AWS_MAX_ATTEMPTS") or "10"}
            _SESSION._saved_env = {k: os.environ.get(k) for k in wanted}
            os.environ.update(wanted)
            boto3.DEFAULT_SESSION = None
            retry.set_patience(True)
            print(_banner(_SESSION), flush=True)
            return _SESSION
        region = region or os.environ.get("LAB_REGION") or DEFAULT_REGION
        _SESSION = _start_moto(region, port if port is not None else int(os.environ.get("LAB_PORT", "0")),
                               open_endpoint=open_endpoint)
        retry.set_patience(False)  # nothing is eventually consistent in the embedded account: never wait
        for _name, install in list(_EXTENSIONS):
            install(_SESSION)
        return _SESSION


def _start_moto(region: str, port: int, *, open_endpoint: bool = False) -> Session:
    from moto import mock_aws

    server = EmbeddedServer("127.0.0.1", port)
    server.start()  # first: a busy port fails before anything else changes
    credentials = new_credentials()
    if not open_endpoint:
        server.require_keys(lambda key: key == credentials["AWS_ACCESS_KEY_ID"])
    mock = mock_aws()
    mock.start()  # moto puts its own FOOBARKEY in the environment (and takes it out at stop): ours go over it
    saved = _neutralise_environment({**credentials, "AWS_DEFAULT_REGION": region, "AWS_REGION": region})
    guard.install()
    return Session("moto", region, MOTO_ACCOUNT_ID, server.url, server=server, _mock=mock, _saved_env=saved,
                   credentials=credentials)


# Variables that would send the embedded backend's calls elsewhere (another emulator, a real account) or
# make them fail (a profile that does not exist here, a session token for other keys). start() clears them
# and stop() puts them back (https://docs.aws.amazon.com/sdkref/latest/guide/settings-reference.html).
_FOREIGN_SETTINGS = (
    "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_ROLE_ARN",
    "AWS_ROLE_SESSION_NAME", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN", "AWS_CA_BUNDLE",
    "AWS_USE_FIPS_ENDPOINT", "AWS_USE_DUALSTACK_ENDPOINT", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
    "AWS_EC2_METADATA_DISABLED",
)
# The user's config and credentials files can name a profile's endpoint_url or credential_process: the
# embedded backend reads neither (an empty file stands in for both).
_FILE_SETTINGS = ("AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE")


def _neutralise_environment(wanted: dict[str, str]) -> dict[str, str | None]:
    """Set ``wanted``, clear every setting that would redirect or break embedded calls; return what to restore."""
    foreign = [k for k in os.environ if k.startswith("AWS_ENDPOINT_URL")] + list(_FOREIGN_SETTINGS)
    keys = [*wanted, *foreign, *_FILE_SETTINGS]
    saved = {k: os.environ.get(k) for k in dict.fromkeys(keys)}
    for key in foreign:
        os.environ.pop(key, None)
    for key in _FILE_SETTINGS:
        os.environ[key] = os.devnull
    os.environ.update(wanted)
    boto3.DEFAULT_SESSION = None  # a session made before start() would keep the old profile and keys
    return saved


def _aws_region(region: str | None) -> str:
    """The Region a real-account session uses: argument, LAB_REGION, then boto3's own resolution
    (AWS_REGION, AWS_DEFAULT_REGION, the profile), else us-east-1; refused unless it is supported."""
    # botocore reads AWS_DEFAULT_REGION and the profile, not AWS_REGION (which the other SDKs and the CLI use)
    chosen = region or os.environ.get("LAB_REGION") or os.environ.get("AWS_REGION")
    if not chosen:
        try:
            chosen = boto3.Session().region_name
        except Exception:  # a broken profile: the credentials check below says what is wrong
            chosen = None
    chosen = (chosen or DEFAULT_REGION).strip()
    if chosen not in SUPPORTED_REGIONS:
        raise LabError(
            f"LAB_BACKEND=aws: the course does not support the Region {chosen!r}: it needs Lambda, API Gateway "
            "(REST, HTTP, WebSocket), Cognito user pools, AWS WAF, X-Ray and more, in a Region every account has "
            "enabled.",
            f"set LAB_REGION (or AWS_REGION) to one of: {', '.join(SUPPORTED_REGIONS)}.",
        )
    return chosen


def _aws_endpoint() -> str | None:
    """``AWS_ENDPOINT_URL`` (an AWS-compatible endpoint), refusing settings that would send some calls elsewhere."""
    endpoint = (os.environ.get("AWS_ENDPOINT_URL") or "").strip().rstrip("/") or None
    if endpoint is None:
        return None
    if os.environ.get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "").strip().lower() in ("1", "true", "yes"):
        raise LabError("AWS_ENDPOINT_URL is set, but AWS_IGNORE_CONFIGURED_ENDPOINT_URLS tells boto3 to ignore it: "
                       "plain boto3 clients would reach AWS while the course's helpers reach the endpoint.",
                       "unset AWS_IGNORE_CONFIGURED_ENDPOINT_URLS (or unset AWS_ENDPOINT_URL to use AWS itself).")
    others = sorted(k for k, v in os.environ.items()
                    if k.startswith("AWS_ENDPOINT_URL_") and v.strip().rstrip("/") != endpoint)
    if others:
        raise LabError(f"AWS_ENDPOINT_URL is {endpoint}, but {', '.join(others)} send some services elsewhere.",
                       f"unset {', '.join(others)}, so every call goes to the one endpoint.")
    return endpoint


def _start_aws(region: str | None) -> Session:
    """Check the Region, the endpoint and the credentials (STS ``GetCallerIdentity``); every way that can fail
    becomes a :class:`LabError` with the fix. Never falls back to the embedded backend."""
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, ProfileNotFound

    no_account = "or unset LAB_BACKEND to use the embedded backend, which needs no account."
    chosen_region = _aws_region(region)
    endpoint = _aws_endpoint()
    try:
        creds = boto3.Session().get_credentials()
    except ProfileNotFound as err:
        raise CredentialsMissing(f"LAB_BACKEND=aws: {err}.",
                                 f"check AWS_PROFILE against `aws configure list-profiles`; {no_account}") from None
    except BotoCoreError as err:  # a broken config file, an SSO cache boto3 cannot read…
        raise CredentialsMissing(f"LAB_BACKEND=aws: boto3 could not load credentials: {err}",
                                 f"run `aws sso login` (or `aws configure`) again; {no_account}") from None
    if creds is None:
        raise CredentialsMissing(
            "LAB_BACKEND=aws chose a real AWS account, but boto3 found no credentials.",
            f"run `aws configure` (or `aws sso login`), or set AWS_PROFILE; {no_account}",
        )
    sts = boto3.client("sts", region_name=chosen_region, endpoint_url=endpoint,
                       config=Config(connect_timeout=5, read_timeout=10, retries={"max_attempts": 2}))
    try:
        identity = sts.get_caller_identity()
    except ClientError as err:
        code = err.response.get("Error", {}).get("Code", "")
        message = err.response.get("Error", {}).get("Message", str(err))
        fixes = {
            "ExpiredToken": "your temporary credentials have expired: run `aws sso login` (or refresh them) again",
            "ExpiredTokenException": "your temporary credentials have expired: run `aws sso login` again",
            "RequestExpired": "the request's signature expired: check this computer's clock, then try again",
            "InvalidClientTokenId": "AWS does not know this access key: check `aws configure list`, or make a new key",
            "SignatureDoesNotMatch": "the secret access key does not belong to this access key id: run `aws configure`",
        }
        raise CredentialsMissing(f"AWS refused the course's credentials check: {code}: {message}",
                                 f"{fixes.get(code, 'check the credentials with `aws sts get-caller-identity`')}; "
                                 f"{no_account}") from None
    except NoCredentialsError:
        raise CredentialsMissing("LAB_BACKEND=aws: boto3 found no usable credentials.",
                                 f"run `aws configure` (or `aws sso login`); {no_account}") from None
    except BotoCoreError as err:  # offline, DNS, proxy, an SSO token that expired…
        if "token" in type(err).__name__.lower() or "sso" in str(err).lower():
            raise CredentialsMissing(f"LAB_BACKEND=aws: your AWS sign-in has expired ({type(err).__name__}).",
                                     f"run `aws sso login` again; {no_account}") from None
        target = endpoint or f"AWS STS in {chosen_region}"
        raise LabError(f"LAB_BACKEND=aws could not reach {target}: {err}",
                       "check the network (and any proxy); or unset LAB_BACKEND to work offline on the embedded "
                       "backend.") from None
    return Session("aws", chosen_region, str(identity["Account"]), endpoint, caller_arn=str(identity.get("Arn", "")))


def _banner(session: Session) -> str:
    """The line ``start()`` prints on ``backend="aws"``: where, who (masked), and how to clean up."""
    where = f"AWS-compatible endpoint {session.endpoint_url}" if session.endpoint_url else "a real AWS account"
    return (f"LAB_BACKEND=aws: {where}, Region {session.region}, account {mask_account(session.account_id)}, "
            f"caller {mask_account(session.caller_arn, session.account_id)}. Everything the course creates is "
            f"tagged {COURSE_TAG_KEY}={COURSE_TAG_VALUE} and {RUN_TAG_KEY}={session.run_id}; lab.cleanup() "
            f"removes it, lab.leftovers() lists what remains.")


def current() -> Session:
    """The running session; raises :class:`NotStarted` (with the fix) if there is none."""
    if _SESSION is None:
        raise NotStarted(
            "The course's AWS is not started in this kernel.",
            "run `import lab_support as lab; aws = lab.start()` first (the set-up cell at the top).",
        )
    return _SESSION


def reset() -> Session:
    """Empty the embedded account (every bucket, function, API…) and keep running.

    An instructor's "start over". On a real account this refuses: use
    :meth:`Session.cleanup` there.
    """
    session = current()
    if session.backend != "moto":
        raise LabError("reset() only empties the embedded account.", "on a real account use lab.cleanup().")
    session._mock.reset()
    clock.reset_clock()
    clock.seed(0)
    session._tracked.clear()
    for callback in list(session._on_reset):
        callback()
    return session


def stop() -> None:
    """Stop the running session (no error if none runs): server, mock, guard, env."""
    global _SESSION
    with _LOCK:
        session, _SESSION = _SESSION, None
        retry.set_patience(True)
        if session is None:
            return
        if session.backend != "moto":
            _restore_environment(session._saved_env)
            return
        problems: list[str] = []
        for callback in reversed(session._on_stop):
            try:  # a failing extension must not keep the port or the mock: note it and go on
                callback()
            except Exception as err:
                _LOG.exception("an extension's stop failed")
                problems.append(f"{getattr(callback, '__qualname__', callback)}: {err!r}")
        session.server.stop()
        try:
            patching.undo_all()  # every moto patch, newest first, after the on_stop callbacks
        except Exception as err:  # undo_all restores all it can before it raises
            _LOG.exception("moto could not be given all its originals back")
            problems.append(f"patching.undo_all: {err!r}")
        session._mock.stop()
        guard.uninstall()
        _restore_environment(session._saved_env)
    if problems:  # after the whole teardown: the port, the mock and the environment are released already
        raise LabError("lab.stop() finished, but part of the teardown failed: " + "; ".join(problems),
                       "restart the kernel before starting again; the details are in "
                       "lab_support.core.server.recent_problems().")


def _restore_environment(saved: dict[str, str | None]) -> None:
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    boto3.DEFAULT_SESSION = None  # clients made after stop() read the restored settings


atexit.register(stop)  # the interpreter's exit (kernel shutdown, sys.exit) stops workers and removes their code


def cleanup(*, only_this_run: bool = False) -> None:
    """Delete what the course created and print a summary.

    Embedded backend: what this notebook tracked. Real account (``LAB_BACKEND=aws``): everything tagged
    ``course=apigw-lambda-lab`` in the session's Region and the course's IAM roles, whichever run made them.
    See :meth:`Session.cleanup`, which also returns the summary.
    """
    if _SESSION is None:
        print("Cleanup: nothing to do (the course's AWS is not running).")
        return
    _SESSION.cleanup(only_this_run=only_this_run)


def leftovers() -> list[str]:
    """List (and print) what the course created that still exists; see :meth:`Session.leftovers`."""
    return current().leftovers()
