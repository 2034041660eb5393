# %% [markdown] slideshow={"slide_type": "slide"}
# # 04 · API Gateway architecture and endpoint types
#
# Notebook 01 called an API served by a plain Python service on your machine. This one builds the same kind of API
# with **Amazon API Gateway**: a REST API, piece by piece, with plain `boto3` calls — the same calls that work on a
# real AWS account — and then looks at *where* the API lives: its **endpoint type**.
#
# **Learning objectives**
# - say what API Gateway is, and which API types it offers today (REST, HTTP, WebSocket)
# - read an API's hostname `{api-id}.execute-api.{region}.amazonaws.com` part by part
# - name the four stages a request passes through: method request, integration request, integration
#   response, method response
# - build, deploy and call a REST API with a MOCK integration and with a Lambda proxy integration
# - choose between the EDGE, REGIONAL and PRIVATE endpoint types, and explain what a PRIVATE API needs
#   (a resource policy, a VPC endpoint)
# - estimate, with an explicit model, why an edge-optimized endpoint helps far-away clients
# - export an API as OpenAPI and as a Postman collection
#
# **Time**: about 45 minutes
#
# **Prerequisites**: [01 · What is an API](01_what_is_an_api.ipynb) (requests, status codes, curl) and
# [02 · Lambda invocation and permissions](02_lambda_invocation_and_permissions.ipynb) (who may invoke a function).

# %% slideshow={"slide_type": "skip"}
import lab_support as lab
aws = lab.start()
lab.use_course_style()
aws

# %% [markdown] slideshow={"slide_type": "notes"}
# **Speaker notes.** Run all cells before presenting (about 15 s). Every API below is created for real in the
# embedded AWS; the API ids are random, so the stored outputs show `APIID` where an id appears in a URL, a
# hostname or an ARN. With `LAB_BACKEND=aws` the same cells run on a real account, except the calls to the
# PRIVATE API, which print what that would need instead (a VPC endpoint costs money by the hour). Good moment to
# open the API Gateway console next to the notebook: each `put_*` call is one box in the console's
# "Method execution" view.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1 · What is Amazon API Gateway?
#
# The lecture notes:
#
# > An **API Gateway** is a serverless service from AWS which allows us to create **REST APIs** that are going
# > to be public and accessible to the clients. So, the client will talk to the API Gateway. The API Gateway will
# > then proxy the request to a lambda function. We can use an API Gateway because it provides an HTTP endpoint,
# > Authentication, Development stages etc.
#
# So API Gateway is the **front door**: it owns the hostname the client calls, checks and reshapes the request,
# hands it to a **backend** (a Lambda function, any HTTP endpoint, another AWS service, or a canned "mock"
# answer), and shapes the backend's answer into the HTTP response. "Serverless": there is no server of yours to
# patch or scale; you pay per request.

# %% [markdown] slideshow={"slide_type": "subslide"}
# > **📅 Update to the lecture notes.** The notes say API Gateway creates "REST APIs" that are "public". Today
# > API Gateway offers **three kinds of API**: **REST APIs** (the `apigateway` service in boto3, the most
# > features), **HTTP APIs** (`apigatewayv2`, fewer features, lower price, built for Lambda and HTTP backends) and
# > **WebSocket APIs** (`apigatewayv2`, two-way messages)
# > ([What is Amazon API Gateway?](https://docs.aws.amazon.com/apigateway/latest/developerguide/welcome.html)).
# > And not every API is public: a REST API can be **PRIVATE**, reachable only from a VPC. AWS's own advice
# > ([Choose between REST APIs and HTTP APIs](https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-vs-rest.html)):
# > choose a REST API if you need API keys, per-client throttling, request validation, AWS WAF or **private
# > endpoints**; otherwise an HTTP API. The endpoint types (section 3) differ too:
# >
# > | endpoint type | REST API | HTTP API |
# > |---|---|---|
# > | edge-optimized | ✓ (the default) | — |
# > | Regional | ✓ | ✓ |
# > | private | ✓ | — |
# >
# > This notebook builds **REST APIs**, because all three endpoint types exist only there.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The API endpoint: a hostname
#
# The notes: "API endpoint is the hostname of the API. It will be in the form
# **<<api-id>>execute-api.<<region>>.amazonaws.com**".

# %% [markdown] slideshow={"slide_type": "subslide"}
# > **📅 Update to the lecture notes.** A dot is missing: the default hostname of a REST API is
# > `{api-id}.execute-api.{region}.amazonaws.com`, and a stage's URL adds the stage name as the first path
# > segment, `https://{api-id}.execute-api.{region}.amazonaws.com/{stage}/`
# > ([Invoke REST APIs in API Gateway](https://docs.aws.amazon.com/apigateway/latest/developerguide/how-to-call-api.html)).
#
# `lab_support.course.endpoint_types.hostname_anatomy` takes such a name apart; here for an API whose id is `a1b2c3d4e5`
# (API Gateway picks the id, ten lowercase letters and digits, when the API is created):

# %% slideshow={"slide_type": "fragment"}
from lab_support.course import endpoint_types as endpoints

anatomy = endpoints.hostname_anatomy("a1b2c3d4e5", aws.region, "REGIONAL")
print(anatomy["url"])
for text, meaning in anatomy["parts"]:
    print(f"  {text:<15} {meaning}")
print("resolves to:", anatomy["resolves_to"])

# %% [markdown] slideshow={"slide_type": "slide"}
# ## How a request flows through a REST API
#
# The notes list the concepts: the **client**, the **endpoint** (its type decides the hostname's route), and the
# **integration** ("the key component … which connects the route to backend resources"). Between the endpoint and
# the backend, a REST API passes every request through four configurable steps
# ([API Gateway concepts](https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-basic-concept.html)):
#
# ```mermaid
# flowchart LR
#     C[Client] --> E["Endpoint<br/>{api-id}.execute-api.{region}.amazonaws.com/{stage}"]
#     E --> MReq["Method request<br/>resource + HTTP method,<br/>authorization, validation"]
#     MReq --> IReq["Integration request<br/>MOCK / HTTP / AWS / Lambda,<br/>mapping templates"]
#     IReq --> B["Backend<br/>Lambda function, HTTP endpoint,<br/>AWS service, mock"]
#     B --> IRes["Integration response<br/>status code selection,<br/>response templates"]
#     IRes --> MRes["Method response<br/>status codes and headers<br/>the client may see"]
#     MRes --> C
# ```
#
# | piece | boto3 call | what it says |
# |---|---|---|
# | resource | `create_resource` | a path such as `/hello` |
# | method request | `put_method` | which HTTP method, which authorization |
# | integration request | `put_integration` | which backend, how the request is passed on |
# | integration response | `put_integration_response` | how the backend's answer becomes a status code and body |
# | method response | `put_method_response` | which status codes (and headers) the method declares |
# | deployment, stage | `create_deployment` | a snapshot of the API, published under a name such as `prod` |

# %% [markdown] slideshow={"slide_type": "notes"}
# **Speaker notes.** Walk the diagram left to right once, then point out that a *proxy* integration (later in this
# section) collapses the two middle boxes: the request goes to Lambda as an event, and Lambda's return value *is*
# the response. Nothing a client sends reaches the backend before a deployment exists: editing the API changes
# the definition, `create_deployment` publishes it.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2 · Build a REST API step by step
#
# One boto3 client for the API Gateway control plane. On a real account the control plane is throttled per account
# ([API Gateway quotas](https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html): `CreateDeployment`
# one request every 5 seconds, `DeleteRestApi` and `CreateRestApi` for an edge-optimized API one every 30 seconds),
# so the client retries throttled calls for longer than boto3's default; a cell may pause there.
#
# The notebook must also survive "Run all" twice. The re-run plumbing comes from `lab_support.course.api_builders` (plain
# boto3, short enough to read): `delete_rest_apis_named(name)` removes the APIs an earlier run left, so a re-run
# ends with one API, not two; `delete_rest_api(api_id)` deletes one API and does not mind if it is gone already.

# %% slideshow={"slide_type": "subslide"}
from botocore.config import Config

from lab_support.course.api_builders import delete_rest_api, delete_rest_apis_named, rest_api

apigw = aws.client("apigateway", config=Config(retries={"mode": "standard", "max_attempts": 10}))

# %% [markdown] slideshow={"slide_type": "subslide"}
# **The API.** `endpointConfiguration` chooses the endpoint type (section 3); this first API is REGIONAL.
# Like everything the course creates, it carries the course tag, and `aws.track` registers its deletion for
# `lab.cleanup()`. Every REST API starts with one resource, the root `/`.

# %% slideshow={"slide_type": "-"}
delete_rest_apis_named("nb04-hello-api")  # a re-run: remove the API the previous run created
api = apigw.create_rest_api(name="nb04-hello-api", endpointConfiguration={"types": ["REGIONAL"]},
                            description="Notebook 04: MOCK and Lambda proxy integrations", tags=aws.tags)
api_id = api["id"]
aws.track("REST API nb04-hello-api", lambda: delete_rest_api(api_id))
root_id = apigw.get_resources(restApiId=api_id)["items"][0]["id"]
api["name"], api["endpointConfiguration"]["types"]

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Resource and method request.** The resource `/hello` under the root; on it, the method `GET` with no
# authorization (anyone may call it).

# %% slideshow={"slide_type": "-"}
hello_id = apigw.create_resource(restApiId=api_id, parentId=root_id, pathPart="hello")["id"]
apigw.put_method(restApiId=api_id, resourceId=hello_id, httpMethod="GET", authorizationType="NONE")["httpMethod"]

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Integration request: MOCK.** The simplest backend is none at all: a
# [mock integration](https://docs.aws.amazon.com/apigateway/latest/developerguide/how-to-mock-integration.html)
# answers from API Gateway itself. Its request template chooses the status code the "backend" returns.

# %% slideshow={"slide_type": "-"}
apigw.put_integration(restApiId=api_id, resourceId=hello_id, httpMethod="GET", type="MOCK",
                      requestTemplates={"application/json": '{"statusCode": 200}'})["type"]

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Method response and integration response.** The method declares that it may answer `200`; the integration
# response maps the mock's `200` to that method response and writes the body.

# %% slideshow={"slide_type": "-"}
apigw.put_method_response(restApiId=api_id, resourceId=hello_id, httpMethod="GET", statusCode="200",
                          responseModels={"application/json": "Empty"})
apigw.put_integration_response(restApiId=api_id, resourceId=hello_id, httpMethod="GET", statusCode="200",
                               responseTemplates={"application/json": '{"message": "hello from a MOCK integration"}'})
print("GET /hello: method response 200, integration response 200")

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Deploy.** Nothing is callable yet: `create_deployment` snapshots the API and publishes it as the stage `prod`.
# `aws.stage_url` gives the stage's URL in the form this backend answers: on a real account
# `https://{api-id}.execute-api.{region}.amazonaws.com/prod/hello`; on the embedded backend a loopback URL that
# curl, Postman and a browser reach too.

# %% slideshow={"slide_type": "-"}
apigw.create_deployment(restApiId=api_id, stageName="prod", description="first deployment")
url = aws.stage_url(api_id, "prod", "hello")
print(url)

# %% slideshow={"slide_type": "fragment"}
import requests

print(lab.curl_line("GET", url))
r = requests.get(url, timeout=30)
r.status_code, r.json()

# %% [markdown] slideshow={"slide_type": "subslide"}
# **The four pieces, read back.** `get_method` returns the method request with its integration (request and
# responses) embedded; here are the parts that matter (the full answer also holds ids and defaults).

# %% slideshow={"slide_type": "-"}
method = apigw.get_method(restApiId=api_id, resourceId=hello_id, httpMethod="GET")
integration = apigw.get_integration(restApiId=api_id, resourceId=hello_id, httpMethod="GET")
print("method request      :", {k: method[k] for k in ("httpMethod", "authorizationType")})
print("integration request :", {k: integration[k] for k in ("type", "requestTemplates")})
print("integration response:", {code: {"responseTemplates": resp["responseTemplates"]}
                                 for code, resp in integration["integrationResponses"].items()})
print("method response     :", {code: {"responseModels": resp.get("responseModels")}
                                 for code, resp in method["methodResponses"].items()})

# %% [markdown] slideshow={"slide_type": "slide"}
# ### A Lambda proxy integration
#
# Now a real backend. With a **Lambda proxy integration** (`type="AWS_PROXY"`) API Gateway sends the whole
# request to the function as an event and returns the function's `{"statusCode", "headers", "body"}` as the
# response: no integration or method responses to configure
# ([Lambda proxy integrations](https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html)).
# `lab.create_function` creates the function (re-runnable, tagged, tracked).

# %% slideshow={"slide_type": "subslide"}
GREETER = '''
import json

def handler(event, context):
    name = (event.get("queryStringParameters") or {}).get("name", "world")
    body = {"message": f"hello, {name}", "resource": event["resource"], "stage": event["requestContext"]["stage"]}
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": json.dumps(body)}
'''
function_arn = lab.create_function("nb04-greeter", GREETER)["FunctionArn"]

greet_id = apigw.create_resource(restApiId=api_id, parentId=root_id, pathPart="greet")["id"]
apigw.put_method(restApiId=api_id, resourceId=greet_id, httpMethod="GET", authorizationType="NONE")
apigw.put_integration(
    restApiId=api_id, resourceId=greet_id, httpMethod="GET", type="AWS_PROXY",
    integrationHttpMethod="POST",  # Lambda is always invoked with POST
    uri=f"arn:aws:apigateway:{aws.region}:lambda:path/2015-03-31/functions/{function_arn}/invocations",
)["type"]

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Permission.** As in notebook 02, API Gateway may only invoke the function if the function's resource-based
# policy allows the principal `apigateway.amazonaws.com`, narrowed by `SourceArn` to this API's `GET /greet` on
# any stage: `arn:aws:execute-api:{region}:{account}:{api-id}/*/GET/greet`. The old statement goes first, because
# a re-run has a new API id.

# %% slideshow={"slide_type": "-"}
lam = aws.client("lambda")
try:
    lam.remove_permission(FunctionName="nb04-greeter", StatementId="apigateway-get-greet")
except lam.exceptions.ResourceNotFoundException:
    pass  # first run: no statement yet
statement = lam.add_permission(
    FunctionName="nb04-greeter", StatementId="apigateway-get-greet", Action="lambda:InvokeFunction",
    Principal="apigateway.amazonaws.com",
    SourceArn=f"arn:aws:execute-api:{aws.region}:{aws.account_id}:{api_id}/*/GET/greet",
)["Statement"]
print(statement)

# %% [markdown] slideshow={"slide_type": "subslide"}
# Redeploy (the `prod` stage still serves the first snapshot, without `/greet`), then call it.

# %% slideshow={"slide_type": "-"}
apigw.create_deployment(restApiId=api_id, stageName="prod", description="adds GET /greet")
greet_url = aws.stage_url(api_id, "prod", "greet") + "?name=Ada"
print(lab.curl_line("GET", greet_url))
r = requests.get(greet_url, timeout=30)
r.status_code, r.json()

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 04.1
#
# Build, on your own, a **REGIONAL** REST API named `exercise-regional` with a `GET /hello` method whose **MOCK**
# integration answers `200`, deployed to the stage **`dev`**. The check calls `GET /hello` on that stage.
# (Create it with `apigw.create_rest_api` as above, or with `rest_api("exercise-regional", fresh=True, ...)`, which
# returns the new API's id; `fresh=True` deletes an API of that name left by an earlier try first.)

# %% slideshow={"slide_type": "-"}
# YOUR CODE HERE

lab.check("04.1")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3 · Endpoint types: EDGE, REGIONAL, PRIVATE
#
# The notes list three endpoint types; the [API endpoint types](https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-api-endpoint-types.html)
# page says what each does:
#
# - **Edge-optimized** (`EDGE`) "typically routes requests to the nearest CloudFront Point of Presence (POP),
#   which could help in cases where your clients are geographically distributed. This is the default endpoint
#   type for API Gateway REST APIs."
# - **Regional** (`REGIONAL`) "is intended for clients in the same Region", for example EC2 instances there, and
#   "reduces connection overhead". (Put your own CloudFront distribution in front of it if you want both.)
# - **Private** (`PRIVATE`): "A private API is a REST API that is only callable from within an Amazon VPC", through
#   an interface VPC endpoint ([Private REST APIs](https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-private-apis.html)).
#
# One of each. The first passes no `endpointConfiguration` at all, to see the default. From here on
# `rest_api(name, fresh=True, **kwargs)` does what the cell above did by hand: delete an API of that name left by
# an earlier run, then `create_rest_api(name=name, **kwargs)` with the course tag, tracked for clean-up; it returns
# the new API's id.

# %% slideshow={"slide_type": "subslide"}
edge_id = rest_api("nb04-edge", fresh=True)  # no endpointConfiguration: the default
regional_id = rest_api("nb04-regional", fresh=True, endpointConfiguration={"types": ["REGIONAL"]})
private_id = rest_api("nb04-private", fresh=True, endpointConfiguration={"types": ["PRIVATE"]})
for created in (edge_id, regional_id, private_id):
    described = apigw.get_rest_api(restApiId=created)
    print(f"{described['name']:<14}", described["endpointConfiguration"]["types"])

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### A PRIVATE API needs a resource policy
#
# Give the PRIVATE API a MOCK `GET /pets` and try to deploy it. The
# [resource policy page](https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-resource-policies-create-attach.html)
# warns: "For a private API, you can't deploy your API without a resource policy."

# %% slideshow={"slide_type": "-"}
from botocore.exceptions import ClientError

pets_id = apigw.create_resource(restApiId=private_id, parentId=apigw.get_resources(restApiId=private_id)["items"][0]["id"],
                                pathPart="pets")["id"]
apigw.put_method(restApiId=private_id, resourceId=pets_id, httpMethod="GET", authorizationType="NONE")
apigw.put_integration(restApiId=private_id, resourceId=pets_id, httpMethod="GET", type="MOCK",
                      requestTemplates={"application/json": '{"statusCode": 200}'})
apigw.put_method_response(restApiId=private_id, resourceId=pets_id, httpMethod="GET", statusCode="200")
apigw.put_integration_response(restApiId=private_id, resourceId=pets_id, httpMethod="GET", statusCode="200",
                               responseTemplates={"application/json": '{"pets": ["Rex", "Tom"]}'})
try:
    apigw.create_deployment(restApiId=private_id, stageName="prod")
except ClientError as err:
    print(err.response["Error"]["Code"] + ":", err.response["Error"]["Message"])

# %% [markdown] slideshow={"slide_type": "subslide"}
# The usual policy for a private API
# ([examples](https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-resource-policies-examples.html)):
# allow `execute-api:Invoke` on the whole API, then **deny** it unless the request came through *our* interface
# VPC endpoint (`aws:SourceVpce`). An explicit Deny always wins over an Allow.

# %% slideshow={"slide_type": "-"}
import json

VPCE_ID = "vpce-0123456789abcdef0"  # the interface VPC endpoint for execute-api in our VPC
policy = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*"},
        {"Effect": "Deny", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*",
         "Condition": {"StringNotEquals": {"aws:SourceVpce": VPCE_ID}}},
    ],
}
apigw.update_rest_api(restApiId=private_id,
                      patchOperations=[{"op": "replace", "path": "/policy", "value": json.dumps(policy)}])
apigw.create_deployment(restApiId=private_id, stageName="prod")
print("deployed:", [s["stageName"] for s in apigw.get_stages(restApiId=private_id)["item"]])

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Calling the private API
#
# On AWS the private API's name resolves only inside the VPC (or through the alias
# `{api-id}-{vpce-id}.execute-api.{region}.amazonaws.com`; see
# [Invoke a private API](https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-private-api-test-invoke-url.html)).
# This machine has no VPC, so the local gateway reads "which VPC endpoint did this come through" from the
# request: the **course convention** header `X-Lab-Source-Vpce: vpce-…` (not an AWS header), or the alias host
# name. Without it, a request is treated as coming from outside any VPC and gets the 403 API Gateway sends when the
# resource policy denies a call
# ([troubleshooting 403 errors](https://repost.aws/knowledge-center/api-gateway-troubleshoot-403-forbidden)).
#
# On a real account this cell prints what a private API would need instead: a VPC endpoint costs money every
# hour it exists.

# %% slideshow={"slide_type": "-"}
from lab_support.embedded.apigateway.private_endpoints import explain_private_on_real_account

pets_url = aws.stage_url(private_id, "prod", "pets")
if aws.backend == "aws":
    print(explain_private_on_real_account())
else:
    print(lab.curl_line("GET", pets_url))
    r = requests.get(pets_url, timeout=30)
    print(r.status_code, r.headers["x-amzn-ErrorType"])
    print(r.text)

# %% slideshow={"slide_type": "fragment"}
if aws.backend == "aws":
    print("(real account: see the cell above)")
else:
    through_vpce = {"X-Lab-Source-Vpce": VPCE_ID}
    print(lab.curl_line("GET", pets_url, headers=through_vpce))
    r = requests.get(pets_url, headers=through_vpce, timeout=30)
    print(r.status_code, r.json())

# %% [markdown] slideshow={"slide_type": "notes"}
# **Speaker notes.** Ask what happens with `X-Lab-Source-Vpce: vpce-0ther` (403 again, now "with an explicit deny":
# the Deny statement matched). On AWS the 403 without a VPC endpoint never happens in practice: outside the VPC the
# name does not even resolve. `explain_private_on_real_account()` is worth showing even here: it is the cost
# warning students need before trying this on their own account.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 04.2
#
# Pick the endpoint type (`"EDGE"`, `"REGIONAL"` or `"PRIVATE"`) for each API:
#
# - **a** — a public weather API used by a mobile app with users on every continent;
# - **b** — an API called only by EC2 instances and Lambda functions in the same Region as the API, over the
#   public endpoint;
# - **c** — an internal HR API that must never be reachable from the internet, only from the company's VPC.

# %% slideshow={"slide_type": "-"}
# YOUR CODE HERE
answer = None  # e.g. {"a": "...", "b": "...", "c": "..."}

lab.check("04.2", answer)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4 · Edge versus Regional, made visible
#
# Why would the edge help? A new HTTPS connection costs round trips (TCP, then TLS) before the request's own round
# trip. With an EDGE endpoint those round trips end at a nearby CloudFront edge; only one trip crosses the ocean,
# on the AWS backbone, over a connection the edge keeps open. `endpoints.estimate_latency` puts numbers on it with
# a deliberately simple model. **Everything it prints is an estimate for teaching, not a measurement.** Its
# assumptions:

# %% slideshow={"slide_type": "subslide"}
for name, assumption in endpoints.ASSUMPTIONS.items():
    print(f"{name:>22}: {assumption}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# A client in Sydney calling an API in `us-east-1` (N. Virginia), and one in Frankfurt calling the same API:

# %% slideshow={"slide_type": "-"}
import matplotlib.pyplot as plt

endpoints.plot_edge_vs_regional("Sydney", "us-east-1")
plt.show()

# %% slideshow={"slide_type": "fragment"}
endpoints.plot_edge_vs_regional("Frankfurt", "us-east-1")
plt.show()

# %% [markdown] slideshow={"slide_type": "subslide"}
# The same numbers as a table (estimates, milliseconds to the first byte of a new connection):

# %% slideshow={"slide_type": "-"}
for city in ("Sydney", "Frankfurt", "New York"):
    estimates = {kind: endpoints.estimate_latency(city, "us-east-1", kind) for kind in ("EDGE", "REGIONAL")}
    edge_city = estimates["EDGE"]["edge"]["name"]
    print(f"{city:<10} → us-east-1: EDGE ≈ {estimates['EDGE']['total_ms']:6.1f} ms (via {edge_city}), "
          f"REGIONAL ≈ {estimates['REGIONAL']['total_ms']:6.1f} ms")

# %% [markdown] slideshow={"slide_type": "subslide"}
# Try your own city. Pick a client city and a Region; the figure redraws. (The widget needs a running kernel:
# in a static view of this notebook you only see its description.)

# %% slideshow={"slide_type": "-"}
import ipywidgets as widgets

city_menu = widgets.Dropdown(options=endpoints.known_cities(), value="Sydney", description="Client")
region_menu = widgets.Dropdown(options=sorted(endpoints.regions()), value="eu-central-1", description="Region")
figure_area = widgets.Output()


def redraw(_change=None):
    figure = endpoints.plot_edge_vs_regional(city_menu.value, region_menu.value)
    figure_area.outputs = ()
    figure_area.append_display_data(figure)  # into the widget, not below the cell
    plt.close(figure)


city_menu.observe(redraw, names="value")
region_menu.observe(redraw, names="value")
redraw()
widgets.VBox([widgets.HBox([city_menu, region_menu]), figure_area])

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5 · Export the API: OpenAPI and Postman
#
# An API's definition can leave API Gateway as an **OpenAPI** document, with API Gateway's own extensions such
# as `x-amazon-apigateway-integration` ([Export a REST API](https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-export-api.html)).
# `lab_support.course.openapi.openapi` builds it from the control plane (the same boto3 calls on both backends) and
# validates it. Here is the beginning of `nb04-hello-api`'s:

# %% slideshow={"slide_type": "subslide"}
from lab_support.course import openapi as export

document = export.openapi(api_id, "prod")
text = json.dumps(document, indent=2)
print("\n".join(text.splitlines()[:32]))
print(f"… ({len(text.splitlines())} lines in all; paths: {', '.join(document['paths'])})")

# %% [markdown] slideshow={"slide_type": "subslide"}
# The same operations as a **Postman collection** (v2.1), one request per method, with the stage URL in the
# collection variable `baseUrl`:

# %% slideshow={"slide_type": "-"}
import tempfile
from pathlib import Path

collection = export.postman_collection(api_id, "prod", {"GET /greet": {"query": {"name": "Ada"}}})
collection_file = Path(tempfile.gettempdir()) / "nb04-hello-api.postman_collection.json"
collection_file.write_text(json.dumps(collection, indent=2))
print("wrote", collection_file.name, "in your temporary folder, with requests:")
for item in collection["item"]:
    print(" ", item["name"])

# %% [markdown] slideshow={"slide_type": "fragment"}
# To use it: in Postman choose **Import** (top left), drop the file (`print(collection_file)` shows where it is)
# and send the requests from the new collection; or run them all from a terminal with
# `npx newman run nb04-hello-api.postman_collection.json`. On the embedded backend the kernel must still be
# running: it serves the API.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Clean up
#
# Deletes every API and function this notebook created (and registered with `aws.track`).

# %% slideshow={"slide_type": "-"}
lab.cleanup()
