# %% [markdown] slideshow={"slide_type": "slide"}
# # 09 · Capstone: a serverless bookstore
#
# Everything so far, in one small product: a **bookstore API** that lists, adds, reads, replaces and removes books.
# You build it end to end, test it, watch it, release a second version to a share of the traffic, and tear it all
# down. It runs here in seconds; with `LAB_BACKEND=aws` the same cells run on a real account.
#
# **Learning objectives**
# - store data in DynamoDB from a Lambda function whose execution role allows exactly what the code does
# - define a REST API in OpenAPI (integrations, a Lambda authorizer, an API key) and create it with `import_rest_api`
# - protect it twice: a Lambda TOKEN authorizer decides *who*, an API key with a usage plan decides *how much*
# - test it with `requests` and with its exported Postman collection run by newman
# - read its access log, its metrics and an alarm; release version 2 as a canary, then promote it
# - remove everything it created, and check that nothing is left
#
# **Time**: about 65 minutes
#
# **Prerequisites**: [02](02_lambda_invocation_and_permissions.ipynb) (roles and permissions),
# [04](04_api_gateway_architecture.ipynb) and [05](05_integrations.ipynb) (REST APIs, proxy integrations),
# [06](06_securing_an_api.ipynb) (authorizers, API keys) and [07](07_releasing_and_operating.ipynb) (stages, canaries,
# logs and metrics).

# %% slideshow={"slide_type": "skip"}
import lab_support as lab
aws = lab.start()
lab.use_course_style()
aws

# %% [markdown] slideshow={"slide_type": "notes"}
# **Speaker notes.** Run all before presenting (about 30 s). The capstone is meant to be done by students in pairs
# after 06 and 07; present the diagram and the first two sections, then let them work. On a real account the whole
# notebook takes under 20 minutes and costs a few cents (the cost cell computes it).

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What we build
#
# ```mermaid
# flowchart LR
#     client([client]) -- "Authorization, x-api-key" --> stage["REST API bookstore<br/>stage prod"]
#     stage -- "token" --> gate["Lambda authorizer<br/>bookstore-gatekeeper"]
#     stage -- "key, usage plan" --> plan{{"usage plan<br/>50 req/s, 1000/day"}}
#     stage -- "proxy, alias live" --> books["Lambda bookstore-books"]
#     books -- "Scan, GetItem, PutItem, DeleteItem" --> table[("DynamoDB<br/>bookstore-books")]
#     stage -. "access log, metrics" .-> cw["CloudWatch<br/>log group, alarm"]
# ```
#
# | Route | Does | Answers |
# |---|---|---|
# | `GET /books` | list every book | 200 |
# | `POST /books` | add a book (its id comes from its title) | 201, or 409 if it exists |
# | `GET /books/{id}` | read one | 200, or 404 |
# | `PUT /books/{id}` | replace one | 200, or 404 |
# | `DELETE /books/{id}` | remove one | 204 |

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### What it costs on a real account
#
# Before creating anything billable, the course says what it will create and what that costs, from AWS's pricing
# pages (`data/pricing.json` lists them, with the date they were read). Here, on the embedded backend, nothing is
# billed. On a real account this notebook makes about 300 API calls through API Gateway ($3.50 per million: $0.001),
# about 350 Lambda invocations of 128 MB for well under a second each ($0.20 per million plus $0.0000166667 per
# GB-second: under $0.001), a few hundred DynamoDB requests and a few kilobytes of logs (fractions of a cent), and
# one alarm for less than an hour (at most $0.10, the monthly price of an alarm beyond the ten free ones). Total:
# **under $0.15**, and $0 within a free tier or credits. The cells run in under 20 minutes, most of it waiting
# for IAM and for metrics.

# %% slideshow={"slide_type": "-"}
lab.costs("09")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1 · The table
#
# One on-demand table, partition key `id`. On-demand means no capacity to plan and nothing billed while idle
# ([DynamoDB read/write capacity modes](https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/capacity-mode.html)).

# %% slideshow={"slide_type": "-"}
table_arn = lab.resources.table("bookstore-books", key="id")
print(table_arn.split(":")[-1])

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2 · The function and its least-privilege role
#
# The handler routes on the method and on whether the path has an `{id}`; a book's id is its title in lowercase with
# dashes, so adding the same book twice is refused with **409 Conflict** by a conditional write
# ([condition expressions](https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ConditionExpressions.html)).
# The handler is long, so it continues in the next cell (`--append`).

# %% slideshow={"slide_type": "-"}
# %%lambda_handler books_code
import json, os, re
import boto3

table = boto3.resource("dynamodb").Table(os.environ["TABLE"])


def handler(event, context):
    book_id, body = (event.get("pathParameters") or {}).get("id"), json.loads(event.get("body") or "{}")
    match event["httpMethod"], book_id:
        case "GET", None: return reply(200, sorted(table.scan()["Items"], key=lambda b: b["id"]))
        case "POST", None: return write(slug(body.get("title", "")), body, must_exist=False)
        case "GET", _: return read(book_id)
        case "PUT", _: return write(book_id, body, must_exist=True)
        case "DELETE", _: return remove(book_id)

# %% slideshow={"slide_type": "subslide"}
# %%lambda_handler books_code --append
def reply(status, body=None):
    headers = {"Content-Type": "application/json", "X-Release": os.environ.get("RELEASE", "v1")}
    return {"statusCode": status, "headers": headers, "body": "" if body is None else json.dumps(body, default=int)}


def slug(title):
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")


def read(book_id):
    item = table.get_item(Key={"id": book_id}).get("Item")
    return reply(200, item) if item else reply(404, {"message": f"no book {book_id}"})

# %% slideshow={"slide_type": "subslide"}
# %%lambda_handler books_code --append
def write(book_id, body, must_exist):
    if not book_id or not body.get("title"):
        return reply(400, {"message": "a book needs a title"})
    book = {"id": book_id, "title": body["title"], "author": body.get("author", ""), "year": body.get("year", 0)}
    try:  # a conditional write: PUT needs the book to exist, POST needs it not to
        table.put_item(Item=book, ConditionExpression="attribute_exists(id)" if must_exist else "attribute_not_exists(id)")
    except table.meta.client.exceptions.ConditionalCheckFailedException:
        return reply(404, {"message": f"no book {book_id}"}) if must_exist else reply(409, {"message": "exists"})
    return reply(200 if must_exist else 201, book)


def remove(book_id):
    table.delete_item(Key={"id": book_id})
    return reply(204)

# %% [markdown] slideshow={"slide_type": "subslide"}
# The role allows the four DynamoDB actions the code calls, on this table only, plus writing its logs. Not
# `dynamodb:*`, not `"Resource": "*"`: a bug or a stolen credential can then do no more than the code already does
# ([least privilege in execution roles](https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html)).

# %% slideshow={"slide_type": "-"}
BOOKS_POLICY = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Resource": table_arn,
    "Action": ["dynamodb:Scan", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem"]}]}
role_arn = lab.resources.execution_role("bookstore-books-role", managed=["AWSLambdaBasicExecutionRole"],
                                        inline={"books-table": BOOKS_POLICY})
books = lab.create_function("bookstore-books", books_code, role=role_arn,
                            Environment={"Variables": {"TABLE": "bookstore-books", "RELEASE": "v1"}})
print(books["FunctionName"], books["Runtime"], books["Handler"])

# %% [markdown] slideshow={"slide_type": "fragment"}
# > **🤔 Check yourself.** The handler calls `put_item` for both `POST` and `PUT`. Why is there no
# > `dynamodb:UpdateItem` in the policy, and what would happen if a later version of the code called it?
# >
# > <details><summary>Answer</summary>
# >
# > The code never calls `UpdateItem` (a `PUT` replaces the whole item with a conditional `PutItem`). A version that
# > called it would fail at run time with `AccessDeniedException … is not authorized to perform:
# > dynamodb:UpdateItem`, and the API would answer 502: the role has to change with the code.
# > </details>

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Versions and the alias `live`
#
# API Gateway will call the alias `live`, never `$LATEST`: what the API serves changes only when the alias moves
# ([Lambda aliases](https://docs.aws.amazon.com/lambda/latest/dg/configuration-aliases.html)).

# %% slideshow={"slide_type": "-"}
lam = aws.client("lambda")


def point_alias(name, version):
    try:
        return lam.update_alias(FunctionName="bookstore-books", Name=name, FunctionVersion=version)
    except lam.exceptions.ResourceNotFoundException:
        return lam.create_alias(FunctionName="bookstore-books", Name=name, FunctionVersion=version)


v1 = lam.publish_version(FunctionName="bookstore-books", Description="release v1")["Version"]
for alias_name in ("live", "next"):  # next: where a later release is tried (section 8)
    print(alias_name, "→ version", point_alias(alias_name, v1)["FunctionVersion"])

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3 · The gatekeeper: a Lambda TOKEN authorizer
#
# API Gateway calls it with the `Authorization` header and the ARN of the method called; it answers with a principal
# and an IAM policy ([Lambda authorizer input](https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-lambda-authorizer-input.html),
# [output](https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-lambda-authorizer-output.html)).
# A *reader* may only `GET`; a *clerk* may do anything. Raising `Exception("Unauthorized")` makes API Gateway answer
# **401**. (A real authorizer verifies a signed token, as notebook 06 does with JWTs; fixed tokens keep the focus here.)

# %% slideshow={"slide_type": "-"}
# %%lambda_handler gatekeeper_code
ROLES = {"Bearer reader-token": ("reader", "GET/*"), "Bearer clerk-token": ("clerk", "*/*")}


def handler(event, context):
    role = ROLES.get(event.get("authorizationToken", ""))
    if role is None:
        raise Exception("Unauthorized")
    api_arn = event["methodArn"].split("/")[0]  # arn:aws:execute-api:{region}:{account}:{api id}
    statement = {"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": f"{api_arn}/*/{role[1]}"}
    return {"principalId": role[0], "context": {"role": role[0]},
            "policyDocument": {"Version": "2012-10-17", "Statement": [statement]}}

# %% slideshow={"slide_type": "-"}
gatekeeper = lab.create_function("bookstore-gatekeeper", gatekeeper_code)
print(gatekeeper["FunctionName"], "ready")

# %% [markdown] slideshow={"slide_type": "subslide"}
# > **🤔 Check yourself.** The definition below caches the gatekeeper's answer for 300 s per token. Why does the
# > policy allow `*/GET/*` (every stage, every path) rather than just the `methodArn` that was asked for?
# >
# > <details><summary>Answer</summary>
# >
# > The cached policy is reused for *every* method the same token calls for 300 s. A policy naming only the first
# > `methodArn` (say `GET /books`) would then deny `GET /books/dune` with 403 until the cache expired
# > ([authorizer caching](https://docs.aws.amazon.com/apigateway/latest/developerguide/configure-api-gateway-lambda-authorization.html)).
# > </details>

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4 · The API, from its OpenAPI definition
#
# `data/bookstore.openapi.json` describes the whole API: five operations, each an `aws_proxy` integration with the
# alias from a **stage variable** (`…:${stageVariables.alias}/invocations`), the gatekeeper as a `token` authorizer
# (`x-amazon-apigateway-authorizer`), and an `api_key` scheme that makes every method require a key
# ([API Gateway's OpenAPI extensions](https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-swagger-extensions.html)).
# Only the function ARNs and the Region are filled in here.

# %% slideshow={"slide_type": "-"}
import json

definition = lab.data_file("bookstore.openapi.json").read_text()
for placeholder, value in {"{{REGION}}": aws.region, "{{BOOKS_FUNCTION_ARN}}": books["FunctionArn"],
                           "{{GATEKEEPER_FUNCTION_ARN}}": gatekeeper["FunctionArn"]}.items():
    definition = definition.replace(placeholder, value)
document = json.loads(definition)
print(list(document["paths"]), "·", list(document["components"]["securitySchemes"]))
lab.show(document["paths"]["/books"]["get"]["x-amazon-apigateway-integration"])

# %% [markdown] slideshow={"slide_type": "subslide"}
# `import_rest_api` creates every resource, method, integration and the authorizer in one call
# ([Import a REST API](https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-import-api.html)).
# An import takes no tags, so the API is tagged right after: the clean-up finds what carries the course's tag.
# `failOnWarnings=True` makes a definition with anything API Gateway would ignore fail instead.
# Any API left from an earlier run is removed first, so the cell can run again.

# %% slideshow={"slide_type": "-"}
apig = aws.client("apigateway")
lab.api_builders.delete_rest_apis_named("bookstore")
api_id = apig.import_rest_api(body=definition, failOnWarnings=True)["id"]
apig.tag_resource(resourceArn=f"arn:aws:apigateway:{aws.region}::/restapis/{api_id}", tags=aws.tags)
aws.track("REST API bookstore", lambda: lab.api_builders.delete_rest_api(api_id))
for item in sorted(apig.get_resources(restApiId=api_id)["items"], key=lambda r: r["path"]):
    print(f"{item['path']:<12}", sorted(item.get("resourceMethods", {})))
print("authorizers:", [a["name"] for a in apig.get_authorizers(restApiId=api_id)["items"]])

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Who may invoke what
#
# Three resource-based permissions, each narrowed to this API by `SourceArn`: the two aliases the stage variable
# may name, and the gatekeeper, which API Gateway calls as `…/authorizers/{id}`
# ([permissions for Lambda authorizers](https://docs.aws.amazon.com/apigateway/latest/developerguide/configure-api-gateway-lambda-authorization.html)).

# %% slideshow={"slide_type": "-"}
def allow_alias(alias_name):
    sid = f"bookstore-{alias_name}"
    try:
        lam.remove_permission(FunctionName="bookstore-books", Qualifier=alias_name, StatementId=sid)
    except lam.exceptions.ResourceNotFoundException:
        pass  # first run: nothing to remove
    lam.add_permission(FunctionName="bookstore-books", Qualifier=alias_name, StatementId=sid,
                       Action="lambda:InvokeFunction", Principal="apigateway.amazonaws.com",
                       SourceArn=lab.api_builders.execute_api_arn(api_id))


for alias_name in ("live", "next"):
    allow_alias(alias_name)
print(lab.api_builders.allow_api_gateway("bookstore-gatekeeper", api_id)["Condition"])

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Deploy, with an access log
#
# The stage `prod` gets the variable `alias=live`, and one JSON line per request in a log group
# ([access logging](https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-logging.html)).
# `lab.observability.enable_access_logs` creates the group (and, on a real account without one, the account-level
# role API Gateway writes logs with).

# %% slideshow={"slide_type": "-"}
apig.create_deployment(restApiId=api_id, stageName="prod", variables={"alias": "live"}, description="release v1")
access_format = lab.observability.enable_access_logs(api_id, "prod", f"bookstore-access-{api_id}")
base = aws.stage_url(api_id, "prod")
print("fields logged:", list(json.loads(access_format)))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5 · An API key and a usage plan
#
# The key identifies a client; the plan sets its rate (token bucket: 50 requests/s, bursts of 100) and its quota
# (1,000 a day). Without a key every call is **403 Forbidden**; over the rate, **429 Too Many Requests**
# ([usage plans](https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-api-usage-plans.html)).

# %% slideshow={"slide_type": "-"}
key = apig.create_api_key(name=f"bookstore-shop-{api_id}", enabled=True, tags=aws.tags)
plan = apig.create_usage_plan(name=f"bookstore-plan-{api_id}", apiStages=[{"apiId": api_id, "stage": "prod"}],
                              throttle={"rateLimit": 50.0, "burstLimit": 100}, quota={"limit": 1000, "period": "DAY"},
                              tags=aws.tags)
apig.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
aws.track("usage plan", lambda: apig.delete_usage_plan(usagePlanId=plan["id"]))
aws.track("API key", lambda: apig.delete_api_key(apiKey=key["id"]))
CLERK = {"Authorization": "Bearer clerk-token", "x-api-key": key["value"]}
READER = {"Authorization": "Bearer reader-token", "x-api-key": key["value"]}

# %% [markdown] slideshow={"slide_type": "notes"}
# **Speaker notes.** `aws.track` registers deletions in reverse order of creation: the usage plan (which references
# the stage) goes before the key, and both before the API. On a real account a usage plan cannot be deleted while it
# still lists a stage; `lab.cleanup()` handles that order.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 6 · Test it
#
# A clerk adds two books, a reader lists them, reads one, the clerk replaces and removes one:

# %% slideshow={"slide_type": "-"}
import requests


def call(method, path, who=CLERK, **kwargs):
    r = requests.request(method, f"{base}{path}", headers=who, timeout=30, **kwargs)
    print(f"{method:6} {path:<16} → {lab.status_text(r.status_code)}", r.text[:70] if r.text else "")


call("POST", "books", json={"title": "Dune", "author": "Frank Herbert", "year": 1965})
call("POST", "books", json={"title": "Kindred", "author": "Octavia E. Butler", "year": 1979})
call("GET", "books", who=READER)
call("GET", "books/dune", who=READER)

# %% slideshow={"slide_type": "subslide"}
call("PUT", "books/dune", json={"title": "Dune", "author": "Frank Herbert", "year": 1966})
call("POST", "books", json={"title": "Dune"})
call("DELETE", "books/kindred")
call("GET", "books/kindred", who=READER)

# %% [markdown] slideshow={"slide_type": "subslide"}
# And the refusals, each from a different layer: no token (the authorizer is not even called), a wrong token (the
# gatekeeper refuses), a reader writing (the policy denies), no API key (the usage plan refuses):

# %% slideshow={"slide_type": "-"}
call("GET", "books", who={"x-api-key": key["value"]})
call("GET", "books", who={**READER, "Authorization": "Bearer guess"})
call("DELETE", "books/dune", who=READER)
call("GET", "books", who={"Authorization": "Bearer reader-token"})

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The same tests, as a Postman collection run by newman
#
# The course exports the deployed API as a Postman collection (one request per operation, each with a status test)
# and runs it with **newman**, Postman's command-line runner, as a CI pipeline would
# ([newman](https://learning.postman.com/docs/collections/using-newman-cli/command-line-integration-with-newman/)).

# %% slideshow={"slide_type": "-"}
book = {"title": "Beloved", "author": "Toni Morrison", "year": 1987}
one = {"path_params": {"id": "beloved"}}
examples = {"GET /books": {"headers": READER},
            "POST /books": {"body": book, "headers": CLERK, "expected_status": 201},
            "GET /books/{id}": {**one, "headers": READER},
            "PUT /books/{id}": {**one, "body": book, "headers": CLERK},
            "DELETE /books/{id}": {**one, "headers": CLERK, "expected_status": 204}}
collection = lab.openapi.postman_collection(api_id, "prod", examples, name="bookstore")
collection["item"].sort(key=lambda item: list(examples).index(item["name"]))  # create, read, update, delete
for result in lab.postman.run_newman(collection):
    print("✔" if result.passed else "✘", f"{result.method:6}", lab.status_text(result.status))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 7 · Watch it
#
# Every request above left a line in the access log, with the principal the gatekeeper named:

# %% slideshow={"slide_type": "-"}
log = lab.observability.access_log(f"bookstore-access-{api_id}")
print(len(log), "lines; the first three:")
for line in log[:3]:
    print({k: line[k] for k in ("httpMethod", "path", "status", "principal")})

# %% [markdown] slideshow={"slide_type": "subslide"}
# API Gateway also counts requests and errors per stage in CloudWatch (`AWS/ApiGateway`, dimensions `ApiName` and
# `Stage`; [metrics](https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-metrics-and-dimensions.html)).
# An alarm watches `5XXError`: any server error in a minute turns it to `ALARM`
# ([CloudWatch alarms](https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html)).

# %% slideshow={"slide_type": "-"}
for metric in ("Count", "4XXError", "5XXError"):
    print(f"{metric:9}", lab.observability.metric_total("bookstore", "prod", metric))
cw = aws.client("cloudwatch")
cw.put_metric_alarm(AlarmName="bookstore-prod-5xx", Namespace="AWS/ApiGateway", MetricName="5XXError",
                    Dimensions=[{"Name": "ApiName", "Value": "bookstore"}, {"Name": "Stage", "Value": "prod"}],
                    Statistic="Sum", Period=60, EvaluationPeriods=1, Threshold=1,
                    ComparisonOperator="GreaterThanOrEqualToThreshold", TreatMissingData="notBreaching", Tags=aws.tag_list)
aws.track("alarm bookstore-prod-5xx", lambda: cw.delete_alarms(AlarmNames=["bookstore-prod-5xx"]), once=True)
alarm = cw.describe_alarms(AlarmNames=["bookstore-prod-5xx"])["MetricAlarms"][0]
print(alarm["AlarmName"], alarm["MetricName"], alarm["ComparisonOperator"], alarm["Threshold"])

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 8 · Release v2 as a canary
#
# Version 2 reports `X-Release: v2`. It becomes the alias `next`; a **canary** on `prod` sends 20 % of requests to
# a deployment whose stage variable says `alias=next`, while 80 % stay on `live`
# ([canary releases](https://docs.aws.amazon.com/apigateway/latest/developerguide/canary-release.html)).

# %% slideshow={"slide_type": "-"}
lam.update_function_configuration(FunctionName="bookstore-books",
                                  Environment={"Variables": {"TABLE": "bookstore-books", "RELEASE": "v2"}})
lam.get_waiter("function_updated_v2").wait(FunctionName="bookstore-books")
v2 = lam.publish_version(FunctionName="bookstore-books", Description="release v2")["Version"]
point_alias("next", v2)
apig.create_deployment(restApiId=api_id, stageName="prod", description="release v2 as a canary",
                       canarySettings={"percentTraffic": 20.0, "stageVariableOverrides": {"alias": "next"}})
served = [requests.get(f"{base}books", headers=READER, timeout=30).headers["X-Release"] for _ in range(100)]
print({release: served.count(release) for release in ("v1", "v2")})

# %% [markdown] slideshow={"slide_type": "fragment"}
# *About* 20 %: each request is drawn at random, so 100 requests give 20 on average and anything from about 12 to 28
# in most runs. The course's random source is seeded, so this cell prints the same split every run; on AWS it varies.

# %% [markdown] slideshow={"slide_type": "subslide"}
# v2 behaves. **Promote** it: the stage takes the canary's deployment and variables, then the canary is removed
# ([promote a canary](https://docs.aws.amazon.com/apigateway/latest/developerguide/promote-canary-deployment.html)).
# Finally `live` moves to v2 and the stage goes back to calling `live`.

# %% slideshow={"slide_type": "-"}
apig.update_stage(restApiId=api_id, stageName="prod", patchOperations=[
    {"op": "copy", "from": "/canarySettings/deploymentId", "path": "/deploymentId"},
    {"op": "remove", "path": "/canarySettings"}])
point_alias("live", v2)
served = {requests.get(f"{base}books", headers=READER, timeout=30).headers["X-Release"] for _ in range(20)}
print("prod now serves", served, "| live →", lam.get_alias(FunctionName="bookstore-books", Name="live")["FunctionVersion"])

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 9 · When something breaks
#
# A colleague "tightened" the bookstore. Since then `DELETE /books/{id}` answers **502 Bad Gateway**, while every
# other route still works. This cell rebuilds their version:

# %% slideshow={"slide_type": "-"}
from lab_support.exercises.nb09 import prepare_09_1

prepare_09_1()
call("DELETE", "books/dune")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 09.1 · Diagnose: the shop cannot remove books
#
# Find the cause (the function's log says it), fix it without giving the function more than it needs, and check.

# %% slideshow={"slide_type": "-"}
# YOUR CODE HERE: find the cause, then fix it

lab.check("09.1")

# %% [markdown] slideshow={"slide_type": "slide"}
# ### Exercise 09.2 · Design: who checks the callers?
#
# The bookstore opens to 40 partner shops. Each shop's staff sign in to the partners' website (a web app), then the
# app calls the API on their behalf. You must know which shop's staff made each call, stop a shop that goes over
# its contract, and not write code that checks passwords. Choose `choice` from `"iam"`, `"cognito"`, `"lambda"`
# (the authorizer) and the labels of the statements that support it:
#
# - **a**: Cognito user pools sign users in and issue tokens API Gateway verifies without any code of yours.
# - **b**: IAM authorization suits people signing in to a website with a password.
# - **c**: group claims in the token (one group per shop) tell the backend which shop called.
# - **d**: a Lambda authorizer is the only way to return a 401.
# - **e**: API keys with one usage plan per shop meter each shop's calls and throttle a shop that goes over its
#   contract (best effort), whatever authorizer is used.

# %% slideshow={"slide_type": "-"}
choice = ...  # YOUR CODE HERE: "iam", "cognito" or "lambda"
reasons = set()  # YOUR CODE HERE: e.g. {"x", "y"}

lab.check("09.2", choice=choice, reasons=reasons)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - A CRUD API is five routes on two resources; a proxy integration hands each request to one function that routes.
# - Least privilege is concrete: the role lists the actions the code calls, on the one table it uses.
# - An OpenAPI definition with API Gateway's extensions is the whole API in one file: `import_rest_api` builds it.
# - Two gates, two questions: the authorizer decides *who* (401, 403), the API key and usage plan *how much* (403, 429).
# - Export the API as a Postman collection and newman tests it from the command line.
# - Access logs say what happened per request; metrics and an alarm say when something goes wrong.
# - A canary tries v2 on a share of real traffic; promotion makes it the release; aliases keep versions named.
# - One clean-up removes everything, and `lab.leftovers()` proves it.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## Questionnaire
#
# 1. Why does the table's name reach the function as an environment variable, and why does API Gateway call the
#    alias `live` rather than `$LATEST`?
# 2. Which status codes do the four refusals of section 6 get, and which component answers each?
# 3. What would break if the gatekeeper's policy allowed only the `methodArn` it was asked about?
# 4. Why does `import_rest_api` need the function ARNs filled into the definition, but no permission statements?
# 5. During the canary, 20 % was configured. Why was the count of `v2` not exactly 20 out of 100?
# 6. Which metric would you alarm on to notice that partner shops hit their quota?

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Clean up
#
# Removes everything this notebook created (on a real account: everything carrying the course's tag), then lists
# what is left: nothing.

# %% slideshow={"slide_type": "-"}
lab.cleanup()
lab.leftovers()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Next
#
# That was the course. The [README](../README.md) says how to run every notebook on a real account (`LAB_BACKEND=aws`),
# and AWS's [API Gateway developer guide](https://docs.aws.amazon.com/apigateway/latest/developerguide/welcome.html)
# goes further: custom domain names, caching, mutual TLS, and HTTP API features this course only touched.
