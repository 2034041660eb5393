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
import logging
import os
import secrets
import string
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import boto3

from lab_support.core import clock, guard, patching, urls
from lab_support.core.errors import CredentialsMissing, LabError, NotStarted
from lab_support.core.server import EmbeddedServer
from lab_support.core.tags import tag_list, tags

_LOG = logging.getLogger("lab_support.server")  # kept in memory by core.server, never printed
BACKENDS = ("moto", "aws")
DEFAULT_REGION = "us-east-1"
MOTO_ACCOUNT_ID = "123456789012"
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
        account_id: the 12-digit account id.
        endpoint_url: the embedded AWS over HTTP (``None`` on a real account).
        gateway_url: where deployed APIs answer over HTTP on this machine
            (``None`` on a real account, where each API has its own hostname).
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

    # -- what a notebook uses -------------------------------------------------
    @property
    def gateway_url(self) -> str | None:
        return self.endpoint_url

    @property
    def tags(self) -> dict[str, str]:
        """The course tag as a map, for ``Tags=`` arguments that take one."""
        return tags()

    @property
    def tag_list(self) -> list[dict[str, str]]:
        """The course tag as ``[{"Key":…, "Value":…}]``."""
        return tag_list()

    def client(self, service: str, **kwargs: Any) -> Any:
        """A boto3 client for ``service`` in this session's Region."""
        kwargs.setdefault("region_name", self.region)
        return boto3.client(service, **kwargs)

    def resource(self, service: str, **kwargs: Any) -> Any:
        """A boto3 resource for ``service`` in this session's Region."""
        kwargs.setdefault("region_name", self.region)
        return boto3.resource(service, **kwargs)

    def child_env(self) -> dict[str, str]:
        """Environment variables with which another process reaches this same AWS.

        For the embedded backend: this session's own keys, the Region and
        ``AWS_ENDPOINT_URL`` (honoured by boto3 and the AWS CLI v2).
        """
        if self.backend != "moto":
            return {"AWS_DEFAULT_REGION": self.region, "AWS_REGION": self.region}
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
        Embedded: ``{gateway_url}/restapis/{api_id}/{stage}/_user_request_/{path}``, which
        curl, Postman and a browser reach too. An HTTP API's ``$default`` stage has
        no stage segment in its URL (pass ``stage="$default"``).

        WebSocket APIs: ``wss://{api_id}.execute-api.{region}.amazonaws.com/{stage}`` on a real account (pass
        ``websocket=True`` there); embedded: ``ws://127.0.0.1:{port}/{api_id}/{stage}`` (recognised by itself).
        """
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

    def cleanup(self) -> str:
        """Delete what was tracked, newest first; returns (and prints) a summary."""
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

    # -- context manager -----------------------------------------------------------
    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: Any) -> None:
        stop()

    def __repr__(self) -> str:
        where = f" endpoint={self.endpoint_url}" if self.endpoint_url else ""
        return f"<lab_support.Session backend={self.backend} region={self.region} account={self.account_id}{where}>"


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
        region = region or os.environ.get("LAB_REGION") or DEFAULT_REGION
        if chosen == "aws":
            _SESSION = _start_aws(region)
            return _SESSION
        _SESSION = _start_moto(region, port if port is not None else int(os.environ.get("LAB_PORT", "0")),
                               open_endpoint=open_endpoint)
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


def _start_aws(region: str) -> Session:
    """Check the credentials with STS ``GetCallerIdentity``; every way that can fail becomes a :class:`LabError`."""
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, ProfileNotFound

    no_account = "or unset LAB_BACKEND to use the embedded backend, which needs no account."
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
    sts = boto3.client("sts", region_name=region,
                       config=Config(connect_timeout=5, read_timeout=10, retries={"max_attempts": 2}))
    try:
        account = sts.get_caller_identity()["Account"]
    except ClientError as err:
        code = err.response.get("Error", {}).get("Code", "")
        message = err.response.get("Error", {}).get("Message", str(err))
        fixes = {
            "ExpiredToken": "your temporary credentials have expired: run `aws sso login` (or refresh them) again",
            "ExpiredTokenException": "your temporary credentials have expired: run `aws sso login` again",
            "InvalidClientTokenId": "AWS does not know this access key: check `aws configure list`, or make a new key",
            "SignatureDoesNotMatch": "the secret access key does not belong to this access key id: run `aws configure`",
        }
        raise CredentialsMissing(f"AWS refused the course's credentials check: {code}: {message}",
                                 f"{fixes.get(code, 'check the credentials with `aws sts get-caller-identity`')}; "
                                 f"{no_account}") from None
    except NoCredentialsError:
        raise CredentialsMissing("LAB_BACKEND=aws: boto3 found no usable credentials.",
                                 f"run `aws configure` (or `aws sso login`); {no_account}") from None
    except BotoCoreError as err:  # offline, DNS, proxy, expired SSO token…
        raise LabError(f"LAB_BACKEND=aws could not reach AWS STS in {region}: {err}",
                       "check the network (and any proxy) and that the Region exists; or unset LAB_BACKEND to work "
                       "offline on the embedded backend.") from None
    return Session("aws", region, account)


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
        if session is None or session.backend != "moto":
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
        for key, value in session._saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        boto3.DEFAULT_SESSION = None  # clients made after stop() read the restored settings
    if problems:  # after the whole teardown: the port, the mock and the environment are released already
        raise LabError("lab.stop() finished, but part of the teardown failed: " + "; ".join(problems),
                       "restart the kernel before starting again; the details are in "
                       "lab_support.core.server.recent_problems().")


atexit.register(stop)  # the interpreter's exit (kernel shutdown, sys.exit) stops workers and removes their code


def cleanup() -> None:
    """Delete what this notebook created through ``lab_support`` and print a summary.

    See :meth:`Session.cleanup`, which also returns the summary.
    """
    if _SESSION is None:
        print("Cleanup: nothing to do (the course's AWS is not running).")
        return
    _SESSION.cleanup()
