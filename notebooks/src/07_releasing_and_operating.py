# %% [markdown] slideshow={"slide_type": "slide"}
# # 07 · Releasing and operating an API
#
# An API that works on your laptop is half the job. This notebook ships a new release of one REST API without
# breaking the old one (stages, stage variables, Lambda aliases, a canary), then watches it run: logs, metrics,
# an alarm that sends a message, a trace, and the audit trail of who changed what.
#
# **Learning objectives**
# - run a `dev` and a `prod` stage of one API whose stage variable picks a Lambda alias, and grant each alias its
#   permission
# - release through a canary: send 10 % of `prod` to a new deployment, measure the split, roll back, promote
# - read execution logs and access logs (JSON and CLF) from CloudWatch Logs, and find a failure's cause in them
# - query the `AWS/ApiGateway` metrics of a stage and plot them
# - raise a CloudWatch alarm on `5XXError` that notifies an SNS topic (and a queue behind it), and predict when an
#   "M out of N" alarm fires
# - trace a request with X-Ray and find who changed the API with CloudTrail
#
# **Time**: about 95 minutes
#
# **Prerequisites**: [02 · Lambda invocation and permissions](02_lambda_invocation_and_permissions.ipynb) (versions,
# aliases, resource-based policies), [04 · API Gateway architecture](04_api_gateway_architecture.ipynb) (stages,
# deployments, OpenAPI) and [05 · Integrations](05_integrations.ipynb) (Lambda proxy integrations).

# %% slideshow={"slide_type": "skip"}
import lab_support as lab
aws = lab.start()
lab.use_course_style()
aws

# %% [markdown] slideshow={"slide_type": "skip"}
# What this notebook creates, and what it costs: on a real account `lab.costs` lists the billable resources with
# their prices; here, on the embedded backend, it prints one line.

# %% slideshow={"slide_type": "skip"}
lab.costs("07")

# %% [markdown] slideshow={"slide_type": "notes"}
# **Speaker notes.** Run all cells before presenting (about 40 s). Everything a student does is plain boto3, so
# the cells run on a real account with `LAB_BACKEND=aws` (on AWS, turn on execution logging's account role first:
# section 3). Minutes of alarm periods pass with `clock.advance(60)`: the course clock jumps, nobody waits (on a
# real account the cells that move it skip, with one line that says why: AWS's minutes are real). API ids,
# request ids and times vary from run to run: the stored outputs hold the values of the run that stored them
# (strict nbval masks them when it compares, through `tests/nbval_sanitize.cfg`).

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1 · Stages and stage variables
#
# A **stage** is a named reference to a **deployment** (a frozen snapshot of the API's resources and methods) plus
# settings of its own: stage variables, logging, tracing, throttling, a canary
# ([Set up a stage for a REST API](https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-stages.html)).
# A **stage variable** is a name–value pair a method can read: written as `${stageVariables.alias}` in an
# integration URI, it lets one API definition call a different backend from each stage
# ([Use stage variables](https://docs.aws.amazon.com/apigateway/latest/developerguide/stage-variables.html)).
# Here one function gets three aliases (notebook 02): `dev` follows `$LATEST`, `prod` and `next` point at
# published, immutable versions:
#
# ```mermaid
# flowchart LR
#     devStage["stage dev<br/>alias = dev"] --> devAlias{{"alias dev"}} --> latest["$LATEST<br/>(work in progress)"]
#     prodStage["stage prod<br/>alias = prod"] --> prodAlias{{"alias prod"}} --> v1["version 1<br/>release 1.0"]
#     nextAlias{{"alias next"}} --> v2["version 2<br/>release 2.0"]
# ```

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### A function that says which release answered
#
# The handler reads its release from the environment variable `RELEASE` and names the alias it was called
# through (the last part of `invoked_function_arn`). A published version freezes code *and* configuration, so
# version 1 keeps `RELEASE=1.0` for ever
# ([Lambda function versions](https://docs.aws.amazon.com/lambda/latest/dg/configuration-versions.html)).

# %% slideshow={"slide_type": "-"}
# %%lambda_handler release_code
import json
import os


def handler(event, context):
    if (event.get("queryStringParameters") or {}).get("fail"):
        raise RuntimeError("asked to fail")  # a proxy integration turns this into 502
    alias = context.invoked_function_arn.split(":")[-1]
    body = {"release": os.environ["RELEASE"], "alias": alias}
    return {"statusCode": 200, "body": json.dumps(body)}

# %% [markdown] slideshow={"slide_type": "subslide"}
# `publish_release(name, code, "1.0")` (from `lab.operations`) deploys the code with `RELEASE=1.0`
# and calls `publish_version(Description="release 1.0")`; on a re-run it finds that version instead of publishing
# another. `set_alias` is `create_alias`, or `update_alias` when the alias exists.

# %% slideshow={"slide_type": "-"}

lam = aws.client("lambda")
v1 = lab.operations.publish_release("nb07-release", release_code, "1.0")
v2 = lab.operations.publish_release("nb07-release", release_code, "2.0")  # $LATEST now holds release 2.0
for alias_name, version in [("dev", "$LATEST"), ("prod", v1), ("next", v2)]:
    lab.operations.set_alias("nb07-release", alias_name, version)
print({a["Name"]: a["FunctionVersion"] for a in lam.list_aliases(FunctionName="nb07-release")["Aliases"]})

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The API, from an OpenAPI definition
#
# Notebook 04 built a REST API method by method; here the same `GET /` Lambda proxy integration comes from an
# OpenAPI definition (`proxy_api_definition`, from `lab.openapi`). The point of this section is its
# integration URI: the function's ARN ends in `:${stageVariables.alias}`, so each stage fills in an alias.

# %% slideshow={"slide_type": "-"}
import json


apig = aws.client("apigateway")
fn_arn = lam.get_function_configuration(FunctionName="nb07-release")["FunctionArn"]
definition = lab.openapi.proxy_api_definition({"GET /": fn_arn + ":${stageVariables.alias}"}, title="nb07-releases")
print(definition["paths"]["/"]["get"]["x-amazon-apigateway-integration"]["uri"])

# %% [markdown] slideshow={"slide_type": "subslide"}
# `rest_api(..., fresh=True)` (notebook 05) gives a new, tagged, empty API on every run; `put_rest_api` with
# `mode="overwrite"` writes the definition into it
# ([PutRestApi](https://docs.aws.amazon.com/apigateway/latest/api/API_PutRestApi.html)). Each
# `create_deployment(stageName=..., variables=...)` then deploys it to a stage with its variables.

# %% slideshow={"slide_type": "-"}

api_id = lab.api_builders.rest_api("nb07-releases", fresh=True, endpointConfiguration={"types": ["REGIONAL"]})
apig.put_rest_api(restApiId=api_id, mode="overwrite", body=json.dumps(definition))
for stage in ("dev", "prod"):
    apig.create_deployment(restApiId=api_id, stageName=stage, variables={"alias": stage})
print({s["stageName"]: s["variables"] for s in apig.get_stages(restApiId=api_id)["item"]})

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Each alias needs its own permission
#
# A call to `prod` now fails: nobody has allowed API Gateway to invoke `nb07-release:prod`. An alias's ARN is a
# resource of its own with its own resource-based policy, so a permission on the function does not cover it. The
# execution log (section 3) says `Execution failed due to configuration error: Invalid permissions on Lambda function`
# ([How do I fix "Invalid permissions on Lambda function"?](https://repost.aws/knowledge-center/api-gateway-rest-api-lambda-integrations)).

# %% slideshow={"slide_type": "-"}
import requests

prod_url, dev_url = aws.stage_url(api_id, "prod"), aws.stage_url(api_id, "dev")
lab.show(requests.get(prod_url, timeout=30))

# %% [markdown] slideshow={"slide_type": "subslide"}
# `add_permission(..., Qualifier=alias)` grants one alias. With a stage variable in the URI, API Gateway cannot know
# which functions or aliases a stage will call, so it adds no permission for you: grant one for every alias the
# variable may name ([stage variables reference](https://docs.aws.amazon.com/apigateway/latest/developerguide/aws-api-gateway-stage-variables-reference.html)).
# `SourceArn` narrows it to this API. Removing first keeps the cell re-runnable.

# %% slideshow={"slide_type": "-"}
for alias_name in ("dev", "prod", "next"):
    sid = f"nb07-{alias_name}"
    try:
        lam.remove_permission(FunctionName="nb07-release", Qualifier=alias_name, StatementId=sid)
    except lam.exceptions.ResourceNotFoundException:
        pass  # first run: there is nothing to remove
    lam.add_permission(FunctionName="nb07-release", Qualifier=alias_name, StatementId=sid,
                       Action="lambda:InvokeFunction", Principal="apigateway.amazonaws.com",
                       SourceArn=f"arn:aws:execute-api:{aws.region}:{aws.account_id}:{api_id}/*")
print("prod:", requests.get(prod_url, timeout=30).json(), "| dev:", requests.get(dev_url, timeout=30).json())

# %% [markdown] slideshow={"slide_type": "subslide"}
# > **🤔 Check yourself.** `dev` and `prod` run the same API definition and the same function. Why does `dev`
# > answer with release 2.0 and `prod` with 1.0? And what would `dev` answer after you change the code again?
# >
# > <details><summary>Answer</summary>
# >
# > Each stage's variable <code>alias</code> puts a different alias into the integration URI. <code>prod</code>
# > points at version 1, frozen with <code>RELEASE=1.0</code>; <code>dev</code> follows <code>$LATEST</code>, which
# > holds the last code and configuration deployed (release 2.0). After a new deployment of the function,
# > <code>dev</code> answers with it at once; <code>prod</code> does not change until its alias is moved.
# > </details>

# %% [markdown] slideshow={"slide_type": "notes"}
# **Speaker notes.** The permissions are removed with the function at clean-up (a policy lives on the function). On a
# real account, deleting and re-adding a statement is immediate.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2 · Canary releases
#
# A **canary** sends a share of one stage's requests to another deployment, with some stage variables overridden,
# while the rest keep the stage's own deployment
# ([Set up a canary release deployment](https://docs.aws.amazon.com/apigateway/latest/developerguide/canary-release.html)).
# `create_deployment(stageName="prod", canarySettings={...})` deploys the API's current state as the canary of an
# *existing* stage ([Create a canary release deployment](https://docs.aws.amazon.com/apigateway/latest/developerguide/create-canary-deployment.html)).
# Here 10 % of `prod` goes to the canary, whose override `alias=next` calls release 2.0:
#
# ```mermaid
# flowchart LR
#     client([clients]) --> prodStage["stage prod"]
#     prodStage -- "90 %: deployment A<br/>alias = prod" --> prodAlias{{"alias prod"}} --> v1["version 1"]
#     prodStage -- "10 %: canary deployment B<br/>alias = next (override)" --> nextAlias{{"alias next"}} --> v2["version 2"]
# ```

# %% slideshow={"slide_type": "subslide"}
def deploy_canary(percent):
    apig.create_deployment(restApiId=api_id, stageName="prod", description="release 2.0 as a canary",
                           canarySettings={"percentTraffic": percent, "stageVariableOverrides": {"alias": "next"}})
    return apig.get_stage(restApiId=api_id, stageName="prod")


stage = deploy_canary(10.0)
canary = stage["canarySettings"]
print("prod serves", "its own deployment" if stage["deploymentId"] != canary["deploymentId"] else "the canary")
print({k: canary[k] for k in ("percentTraffic", "stageVariableOverrides", "useStageCache")})

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Does the canary really get 10 %?
#
# Each request is assigned at random, so 400 requests give *about* 40 canary requests. The course's random source is
# seeded (`clock.seed(0)`, from `lab_support.core`), so this cell prints the same numbers on every run; on AWS they
# vary.

# %% slideshow={"slide_type": "-"}
from lab_support.core import clock

clock.seed(0)
served = [requests.get(prod_url, timeout=30).json()["release"] for _ in range(400)]
to_canary = served.count("2.0")
print(f"{to_canary} of {len(served)} requests went to the canary ({to_canary / len(served):.1%})")
print("within 10 % ± 3 points:", abs(to_canary / len(served) - 0.10) <= 0.03)

# %% slideshow={"slide_type": "subslide"}
import matplotlib.pyplot as plt
import numpy as np

share = np.cumsum([s == "2.0" for s in served]) / np.arange(1, len(served) + 1)
fig, ax = plt.subplots(figsize=(10, 4))
ax.plot(np.arange(1, len(served) + 1), 100 * share, label="observed share of canary requests")
ax.axhline(10, linestyle="--", color="black", label="configured percentTraffic = 10 %")
ax.set(xlabel="requests so far", ylabel="% to the canary", ylim=(0, 30), title="Canary split on prod")
ax.legend()
plt.show()

# %% [markdown] slideshow={"slide_type": "fragment"}
# The share wanders early and settles near 10 % as requests add up. The split is per request, not per client: one
# user can meet both releases.

# %% [markdown] slideshow={"slide_type": "subslide"}
# > **🤔 Check yourself.** Twenty requests after you started the canary, none of them has failed. Is release 2.0
# > safe to promote?
# >
# > <details><summary>Answer</summary>
# >
# > Not yet: with 10 % of 20 requests, about two reached the canary (maybe none), and the plot shows how far the
# > share wanders over the first requests. Wait until the canary has served enough requests for its error rate
# > to mean something, and compare it with the stage's.
# > </details>

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Roll back
#
# Something is wrong with release 2.0? Remove the canary settings: `prod` never stopped serving its own deployment, so
# every request is back on release 1.0 at once ([Turn off a canary release](https://docs.aws.amazon.com/apigateway/latest/developerguide/delete-canary-deployment.html)).

# %% slideshow={"slide_type": "-"}
apig.update_stage(restApiId=api_id, stageName="prod", patchOperations=[{"op": "remove", "path": "/canarySettings"}])
print("canary settings:", apig.get_stage(restApiId=api_id, stageName="prod").get("canarySettings"))
print("releases served:", {requests.get(prod_url, timeout=30).json()["release"] for _ in range(20)})

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Promote
#
# Or release 2.0 is good. Promotion copies the canary's deployment id and stage variables into the stage and sets
# the canary's traffic to 0 % ([Promote a canary release](https://docs.aws.amazon.com/apigateway/latest/developerguide/promote-canary-deployment.html)):
# three `update_stage` patch operations, as in the page's CLI example.

# %% slideshow={"slide_type": "-"}
canary_id = deploy_canary(10.0)["canarySettings"]["deploymentId"]
apig.update_stage(restApiId=api_id, stageName="prod", patchOperations=[
    {"op": "replace", "path": "/canarySettings/percentTraffic", "value": "0.0"},
    {"op": "copy", "from": "/canarySettings/stageVariableOverrides", "path": "/variables"},
    {"op": "copy", "from": "/canarySettings/deploymentId", "path": "/deploymentId"},
])
stage = apig.get_stage(restApiId=api_id, stageName="prod")
print("prod now serves the canary's deployment:", stage["deploymentId"] == canary_id, "| variables:", stage["variables"])
print("releases served:", {requests.get(prod_url, timeout=30).json()["release"] for _ in range(20)})

# %% [markdown] slideshow={"slide_type": "fragment"}
# Promotion does not switch the canary off (it keeps 0 %); removing `/canarySettings` does. The stage now calls the
# alias `next`; a team would then move the alias `prod` to version 2 and set the variable back, or keep naming
# aliases by release.

# %% slideshow={"slide_type": "-"}
apig.update_stage(restApiId=api_id, stageName="prod", patchOperations=[{"op": "remove", "path": "/canarySettings"}])
print("canary settings:", apig.get_stage(restApiId=api_id, stageName="prod").get("canarySettings"))

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Canary stage or weighted alias?
#
# Notebook 02 split traffic with a **weighted Lambda alias** (`RoutingConfig`): every caller of the alias, whatever
# the door (API Gateway, an SQS mapping, a direct Invoke), meets version 2 with that weight, and only the function's
# code and configuration change ([Lambda alias routing](https://docs.aws.amazon.com/lambda/latest/dg/configuring-alias-routing.html)).
# An **API Gateway canary** splits one stage's HTTP requests and can change the API itself (new routes, templates,
# authorizers) and its stage variables; it knows nothing of other callers. Use the canary for API changes, the
# alias weights for function-only releases behind several triggers.

# %% [markdown] slideshow={"slide_type": "notes"}
# **Speaker notes.** On AWS a canary's requests are logged twice: in the stage's execution-log group and in the
# canary's own group (`API-Gateway-Execution-Logs_{api}/{stage}/Canary`)
# ([Set up a canary release deployment](https://docs.aws.amazon.com/apigateway/latest/developerguide/canary-release.html));
# the local gateway writes only the stage's group. `$context.isCanaryRequest` in the access log (section 3) tells
# the two kinds of request apart: exercise 07.2 needs it.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3 · Logs: execution logs and access logs
#
# | | execution log | access log |
# |---|---|---|
# | APIs | REST only | REST, HTTP, WebSocket |
# | written by | API Gateway, step by step (`INFO` or `ERROR`) | API Gateway, one line per request |
# | where | log group `API-Gateway-Execution-Logs_{apiId}/{stage}` | the log group you name |
# | shape | fixed text | your format: `$context` variables in JSON, CLF, XML or CSV |
#
# ([Set up CloudWatch logging for REST APIs](https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-logging.html),
# [Logging for HTTP APIs](https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-logging.html)).

# %% [markdown] slideshow={"slide_type": "fragment"}
# > **📅 Update to the lecture notes.** The notes say "Monitoring of logs through CloudWatch". Two things they leave
# > out: a REST API's execution logs and access logs need an **account-level IAM role** that lets API Gateway write to
# > CloudWatch Logs (`update_account` with `/cloudwatchRoleArn`, once per Region), and **HTTP APIs have no execution
# > logs** at all, only access logs
# > ([Set up CloudWatch logging for REST APIs](https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-logging.html)).

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### An execution log
#
# Execution logging is a stage setting, `/*/*/logging/loglevel` (every resource and method). On a real account
# the account's CloudWatch role must exist first: `lab.observability.ensure_logging_role()` creates it (tagged,
# removed at clean-up) when the account has none, and does nothing here.

# %% slideshow={"slide_type": "-"}
lab.observability.ensure_logging_role()
apig.update_stage(restApiId=api_id, stageName="prod", patchOperations=[
    {"op": "replace", "path": "/*/*/logging/loglevel", "value": "INFO"}])
r = requests.get(prod_url, timeout=30)
request_id = r.headers["x-amzn-RequestId"]
print("request", request_id, "answered", r.status_code)

# %% [markdown] slideshow={"slide_type": "subslide"}
# Its execution log, read back with `filter_log_events` (`log_events`, from `lab.operations`, calls it
# and answers nothing while the group does not exist yet; on AWS lines arrive seconds late, so `lab.until` asks
# again). Each line starts with the request id; the lines with headers and bodies are long (and hold values that
# change every run), so only the main steps are printed:

# %% slideshow={"slide_type": "-"}

group = f"API-Gateway-Execution-Logs_{api_id}/prod"
lines = [e["message"] for e in lab.until(lambda: lab.operations.log_events(group, f'"{request_id}"'), what="the execution log")]
STEPS = ("Starting execution", "HTTP Method", "Endpoint request URI", "Endpoint response body", "Method completed")
print("every line starts with", f"({request_id})")
for line in lines:
    if any(step in line for step in STEPS):
        print("   ", line.split(") ", 1)[1])
print(f"({len(lines)} lines in all)")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Access logs in JSON and in CLF
#
# An access log is one line per request in a format you write with `$context` variables
# ([`$context` variables for access logging](https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-variables-for-access-logging.html)).
# JSON is easiest to query (CloudWatch Logs Insights finds its fields); CLF is the web servers' Common Log Format.
# The log group must exist first: `log_group(name)` (from `lab.operations`) creates it if needed,
# tagged, and returns its ARN.

# %% slideshow={"slide_type": "-"}

json_arn, clf_arn = lab.operations.log_group(f"nb07-access-json-{api_id}"), lab.operations.log_group(f"nb07-access-clf-{api_id}")
JSON_FORMAT = json.dumps({"requestId": "$context.requestId", "ip": "$context.identity.sourceIp",
                          "requestTime": "$context.requestTime", "httpMethod": "$context.httpMethod",
                          "path": "$context.path", "status": "$context.status",
                          "responseLength": "$context.responseLength"})
CLF_FORMAT = ('$context.identity.sourceIp $context.identity.caller $context.identity.user [$context.requestTime] '
              '"$context.httpMethod $context.resourcePath $context.protocol" $context.status $context.responseLength '
              '$context.requestId')

# %% [markdown] slideshow={"slide_type": "subslide"}
# Two stage settings, `/accessLogSettings/destinationArn` and `/accessLogSettings/format`: JSON on `prod`, CLF on
# `dev`. A stage setting takes effect without a new deployment.

# %% slideshow={"slide_type": "-"}
for stage, arn, fmt in [("prod", json_arn, JSON_FORMAT), ("dev", clf_arn, CLF_FORMAT)]:
    apig.update_stage(restApiId=api_id, stageName=stage, patchOperations=[
        {"op": "replace", "path": "/accessLogSettings/destinationArn", "value": arn},
        {"op": "replace", "path": "/accessLogSettings/format", "value": fmt}])
print("prod's fields:", list(json.loads(apig.get_stage(restApiId=api_id, stageName="prod")["accessLogSettings"]["format"])))

# %% [markdown] slideshow={"slide_type": "subslide"}
# One request to each stage (one of them failing), then the lines as CloudWatch Logs returns them:

# %% slideshow={"slide_type": "-"}
requests.get(prod_url + "?fail=1", timeout=30)
requests.get(dev_url, timeout=30)
for arn in (json_arn, clf_arn):
    name = arn.split(":log-group:")[1]
    for event in lab.until(lambda: lab.operations.log_events(name), what=f"a line in {name}"):
        print(event["message"])

# %% [markdown] slideshow={"slide_type": "fragment"}
# `-` stands for a variable without a value (`caller` and `user` are set only for IAM-signed requests). The failing
# request is a **502**: the function raised, and a proxy integration turns that into `Internal server error`.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 07.1 · Write: an access log a check can read
#
# The cell below prepares REST API `nb07-ex-logs` (`GET /` → a Lambda proxy, stage `dev`) and the log group
# `nb07-ex-access`. Give the `dev` stage an **access log in JSON** to that group with (at least) these fields:
# `requestId`, `status`, `resourcePath` and `integrationLatency`, each holding the matching `$context` variable
# (two of them are not in the formats above: look them up on the page linked above). The check sends a request
# and reads its real log line.

# %% slideshow={"slide_type": "-"}
from lab_support.exercises.nb07 import prepare_07_1

ex_logs_api = prepare_07_1()
# YOUR CODE HERE

lab.check("07.1")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4 · Metrics
#
# Every stage publishes metrics to CloudWatch in the namespace `AWS/ApiGateway`, without any setting. REST
# and HTTP APIs name them differently
# ([REST API metrics](https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-metrics-and-dimensions.html),
# [HTTP API metrics](https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-metrics.html)):
#
# | what | REST API | HTTP API |
# |---|---|---|
# | requests | `Count` | `Count` |
# | client errors | `4XXError` | `4xx` |
# | server errors | `5XXError` | `5xx` |
# | time in API Gateway + backend / in the backend (ms) | `Latency` / `IntegrationLatency` | `Latency` / `IntegrationLatency` |
# | bytes | – | `DataProcessed` |
# | dimensions of a stage | `ApiName` + `Stage` | `ApiId` + `Stage` |
#
# Per method and resource (`+ Method + Resource`) only with **detailed metrics** turned on for the stage. The `Sum`
# of `5XXError` counts errors; its `Average` is the error *rate* (errors divided by `Count`).

# %% [markdown] slideshow={"slide_type": "subslide"}
# Five minutes of traffic on `prod`, some of it failing. `clock.advance(60)` moves the course clock one minute on;
# the first call moves it to the start of a minute so each minute's requests fall in one 60-second period. (On a
# real account the minutes would be real ones, and datapoints come a minute late: this cell, the reading and the
# plot skip there.)

# %% slideshow={"slide_type": "-"}
import datetime as dt

lab.skip_on_aws("five minutes of traffic on the course clock, which moves only this kernel: AWS would need five "
                "real minutes")
PLAN = [(10, 0), (10, 1), (10, 4), (10, 0), (10, 2)]  # (requests, of which failing) in each minute
clock.advance(60 - clock.now() % 60 + 1)
start = dt.datetime.fromtimestamp(clock.now() - 1, dt.UTC)
for total, failing in PLAN:
    for i in range(total):
        requests.get(prod_url + ("?fail=1" if i < failing else ""), timeout=30)
    clock.advance(60)
end = dt.datetime.fromtimestamp(clock.now(), dt.UTC)

# %% [markdown] slideshow={"slide_type": "subslide"}
# `get_metric_statistics` names the metric, the *exact* dimension set, a period and statistics: `SampleCount` of
# `Count` (requests), `Sum` of `5XXError`, `Average` of `Latency`
# ([GetMetricStatistics](https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricStatistics.html)).

# %% slideshow={"slide_type": "-"}
cw = aws.client("cloudwatch")
PROD = [{"Name": "ApiName", "Value": "nb07-releases"}, {"Name": "Stage", "Value": "prod"}]


def per_minute(metric, statistic):
    points = cw.get_metric_statistics(Namespace="AWS/ApiGateway", MetricName=metric, Dimensions=PROD,
                                      StartTime=start, EndTime=end, Period=60, Statistics=[statistic])["Datapoints"]
    return [p[statistic] for p in sorted(points, key=lambda p: p["Timestamp"])]


lab.skip_on_aws("the minutes above were not played on AWS, so there is nothing to read")
count, errors, latency = per_minute("Count", "SampleCount"), per_minute("5XXError", "Sum"), per_minute("Latency", "Average")
print("requests per minute:", count)
print("5XX errors per minute:", errors)

# %% slideshow={"slide_type": "subslide"}
lab.skip_on_aws("nothing to plot: the minutes above were not played on AWS")
minutes = np.arange(1, len(count) + 1)
fig, ax = plt.subplots(figsize=(10, 4))
ax.bar(minutes - 0.2, count, width=0.4, label="Count")
ax.bar(minutes + 0.2, errors, width=0.4, label="5XXError (Sum)")
ax.set(xlabel="minute", ylabel="requests", ylim=(0, 16), title="prod, per minute")
ax2 = ax.twinx()
ax2.plot(minutes, latency, marker="o", color="black", label="Latency (Average, ms)")
ax2.set(ylabel="ms", ylim=(0, 2 * max(latency)))
fig.legend(loc="upper left", bbox_to_anchor=(0.1, 0.86), ncol=3)
plt.show()

# %% [markdown] slideshow={"slide_type": "notes"}
# **Speaker notes.** On AWS, datapoints appear about a minute late and are aggregated per minute; the stored values
# are the same statistics. Latency here is a few milliseconds (everything is on this machine), so its line is noise;
# on AWS it is the number to watch, with `IntegrationLatency` to tell the backend's share from the gateway's.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 07.2 · Diagnose: one request in ten fails
#
# The cell below prepares REST API `nb07-ex-canary`: its `prod` stage sends 10 % of requests to a canary that should
# run release 2.0 of the function `nb07-ex-shop`. About one request in ten answers `500`. Find out why from what the
# stage writes (its access log group's name starts `nb07-ex-canary-access-`; its execution log is on at `ERROR`),
# then fix the **cause**. The canary must stay on, and keep running release 2.0.

# %% slideshow={"slide_type": "-"}
from lab_support.exercises.nb07 import prepare_07_2

ex_canary_api = prepare_07_2()
# YOUR CODE HERE

lab.check("07.2")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5 · Alarms
#
# A CloudWatch **alarm** watches one metric: every `Period` seconds it computes a statistic, compares it with a
# `Threshold`, and goes to `ALARM` when `DatapointsToAlarm` of the last `EvaluationPeriods` periods breach; back to
# `OK` when they no longer do. A state change can notify an SNS topic
# ([Using Amazon CloudWatch alarms](https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html)).
# Here the topic delivers to an SQS queue, so the notebook can read the message:
#
# ```mermaid
# flowchart LR
#     metric["5XXError<br/>nb07-releases / prod"] --> alarm{"alarm nb07-prod-5xx<br/>Sum ≥ 3 in 60 s"}
#     alarm -- "OK → ALARM" --> topic["SNS topic nb07-ops"]
#     alarm -- "ALARM → OK" --> topic
#     topic --> inbox[("SQS queue nb07-ops-inbox")]
# ```

# %% [markdown] slideshow={"slide_type": "subslide"}
# `topic_to_queue` (from `lab.operations`) creates the topic, the queue and the subscription, and
# gives the queue a policy that lets the topic send to it, as SNS needs on AWS
# ([Subscribe a queue to a topic](https://docs.aws.amazon.com/sns/latest/dg/subscribe-sqs-queue-to-sns-topic.html)).
# Then the alarm: `Sum` of `5XXError` on `prod`, at least 3 in one 60-second period, notifying the topic both ways.

# %% slideshow={"slide_type": "-"}

topic_arn, inbox_url = lab.operations.topic_to_queue("nb07-ops", "nb07-ops-inbox")
cw.put_metric_alarm(AlarmName="nb07-prod-5xx", AlarmDescription="prod answers 5XX errors",
                    Namespace="AWS/ApiGateway", MetricName="5XXError", Dimensions=PROD, Statistic="Sum",
                    Period=60, EvaluationPeriods=1, Threshold=3.0, ComparisonOperator="GreaterThanOrEqualToThreshold",
                    TreatMissingData="notBreaching", AlarmActions=[topic_arn], OKActions=[topic_arn],
                    Tags=aws.tag_list)
aws.track("alarm nb07-prod-5xx", lambda: cw.delete_alarms(AlarmNames=["nb07-prod-5xx"]), once=True)


def alarm_state():
    return cw.describe_alarms(AlarmNames=["nb07-prod-5xx"])["MetricAlarms"][0]

# %% [markdown] slideshow={"slide_type": "subslide"}
# A new alarm starts in `INSUFFICIENT_DATA`; with `TreatMissingData="notBreaching"` a minute without errors makes it
# `OK`. Then five failing requests in one minute, and the minute ends:

# %% slideshow={"slide_type": "-"}
lab.skip_on_aws("alarm periods are real minutes on AWS; the cell after this one sets the state by hand instead")
clock.advance(60 - clock.now() % 60 + 1)  # the minute ends: no errors in it, so OK
print("before:", alarm_state()["StateValue"])
for _ in range(5):
    requests.get(prod_url + "?fail=1", timeout=30)
clock.advance(60)
alarm = alarm_state()
print("after one more minute:", alarm["StateValue"], "| datapoints:", json.loads(alarm["StateReasonData"])["recentDatapoints"])

# %% [markdown] slideshow={"slide_type": "subslide"}
# The notification in the queue, in the alarm message format
# ([Notifying users on alarm changes](https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Notify_Users_Alarm_Changes.html)).
# On a real account the cell first sets the alarm's state by hand: `set_alarm_state` runs the alarm's actions, the
# way to test them without waiting for real minutes ([SetAlarmState](https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_SetAlarmState.html)).

# %% slideshow={"slide_type": "-"}
sqs = aws.client("sqs")
if aws.backend == "aws":
    cw.set_alarm_state(AlarmName="nb07-prod-5xx", StateValue="ALARM", StateReason="testing the alarm's actions")
lab.wait_idle()  # SNS delivers to the queue in the background
messages = lab.until(lambda: sqs.receive_message(QueueUrl=inbox_url, MaxNumberOfMessages=10).get("Messages"),
                     what="the alarm's notification in the queue")
notes = sorted((json.loads(m["Body"]) for m in messages), key=lambda n: n["StateChangeTime"])
for note in notes:
    print(f"{note['AlarmName']}: {note['OldStateValue']} → {note['NewStateValue']}",
          f"({note['Trigger']['MetricName']}, {note['Trigger']['Statistic']}, threshold {note['Trigger']['Threshold']})")
print(notes[-1]["NewStateReason"].split(" [")[0], "…")

# %% [markdown] slideshow={"slide_type": "subslide"}
# Healthy traffic for a minute, and the alarm goes back to `OK` (and notifies again):

# %% slideshow={"slide_type": "-"}
lab.skip_on_aws("a minute of traffic on the course clock (AWS's alarm goes back to OK by itself)")
for _ in range(5):
    requests.get(prod_url, timeout=30)
clock.advance(60)
print("state:", alarm_state()["StateValue"])
history = cw.describe_alarm_history(AlarmName="nb07-prod-5xx", HistoryItemType="StateUpdate")["AlarmHistoryItems"]
for item in reversed(history):
    print(item["HistorySummary"])

# %% [markdown] slideshow={"slide_type": "fragment"}
# > **🤔 Check yourself.** This alarm fires on at least 3 errors a minute. At lunchtime traffic is ten times higher,
# > and so, with the same share of failures, is the number of errors. What goes wrong, and which statistic of
# > `5XXError` would avoid it?
# >
# > <details><summary>Answer</summary>
# >
# > A count (<code>Sum</code>) grows with traffic: busy minutes raise the alarm although nothing got worse, and a
# > quiet night hides a release that fails every request. The <code>Average</code> of <code>5XXError</code> is the
# > error rate (errors divided by requests), so a threshold such as 0.05 means "more than 5 % fail" whatever the
# > traffic.
# > </details>

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 07.3 · Predict: when does an "M out of N" alarm fire?
#
# The cell below prepares API `nb07-ex-alarm` and the alarm `nb07-ex-5xx`: `Sum` of `5XXError` ≥ **5**,
# `Period` **60**, `EvaluationPeriods` **3**, `DatapointsToAlarm` **2**, missing data not breaching
# ([Evaluating an alarm](https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#alarm-evaluation)).
# The check will send **6, 2, 7, 0, 0** errors in minutes 1 to 5. At the end of which minute does the alarm first
# go to `ALARM`? Store your answer in `predicted_minute` (a number from 1 to 5, or 0 for "never") *before* you run
# the cell: the check plays the five minutes on the course clock, then compares.

# %% slideshow={"slide_type": "-"}
from lab_support.exercises.nb07 import prepare_07_3

lab.skip_on_aws("the exercise plays five minutes on the course clock, which only the embedded backend has")
prepare_07_3()
predicted_minute = ...  # YOUR CODE HERE

lab.check("07.3", prediction=predicted_minute)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 6 · X-Ray: one request, end to end
#
# With **active tracing** on a stage, API Gateway samples requests, records a segment for its own work and passes
# the trace id to the integration in `X-Amzn-Trace-Id`; Lambda adds its segments
# ([Trace API Gateway with X-Ray](https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-xray.html),
# [Lambda and X-Ray](https://docs.aws.amazon.com/lambda/latest/dg/services-xray.html)). Tracing is a stage setting
# and a function setting: here the `dev` stage and the function (its `$LATEST`, which the alias `dev` runs; a
# published version keeps the settings it was published with).

# %% slideshow={"slide_type": "-"}
apig.update_stage(restApiId=api_id, stageName="dev", patchOperations=[
    {"op": "replace", "path": "/tracingEnabled", "value": "true"}])
lam.update_function_configuration(FunctionName="nb07-release", TracingConfig={"Mode": "Active"})
lam.get_waiter("function_updated_v2").wait(FunctionName="nb07-release")
traced = requests.get(dev_url, timeout=30)
print(traced.status_code, traced.json())

# %% [markdown] slideshow={"slide_type": "subslide"}
# `get_trace_summaries` lists recent traces; `batch_get_traces` returns their segments, each a JSON document
# ([GetTraceSummaries](https://docs.aws.amazon.com/xray/latest/api/API_GetTraceSummaries.html),
# [segment documents](https://docs.aws.amazon.com/xray/latest/devguide/xray-api-segmentdocuments.html)).

# %% slideshow={"slide_type": "-"}
xray = aws.client("xray")
now = dt.datetime.fromtimestamp(clock.now(), dt.UTC)
window = {"StartTime": now - dt.timedelta(minutes=5), "EndTime": now + dt.timedelta(minutes=1)}
summaries = lab.until(lambda: xray.get_trace_summaries(**window)["TraceSummaries"], what="the request's trace")
print(len(summaries), "trace(s); HTTP:", [(s["Http"]["HttpMethod"], s["Http"]["HttpStatus"]) for s in summaries])
trace = xray.batch_get_traces(TraceIds=[summaries[0]["Id"]])["Traces"][0]
for doc in sorted((json.loads(s["Document"]) for s in trace["Segments"]), key=lambda d: d["start_time"]):
    print(f"{doc['origin']:24} {doc['name']:22}", [sub["name"] for sub in doc.get("subsegments", [])])

# %% [markdown] slideshow={"slide_type": "subslide"}
# X-Ray's **service map** draws the services of recent traces and the calls between them. `service_map` and
# `plot_service_map` (from `lab.service_map`) call `get_service_graph` and draw its answer:

# %% slideshow={"slide_type": "-"}

lab.service_map.plot_service_map(lab.service_map.service_map(xray, minutes=6, end=window["EndTime"]), title="X-Ray service map: nb07-releases/dev")
plt.show()

# %% [markdown] slideshow={"slide_type": "notes"}
# **Speaker notes.** On AWS, traces show up in the console within seconds to a minute. X-Ray's free tier covers
# 100,000 traces recorded a month; beyond it you pay per trace
# ([AWS X-Ray pricing](https://aws.amazon.com/xray/pricing/)), so production stages usually sample a few per cent.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 7 · CloudTrail: who changed the API?
#
# CloudTrail records **management events**: the control-plane calls that create, change or delete things
# (`CreateDeployment`, `UpdateStage`, `AddPermission20150331v2`…), with who made them, when, from where. Its
# **event history** keeps the last 90 days, searchable with `lookup_events`
# ([Working with CloudTrail event history](https://docs.aws.amazon.com/awscloudtrail/latest/userguide/view-cloudtrail-events.html)).

# %% [markdown] slideshow={"slide_type": "fragment"}
# > **📅 Update to the lecture notes.** The notes list "Monitoring of API Usage through Cloud Trail". CloudTrail records
# > *management* calls, and *data* events only where a trail is configured to log them
# > ([Logging data events](https://docs.aws.amazon.com/awscloudtrail/latest/userguide/logging-data-events-with-cloudtrail.html));
# > requests to your API are neither. **Usage** comes from the metrics and access logs above, and per client from
# > usage plans ([Usage plans and API keys](https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-api-usage-plans.html)).
# > On a real account an event reaches the event history minutes after the call: about 5 minutes on average, not
# > guaranteed ([CloudTrail FAQs](https://aws.amazon.com/cloudtrail/faqs/)); here it is there at once. On AWS the
# > cell that reads it waits with `lab.until` (at most 15 minutes), saying so.

# %% slideshow={"slide_type": "subslide"}
trail = aws.client("cloudtrail")


def changes_to(api, name):
    events = trail.lookup_events(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": name}])["Events"]
    return [e for e in events if json.loads(e["CloudTrailEvent"])["requestParameters"].get("restApiId") == api]

# %% slideshow={"slide_type": "-"}
found = lab.until(lambda: changes_to(api_id, "UpdateStage") + changes_to(api_id, "CreateDeployment"),
                  what="the calls in CloudTrail's event history (about 5 minutes on AWS)", max_wait=900)
for event in sorted(found, key=lambda e: e["EventTime"]):
    params = json.loads(event["CloudTrailEvent"])["requestParameters"]
    paths = [op["path"] for op in params.get("patchOperations", [])]
    print(event["EventTime"], event["Username"], event["EventName"], params.get("stageName"), paths)

# %% [markdown] slideshow={"slide_type": "subslide"}
# One record in full has who (`userIdentity`), where from (`sourceIPAddress`), and whether it changed anything
# (`readOnly`) ([CloudTrail record contents](https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html)):

# %% slideshow={"slide_type": "-"}
record = json.loads(changes_to(api_id, "CreateDeployment")[0]["CloudTrailEvent"])
print({k: record[k] for k in ("eventSource", "eventName", "readOnly", "managementEvent", "eventCategory")})
print("userIdentity.type:", record["userIdentity"]["type"], "| canary settings:", record["requestParameters"].get("canarySettings"))

# %% [markdown] slideshow={"slide_type": "fragment"}
# > **🤔 Check yourself.** Your manager asks which partner sent the most requests to `prod` yesterday. Can
# > CloudTrail's event history answer? Where would you look instead?
# >
# > <details><summary>Answer</summary>
# >
# > No: the event history holds management calls (who changed the API), not the requests sent to it. The access
# > log has one line per request (add <code>$context.identity.apiKeyId</code> or the caller to the format), and a
# > usage plan counts requests per API key (<code>get_usage</code>, notebook 06).
# > </details>

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - A stage is a deployment plus settings; a stage variable in the integration URI picks a Lambda alias per stage,
#   and every alias needs its own `add_permission(..., Qualifier=alias)`.
# - A canary (`create_deployment(canarySettings=...)`) sends a random share of one stage to a new deployment with
#   overridden variables; roll back with `remove /canarySettings`, promote with three `update_stage` operations.
# - Execution logs (REST only) tell what happened step by step; access logs are one line per request in your
#   format, and `$context.isCanaryRequest` tells a canary's requests apart.
# - `AWS/ApiGateway` metrics per stage (`Count`, `4XXError`/`5XXError` or `4xx`/`5xx`, `Latency`); an alarm on them
#   notifies SNS when `DatapointsToAlarm` of `EvaluationPeriods` periods breach.
# - X-Ray follows one request through API Gateway and Lambda; CloudTrail says who changed the API, not who used it.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## Questionnaire
#
# 1. Why does a permission on the function `nb07-release` not let API Gateway invoke `nb07-release:prod`, and why
#    does API Gateway not add that permission itself when the integration URI holds `${stageVariables.alias}`?
# 2. A canary gets 10 % of a stage's requests. What is the difference between rolling it back and promoting it, in
#    terms of the stage's `deploymentId` and `variables`?
# 3. When would you release with a weighted Lambda alias rather than with an API Gateway canary?
# 4. Which of execution logs and access logs does an HTTP API have, and what must a REST API's account have before
#    either kind is written?
# 5. An alarm has `Period` 60, `EvaluationPeriods` 5, `DatapointsToAlarm` 3. How many breaching minutes does it
#    need, and must they be consecutive?
# 6. Name one question CloudTrail answers about an API and one it cannot.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Clean up
#
# Remove what this notebook created: the APIs, functions (with their versions, aliases and permissions), log
# groups, the alarms, the topic and the queue.

# %% slideshow={"slide_type": "-"}
lab.cleanup()

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## Next
#
# [08 · WebSocket APIs, and choosing an API type](08_websocket_apis_and_choosing.ipynb): an API on which the
# server speaks first, and how to choose between REST, HTTP and WebSocket APIs.
