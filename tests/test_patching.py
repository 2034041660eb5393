"""The one way lab_support changes moto (lab_support/core/patching.py) and the registry of every patch.

* the helper itself, on a throw-away module: lazy application at import, stacking, exact undo in reverse order;
* every patched moto callable keeps the signature the package was written against (moto upgrades fail here);
* docs/SEAMS.md's table is the registry's;
* in a fresh process: start → use every service → stop leaves every touched moto attribute the original object,
  a second start works, and ``lab.start()`` imports neither moto's API Gateway nor its Lambda models.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import lab_support as lab
from lab_support.core import patching

ROOT = Path(__file__).resolve().parent.parent
EXPECTED_GROUPS = {"iam", "private_api", "event_sources", "gateway", "lambda"}


# -- the helper on a module of our own --------------------------------------------------------------------------
TOY = '''
class Base:
    def hello(self, name):
        return f"hello {name}"

class Thing(Base):
    def greet(self, name, punctuation="!"):
        return f"hi {name}{punctuation}"

def helper(x):
    return x + 1

TABLE = {"a": 1}
REGISTERED = []
'''


@pytest.fixture
def toy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh, not yet imported module name ``lab_toy_<n>`` on sys.path; the registry is restored afterwards."""
    name = f"lab_toy_{tmp_path.name.replace('-', '_')}"
    (tmp_path / f"{name}.py").write_text(TOY)
    monkeypatch.syspath_prepend(str(tmp_path))
    saved_groups = dict(patching._GROUPS)
    saved_wanted, saved_applied = list(patching._WANTED), list(patching._APPLIED)
    patching._WANTED.clear()
    patching._APPLIED.clear()
    yield name
    patching.undo_all()
    patching._GROUPS.clear()
    patching._GROUPS.update(saved_groups)
    patching._WANTED.extend(saved_wanted)
    patching._APPLIED.extend(saved_applied)
    if patching._pending():  # undo_all() removed the import hook that the package's waiting patches need
        patching._install_hook()
    sys.modules.pop(name, None)


def _wrap_greet(original: Any) -> Any:
    def greet(self: Any, name: str, punctuation: str = "!") -> str:
        return original(self, name, punctuation).upper()

    return greet


def test_patches_wait_for_their_module_and_undo_restores_the_originals(toy: str) -> None:
    group = patching.group("toy", [
        patching.Patch(f"{toy}:Thing.greet", wrap=_wrap_greet, signature=["self", "name", "punctuation"]),
        patching.Patch(f"{toy}:Thing.hello", replacement=lambda self, name: "patched", signature=["self", "name"]),
        patching.Patch(f"{toy}:helper", replacement=lambda x: x + 2, signature=["x"]),
        patching.Patch(f"{toy}:Thing.added", replacement=lambda self: "new", signature=None),
        patching.Patch(f"{toy}:TABLE", key="b", replacement=2, signature=None),
    ])
    patching.apply(group)
    assert toy not in sys.modules and patching.applied() == []  # nothing imported: nothing applied yet
    assert patching.active(group)
    module = importlib.import_module(toy)  # the hook applies them right after the module ran
    assert [label for _, label in patching.applied()] == [e.label for e in group]
    thing = module.Thing()
    assert thing.greet("ann") == "HI ANN!" and thing.hello("x") == "patched" and thing.added() == "new"
    assert module.helper(1) == 3 and module.TABLE == {"a": 1, "b": 2}
    assert patching.check([group]) == []
    patching.apply(group)  # idempotent
    assert len(patching.applied()) == len(group)

    original_greet, original_helper = vars(module.Thing)["greet"], module.helper
    patching.undo_all()
    assert "hello" not in vars(module.Thing) and "added" not in vars(module.Thing)  # inherited / absent: deleted
    assert vars(module.Thing)["greet"] is not original_greet  # (it was the wrapper)
    assert thing.greet("ann") == "hi ann!" and thing.hello("x") == "hello x"
    assert module.helper is not original_helper and module.helper(1) == 2
    assert module.TABLE == {"a": 1}
    assert not patching.active(group) and patching._FINDER not in sys.meta_path


def test_undo_is_in_reverse_order_and_stacking_must_be_declared(toy: str) -> None:
    module = importlib.import_module(toy)
    moto_own = vars(module.Thing)["greet"]
    seen: list[str] = []

    def tag(label: str) -> Any:
        def wrap(original: Any) -> Any:
            def greet(self: Any, name: str, punctuation: str = "!") -> str:
                seen.append(label)
                return original(self, name, punctuation)

            return greet

        return wrap

    params = ["self", "name", "punctuation"]
    lower = patching.group("lower", [patching.Patch(f"{toy}:Thing.greet", wrap=tag("lower"), signature=params)])
    rogue = patching.group("rogue", [patching.Patch(f"{toy}:Thing.greet", wrap=tag("rogue"), signature=params)])
    upper = patching.group("upper", [patching.Patch(f"{toy}:Thing.greet", wrap=tag("upper"), stacks_on=("lower",),
                                                    signature=params)])
    patching.apply(lower)
    with pytest.raises(patching.PatchConflict, match="stacks_on"):
        patching.apply(rogue)
    patching.undo_all()
    patching.apply(lower)
    patching.apply(upper)
    module.Thing().greet("x")
    assert seen == ["upper", "lower"]
    assert patching.check([lower, upper]) == []  # the pinned signature is moto's own, under both wrappers
    patching.undo_all()
    assert vars(module.Thing)["greet"] is moto_own


def test_registrations_are_undone_and_renewed(toy: str) -> None:
    module = importlib.import_module(toy)

    def add() -> object:
        handle = object()
        module.REGISTERED.append(handle)
        return handle

    group = patching.group("toy", [patching.Registration(f"{toy}:REGISTERED", add=add, remove=module.REGISTERED.remove)])
    patching.apply(group)
    assert len(module.REGISTERED) == 1
    module.REGISTERED.clear()  # as moto's reset empties responses_mock
    patching.renew(group)
    assert len(module.REGISTERED) == 1
    patching.undo_all()
    assert module.REGISTERED == []


def test_a_changed_signature_is_reported(toy: str) -> None:
    group = patching.group("toy", [
        patching.Patch(f"{toy}:Thing.greet", wrap=_wrap_greet, signature=["self", "name"]),
        patching.Patch(f"{toy}:Thing.hello", replacement=None, signature=None),  # "adds" what the class has
    ])
    problems = patching.check([group])
    assert len(problems) == 2
    assert "pinned ['self', 'name']" in problems[0] and "moto has it now" in problems[1]


# -- the package's registry -------------------------------------------------------------------------------------
def test_every_extension_that_patches_moto_declares_its_group() -> None:
    assert set(patching.groups()) >= EXPECTED_GROUPS
    assert {name for name, _ in lab.EXTENSIONS} >= EXPECTED_GROUPS


def test_every_patched_moto_callable_has_its_pinned_signature() -> None:
    """moto's seams are where the package expects them (a moto upgrade that moves one must fail here, loudly)."""
    assert patching.check() == []
    for group in patching.groups().values():
        for entry in group:
            if isinstance(entry, patching.Patch) and entry.key is None and entry.signature is None:
                assert patching.original(entry) is patching.MISSING, f"moto now has {entry.label}"


def test_seams_doc_table_is_the_registry() -> None:
    doc = (ROOT / "docs" / "SEAMS.md").read_text()
    assert patching.table_in(doc) == patching.markdown_table(), (
        "docs/SEAMS.md's patch table differs from the registry: run `python -m lab_support patches --write docs/SEAMS.md`"
    )


def test_sns_publish_stacking_is_declared() -> None:
    publish = [e for g in patching.groups().values() for e in g if e.label == "moto.sns.models:Subscription.publish"]
    assert [e.group for e in publish] == ["event_sources", "iam"] or [e.group for e in publish] == ["iam", "event_sources"]
    upper = next(e for e in publish if e.group == "event_sources")
    assert isinstance(upper, patching.Patch) and upper.stacks_on == ("iam",)


# -- end to end, in fresh processes ----------------------------------------------------------------------------
COMMON = r'''
import io, json, sys, time, zipfile
import boto3, requests

import lab_support as lab
from lab_support.core import patching

HANDLER = """
import json, os
def handler(event, context):
    if os.environ.get("OUT"):
        with open(os.environ["OUT"], "a") as f:
            f.write(json.dumps(event) + "\\n")
    return {"statusCode": 200, "body": json.dumps({"ok": True})}
"""
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


def zipped():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", HANDLER)
    return buffer.getvalue()


def clients(aws, over_http):
    if not over_http:
        return lambda service: aws.client(service)
    keys = aws.child_env()
    return lambda service: boto3.client(service, region_name=aws.region, endpoint_url=aws.endpoint_url,
                                        aws_access_key_id=keys["AWS_ACCESS_KEY_ID"],
                                        aws_secret_access_key=keys["AWS_SECRET_ACCESS_KEY"])


def function(client, name, out=""):
    iam = client("iam")
    try:
        role = iam.get_role(RoleName="patch-role")["Role"]["Arn"]
    except iam.exceptions.NoSuchEntityException:
        role = iam.create_role(RoleName="patch-role", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
        iam.put_role_policy(RoleName="patch-role", PolicyName="all", PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["sqs:*", "logs:*"], "Resource": "*"}]}))
    return client("lambda").create_function(
        FunctionName=name, Runtime="python3.11", Role=role, Handler="app.handler", Code={"ZipFile": zipped()},
        Environment={"Variables": {"OUT": out}})["FunctionArn"]


def invoke(client, name):
    response = client("lambda").invoke(FunctionName=name, Payload=b"{}")
    assert "x-amz-executed-version" in response["ResponseMetadata"]["HTTPHeaders"], response  # the local runtime ran it
    assert json.loads(response["Payload"].read()) == {"statusCode": 200, "body": '{"ok": true}'}


def rest_api(aws, client, fn_arn, name="rest"):
    apigw = client("apigateway")
    api = apigw.create_rest_api(name=name)["id"]
    root = apigw.get_resources(restApiId=api)["items"][0]["id"]
    res = apigw.create_resource(restApiId=api, parentId=root, pathPart="hi")["id"]
    apigw.put_method(restApiId=api, resourceId=res, httpMethod="GET", authorizationType="NONE")
    uri = f"arn:aws:apigateway:{aws.region}:lambda:path/2015-03-31/functions/{fn_arn}/invocations"
    apigw.put_integration(restApiId=api, resourceId=res, httpMethod="GET", type="AWS_PROXY",
                          integrationHttpMethod="POST", uri=uri)
    apigw.update_integration(restApiId=api, resourceId=res, httpMethod="GET",
                             patchOperations=[{"op": "replace", "path": "/timeoutInMillis", "value": "10000"}])
    assert apigw.get_integration(restApiId=api, resourceId=res, httpMethod="GET")["timeoutInMillis"] == 10000
    client("lambda").add_permission(FunctionName=fn_arn, StatementId=f"apigw-{name}", Action="lambda:InvokeFunction",
                                    Principal="apigateway.amazonaws.com")
    apigw.create_deployment(restApiId=api, stageName="prod")
    return api


def http_api(aws, client, fn_arn):
    v2 = client("apigatewayv2")
    api = v2.create_api(Name="http", ProtocolType="HTTP")["ApiId"]
    integration = v2.create_integration(ApiId=api, IntegrationType="AWS_PROXY", IntegrationUri=fn_arn,
                                        PayloadFormatVersion="2.0")["IntegrationId"]
    v2.create_route(ApiId=api, RouteKey="GET /hi", Target=f"integrations/{integration}")
    v2.create_stage(ApiId=api, StageName="prod")
    v2.create_deployment(ApiId=api, StageName="prod")
    return api


def get(url, **kwargs):
    answer = requests.get(url, timeout=30, **kwargs)
    assert answer.status_code == 200, (url, answer.status_code, answer.text)
    return answer
'''

ORIGINALS = COMMON + r'''
# Before the first start: every moto owner the registry names, and everything it holds, by identity.
def owners():
    found = []
    for group in patching.groups().values():
        for entry in group:
            if isinstance(entry, patching.Patch):
                owner, _ = patching._resolve(entry)
                if all(o is not owner for o in found):
                    found.append(owner)
    return found

OWNERS = owners()
def snapshot():
    return [dict(o) if isinstance(o, dict) else dict(vars(o)) for o in OWNERS]
BEFORE = snapshot()
SIGNATURES = patching.check()
assert SIGNATURES == [], SIGNATURES

aws = lab.start()
assert patching.applied(), "lab.start() applies the patches (the modules are imported already)"
assert sorted({g for g, _ in patching.applied()}) == ["cloudtrail", "cloudwatch", "event_sources", "gateway", "iam", "lambda",
                                                      "private_api", "xray"]
client = clients(aws, over_http=False)
tmp = sys.argv[1]

# Lambda create + invoke
fn = function(client, "fn")
invoke(client, "fn")
# S3 notification -> Lambda
pushed = function(client, "pushed", out=f"{tmp}/pushed.jsonl")
lam, s3, sns, sqs = client("lambda"), client("s3"), client("sns"), client("sqs")
s3.create_bucket(Bucket="patch-bucket")
lam.add_permission(FunctionName="pushed", StatementId="s3", Action="lambda:InvokeFunction",
                   Principal="s3.amazonaws.com", SourceArn="arn:aws:s3:::patch-bucket")
s3.put_bucket_notification_configuration(Bucket="patch-bucket", NotificationConfiguration={
    "LambdaFunctionConfigurations": [{"LambdaFunctionArn": pushed, "Events": ["s3:ObjectCreated:*"],
                                      "Filter": {"Key": {"FilterRules": [{"Name": "Prefix", "Value": "in/"}]}}}]})
s3.put_object(Bucket="patch-bucket", Key="in/x.txt", Body=b"x")
# SNS -> Lambda
topic = sns.create_topic(Name="patch-topic")["TopicArn"]
lam.add_permission(FunctionName="pushed", StatementId="sns", Action="lambda:InvokeFunction",
                   Principal="sns.amazonaws.com", SourceArn=topic)
sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=pushed)
sns.publish(TopicArn=topic, Message="hello")
# SQS event source mapping
url = sqs.create_queue(QueueName="patch-queue")["QueueUrl"]
queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
lam.create_event_source_mapping(FunctionName="pushed", EventSourceArn=queue_arn, BatchSize=1)
sqs.send_message(QueueUrl=url, MessageBody="queued")
lab.wait_idle(60)
kinds = []
with open(f"{tmp}/pushed.jsonl") as lines:
    for line in lines:
        record = json.loads(line)["Records"][0]
        kinds.append(record.get("eventSource") or record.get("EventSource"))
assert sorted(kinds) == ["aws:s3", "aws:sns", "aws:sqs"], kinds
# REST API: deployment, request in the kernel and over HTTP; update_integration (inside rest_api)
api = rest_api(aws, client, fn)
get(f"https://{api}.execute-api.{aws.region}.amazonaws.com/prod/hi")
get(aws.stage_url(api, "prod", "hi"))
# HTTP API: deployment and request
v2_api = http_api(aws, client, fn)
get(aws.stage_url(v2_api, "prod", "hi", http_api=True))
# PRIVATE API without a policy: deploying is refused
apigw = client("apigateway")
private = apigw.create_rest_api(name="private", endpointConfiguration={"types": ["PRIVATE"]})["id"]
root = apigw.get_resources(restApiId=private)["items"][0]["id"]
apigw.put_method(restApiId=private, resourceId=root, httpMethod="GET", authorizationType="NONE")
apigw.put_integration(restApiId=private, resourceId=root, httpMethod="GET", type="MOCK")
try:
    apigw.create_deployment(restApiId=private, stageName="prod")
except apigw.exceptions.BadRequestException as err:
    assert "resource policy" in str(err)
else:
    raise AssertionError("a PRIVATE API without a policy deployed")

import responses
from moto.core.models import responses_mock
# the gateway's execute-api callbacks are the only plain responses.CallbackResponse (moto registers a subclass)
assert [r for r in responses_mock.registered() if type(r) is responses.CallbackResponse]
lab.stop()


# What moto and Python themselves add to classes as they are used (not patches): moto's per-class instance
# registry, created at the first instance, the empty __annotations__ dict Python creates when asked for it, and
# the __slotnames__ list copyreg caches on a class the first time one of its objects is deep-copied (the gateway's
# deployment snapshots deep-copy moto's Integration, a patched class).
BOOKKEEPING = {"instances_tracked", "__annotations__", "__slotnames__"}


def changed():
    found = []
    for owner, was, now in zip(OWNERS, BEFORE, snapshot()):
        label = getattr(owner, "__name__", type(owner).__name__)
        for key in sorted((set(was) | set(now)) - BOOKKEEPING, key=str):
            if key not in was or key not in now or was[key] is not now[key]:
                found.append(f"{label}.{key}")
    return found


assert not changed(), f"not restored after stop: {changed()}"
assert patching.applied() == [] and patching._FINDER not in sys.meta_path
assert not [r for r in responses_mock.registered() if type(r) is responses.CallbackResponse]

# A second start works: a Lambda invoke and a gateway request.
aws = lab.start()
client = clients(aws, over_http=True)
fn = function(client, "fn2")
invoke(client, "fn2")
api = rest_api(aws, client, fn, name="again")
get(aws.stage_url(api, "prod", "hi"))
get(f"https://{api}.execute-api.{aws.region}.amazonaws.com/prod/hi")
lab.stop()
assert not changed(), f"not restored after the second stop: {changed()}"
print("OK")
'''

LAZY = COMMON + r'''
HEAVY = ("moto.apigateway.models", "moto.apigatewayv2.models", "moto.awslambda.models")
aws = lab.start()
imported = [m for m in HEAVY if m in sys.modules]
assert not imported, f"lab.start() imported {imported}"
# moto.core is loaded at start: CloudTrail's recorder of every call is on at once (no service model imported)
assert patching.applied() == [("cloudtrail", "moto.core.responses:BaseResponse.call_action"),
                              ("gateway", "moto.core.models:responses_mock")], patching.applied()
# First use over the embedded HTTP server: moto imports its models in the server's thread, the hook patches them.
client = clients(aws, over_http=True)
fn = function(client, "lazy")
invoke(client, "lazy")
api = rest_api(aws, client, fn)  # update_integration (added by the patch) over HTTP
get(aws.stage_url(api, "prod", "hi"))
v2_api = http_api(aws, client, fn)  # the deployment routes are in moto's apigatewayv2 URL map
get(aws.stage_url(v2_api, "prod", "hi", http_api=True))
# ... and in the kernel
kernel = clients(aws, over_http=False)
invoke(kernel, "lazy")
get(f"https://{api}.execute-api.{aws.region}.amazonaws.com/prod/hi")
groups = {g for g, _ in patching.applied()}
# (the gateway writes its metrics to moto's CloudWatch: the cloudwatch group is applied then)
assert groups == {"cloudtrail", "cloudwatch", "event_sources", "gateway", "iam", "lambda", "private_api", "xray"}, groups
lab.stop()
for group in patching.groups().values():
    for entry in group:
        if isinstance(entry, patching.Patch) and entry.key is None:
            owner, name = patching._resolve(entry)
            value = vars(owner).get(name, patching.MISSING)
            if entry.signature is None or entry.label.endswith("LambdaResponse._enrich_response"):
                assert value is patching.MISSING, entry.label
            else:
                value = getattr(value, "__func__", value)
                assert value.__module__.startswith("moto."), (entry.label, value)
print("OK")
'''


def _run(script: str, tmp_path: Path) -> None:
    path = tmp_path / "scenario.py"
    path.write_text(textwrap.dedent(script))
    done = subprocess.run([sys.executable, str(path), str(tmp_path)], capture_output=True, text=True, timeout=300,
                          cwd=ROOT)
    assert done.returncode == 0 and done.stdout.strip().endswith("OK"), done.stdout[-3000:] + done.stderr[-6000:]


def test_stop_gives_moto_back_every_original_object_and_a_second_start_works(tmp_path: Path) -> None:
    _run(ORIGINALS, tmp_path)


def test_start_defers_the_heavy_moto_models_and_first_use_is_patched(tmp_path: Path) -> None:
    _run(LAZY, tmp_path)
