# %% [markdown] slideshow={"slide_type": "slide"}
# # 04 · API Gateway architecture and endpoint types
#
# Notebook 01 called an API served by a plain Python service on your machine. This one builds the same
# kind of API with **Amazon API Gateway**: a REST API, piece by piece, with plain `boto3` calls — the
# same calls that work on a real AWS account — then the same API from an OpenAPI definition, and then
# *where* the API lives: its **endpoint type**.
#
# **Learning objectives**
# - say what API Gateway is, and which API types it offers today (REST, HTTP, WebSocket)
# - read an API's hostname `{api-id}.execute-api.{region}.amazonaws.com` part by part
# - name the four steps a request passes through: method request, integration request, integration
#   response, method response
# - build, deploy and call a REST API with a MOCK integration and with a Lambda proxy integration, and explain
#   what a deployment is
# - export an API as OpenAPI (and Postman), and create an API from an OpenAPI definition (`import_rest_api`)
# - choose between the EDGE, REGIONAL and PRIVATE endpoint types, and explain what a PRIVATE API needs
# - estimate, with an explicit model, when an edge-optimized endpoint helps far-away clients
#
# **Time**: about 90 minutes
#
# **Prerequisites**: [01 · What is an API](01_what_is_an_api.ipynb) (requests, status codes, curl) and
# [02 · Lambda invocation and permissions](02_lambda_invocation_and_permissions.ipynb) (who may invoke a function).

# %% slideshow={"slide_type": "skip"}
import lab_support as lab
aws = lab.start()
lab.use_course_style()
aws

# %% [markdown] slideshow={"slide_type": "-"}
# Before a notebook creates anything, it says what that costs: on a real account `lab.costs` lists the
# billable resources with their prices; here, on the embedded backend, it prints one line.

# %% slideshow={"slide_type": "-"}
lab.costs("04")

# %% [markdown] slideshow={"slide_type": "notes"}
# **Speaker notes.** Run all cells before presenting (about 20 s). Every API below is created for real in the
# embedded AWS. API ids are random: the stored outputs show the ids of the run that built them (strict nbval
# masks them when it compares). With `LAB_BACKEND=aws` the same cells run on a real account, except the calls to
# the PRIVATE API, which skip with one line saying why (a VPC endpoint costs money by the hour). Good moment
# to open the API Gateway console next to the notebook: each `put_*` call is one box in its "Method execution"
# view.

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
#
# > **📅 Update to the lecture notes.** A dot is missing: the default hostname of a REST API is
# > `{api-id}.execute-api.{region}.amazonaws.com`, and a stage's URL adds the stage name as the first path
# > segment, `https://{api-id}.execute-api.{region}.amazonaws.com/{stage}/`
# > ([Invoke REST APIs in API Gateway](https://docs.aws.amazon.com/apigateway/latest/developerguide/how-to-call-api.html)).
#
# `endpoints.hostname_anatomy` takes such a name apart; here for an API whose id is `a1b2c3d4e5` (API Gateway
# picks the id, ten lowercase letters and digits, when the API is created):

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

# %% [markdown] slideshow={"slide_type": "subslide"}
# Each piece is one boto3 call on the control plane (the `apigateway` client):
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
# the response.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2 · Build a REST API step by step
#
# This is the one place in the course where a REST API is built call by call; later notebooks create theirs from
# an OpenAPI definition (end of this section). On a real account the control plane is throttled per account
# ([API Gateway quotas](https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html): `CreateDeployment`
# one request every 5 seconds, `CreateRestApi` and `DeleteRestApi` one every 30 seconds for some calls), so the
# client retries throttled calls for longer than boto3's default; a cell may pause there.
#
# A re-run must not leave two APIs of the same name: `delete_rest_apis_named(name)` removes the ones an earlier
# run left; `delete_rest_api(api_id)` deletes one and does not mind if it is gone already.

# %% slideshow={"slide_type": "fragment"}
import json

import requests
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

# %% [markdown] slideshow={"slide_type": "fragment"}
# **Integration request: MOCK.** The simplest backend is none at all: a
# [mock integration](https://docs.aws.amazon.com/apigateway/latest/developerguide/how-to-mock-integration.html)
# answers from API Gateway itself. Its request template chooses the status code the "backend" returns.

# %% slideshow={"slide_type": "fragment"}
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
# **Deploy.** Nothing is callable yet: `create_deployment` takes a **snapshot** of the API (its resources, methods
# and integrations) and publishes it as the stage `prod`. `aws.stage_url` gives the stage's URL as this backend
# answers it: on a real account `https://{api-id}.execute-api.{region}.amazonaws.com/prod/hello`; on the embedded
# backend a loopback URL that curl, Postman and a browser reach too.

# %% slideshow={"slide_type": "-"}
apigw.create_deployment(restApiId=api_id, stageName="prod", description="first deployment")
url = aws.stage_url(api_id, "prod", "hello")
print(lab.curl_line("GET", url))
lab.show(requests.get(url, timeout=30))

# %% [markdown] slideshow={"slide_type": "subslide"}
# **The four pieces, read back.** `get_method` returns the method request with its integration (request and
# responses) embedded; here are the parts that matter (the full answer also holds ids and defaults).

# %% slideshow={"slide_type": "-"}
method = apigw.get_method(restApiId=api_id, resourceId=hello_id, httpMethod="GET")
integration = method["methodIntegration"]
print("method request      :", {k: method[k] for k in ("httpMethod", "authorizationType")})
print("integration request :", {k: integration[k] for k in ("type", "requestTemplates")})
print("integration response:", {code: resp["responseTemplates"]
                                 for code, resp in integration["integrationResponses"].items()})
print("method response     :", {code: resp.get("responseModels") for code, resp in method["methodResponses"].items()})

# %% [markdown] slideshow={"slide_type": "slide"}
# ### A Lambda proxy integration
#
# Now a real backend. With a **Lambda proxy integration** (`type="AWS_PROXY"`) API Gateway sends the whole
# request to the function as an event and returns the function's `{"statusCode", "headers", "body"}` as the
# response: no integration or method responses to configure
# ([Lambda proxy integrations](https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html)).
# The function, in a `%%lambda_handler` cell (JupyterLab highlights it; the kernel keeps it in `greeter_code`):

# %% slideshow={"slide_type": "-"}
# %%lambda_handler greeter_code
import json


def handler(event, context):
    name = (event.get("queryStringParameters") or {}).get("name", "world")
    body = {"message": f"hello, {name}", "resource": event["resource"], "stage": event["requestContext"]["stage"]}
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": json.dumps(body)}

# %% [markdown] slideshow={"slide_type": "subslide"}
# Deploy the function (`lab.create_function`: re-runnable, tagged, tracked), then `GET /greet` with an
# `AWS_PROXY` integration. Lambda's Invoke API is always called with `POST`, whatever the client's method:

# %% slideshow={"slide_type": "-"}
function_arn = lab.create_function("nb04-greeter", greeter_code)["FunctionArn"]

greet_id = apigw.create_resource(restApiId=api_id, parentId=root_id, pathPart="greet")["id"]
apigw.put_method(restApiId=api_id, resourceId=greet_id, httpMethod="GET", authorizationType="NONE")
apigw.put_integration(
    restApiId=api_id, resourceId=greet_id, httpMethod="GET", type="AWS_PROXY",
    integrationHttpMethod="POST",
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
print(json.loads(statement)["Condition"])

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 04.1 · Predict: a method added after the deployment
#
# The stage `prod` was deployed **before** `GET /greet` existed. The method, its integration and the permission
# are in place now, but nobody has deployed since. What status code does `GET /greet` on stage `prod` answer
# right now? Choose one of `200`, `403`, `404`, `500`, `502`, write it in `prediction`, **then** run the cell: the
# check builds a small API of its own in the same situation, calls it, and explains what happened.

# %% slideshow={"slide_type": "-"}
prediction = ...  # YOUR CODE HERE: 200, 403, 404, 500 or 502

lab.check("04.1", prediction=prediction)

# %% [markdown] slideshow={"slide_type": "subslide"}
# Redeploy, so that `prod` serves a snapshot with `/greet`, then call it:

# %% slideshow={"slide_type": "-"}
apigw.create_deployment(restApiId=api_id, stageName="prod", description="adds GET /greet")
greet_url = aws.stage_url(api_id, "prod", "greet") + "?name=Ada"
print(lab.curl_line("GET", greet_url))
lab.show(requests.get(greet_url, timeout=30))

# %% [markdown] slideshow={"slide_type": "subslide"}
# > **🤔 Check yourself.** For `GET /greet` you configured neither an integration response nor a method response.
# > Who decided the status code `200` and the `Content-Type` header of the answer above?
# >
# > <details><summary>Answer</summary>
# >
# > The function: with a proxy integration, API Gateway turns the function's return value
# > (`statusCode`, `headers`, `body`) into the HTTP response as it is. A function that returned something else
# > (no `statusCode`, a `body` that is not a string) would make API Gateway answer `502 Bad Gateway`.
# > </details>

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The same API as an OpenAPI definition
#
# An API's definition can leave API Gateway as an **OpenAPI** document, with API Gateway's own extensions such
# as `x-amazon-apigateway-integration` ([Export a REST API](https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-export-api.html)).
# `export.openapi(api_id, stage)` builds it from the control plane (the same boto3 calls on both backends) and
# validates it. It is long; `lab.show` prints its beginning (`full=True` prints all of it):

# %% slideshow={"slide_type": "-"}
from lab_support.course import openapi as export

document = export.openapi(api_id, "prod")
lab.show(document)

# %% [markdown] slideshow={"slide_type": "subslide"}
# Both paths of section 2 are in there: `/hello` with its `mock` integration, request template and response,
# `/greet` with its `aws_proxy` integration and the function's ARN in `uri`. Here is `GET /hello`'s extension:

# %% slideshow={"slide_type": "-"}
lab.show(document["paths"]["/hello"]["get"]["x-amazon-apigateway-integration"])

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Creating an API from a definition
#
# The other direction: `import_rest_api` creates a whole REST API from such a document in one call
# ([import a REST API](https://docs.aws.amazon.com/apigateway/latest/developerguide/import-edge-optimized-api.html);
# `endpointConfigurationTypes` makes it Regional). This is how later notebooks create their APIs: the build-up
# above, once, is what such a definition stands for. A copy of `nb04-hello-api`, tagged and tracked:

# %% slideshow={"slide_type": "-"}
definition = dict(document, info={"title": "nb04-hello-copy", "version": "1.0"})
definition.pop("servers")  # the invoke URL belongs to the original API
delete_rest_apis_named("nb04-hello-copy")
copy_id = apigw.import_rest_api(body=json.dumps(definition), parameters={"endpointConfigurationTypes": "REGIONAL"})["id"]
apigw.tag_resource(resourceArn=f"arn:aws:apigateway:{aws.region}::/restapis/{copy_id}", tags=aws.tags)
aws.track("REST API nb04-hello-copy", lambda: delete_rest_api(copy_id))
print([resource["path"] for resource in apigw.get_resources(restApiId=copy_id)["items"]])

# %% [markdown] slideshow={"slide_type": "fragment"}
# Deploy the copy and call its `/hello`: the same answer as the original. (Its `/greet` would need a permission
# of its own: the function's policy names the original API's id in `SourceArn`.)

# %% slideshow={"slide_type": "fragment"}
apigw.create_deployment(restApiId=copy_id, stageName="prod")
lab.show(requests.get(aws.stage_url(copy_id, "prod", "hello"), timeout=30))

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

# %% [markdown] slideshow={"slide_type": "subslide"}
# The set-up for the next exercise: the orders team imported their API from their own OpenAPI definition and
# deployed it to `prod`. Their clients call `GET /orders`:

# %% slideshow={"slide_type": "-"}
from lab_support.exercises.nb04 import prepare_04_2

orders_api = prepare_04_2()
orders_url = aws.stage_url(orders_api, "prod", "orders")
print(lab.curl_line("GET", orders_url))
lab.show(requests.get(orders_url, timeout=30))

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 04.2 · Diagnose: GET /orders answers 403
#
# The clients get `403` with the message "Missing Authentication Token", although the method needs no
# authentication at all. Find out why with `apigw` calls, and fix the API so that `GET /orders` on stage `prod`
# answers `200` with the orders. (API Gateway's
# [troubleshooting page for this message](https://repost.aws/knowledge-center/api-gateway-authentication-token-errors)
# lists its causes.) The check calls `GET /orders` on `prod`.

# %% slideshow={"slide_type": "-"}
# YOUR CODE HERE

lab.check("04.2")

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

# %% [markdown] slideshow={"slide_type": "subslide"}
# One of each. `rest_api(name, fresh=True, **kwargs)` does what section 2 did by hand: delete an API of that
# name left by an earlier run, then `create_rest_api(name=name, **kwargs)`, tagged and tracked; it returns the id.

# %% slideshow={"slide_type": "fragment"}
edge_id = rest_api("nb04-edge", fresh=True)  # no endpointConfiguration: the default
regional_id = rest_api("nb04-regional", fresh=True, endpointConfiguration={"types": ["REGIONAL"]})
private_id = rest_api("nb04-private", fresh=True, endpointConfiguration={"types": ["PRIVATE"]})
for created in (edge_id, regional_id, private_id):
    described = apigw.get_rest_api(restApiId=created)
    print(f"{described['name']:<14}", described["endpointConfiguration"]["types"])

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### A PRIVATE API needs a resource policy
#
# Give the PRIVATE API a MOCK `GET /pets`, this time from a definition (`import` with `mode="overwrite"`
# replaces the API's resources with the document's), and try to deploy it. The
# [resource policy page](https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-resource-policies-create-attach.html)
# warns: "For a private API, you can't deploy your API without a resource policy."

# %% slideshow={"slide_type": "-"}
from botocore.exceptions import ClientError

pets = json.loads(json.dumps(document["paths"]["/hello"]))  # a copy of GET /hello's MOCK …
pets["get"]["x-amazon-apigateway-integration"]["responses"]["default"]["responseTemplates"] = {
    "application/json": '{"pets": ["Rex", "Tom"]}'}  # … with another body
apigw.put_rest_api(restApiId=private_id, mode="overwrite", body=json.dumps(
    {"openapi": "3.0.1", "info": {"title": "nb04-private", "version": "1.0"}, "paths": {"/pets": pets}}))
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
# A private API's default name `{api-id}.execute-api.{region}.amazonaws.com` is a public DNS name: it resolves
# from anywhere, but a call that does not come through an interface VPC endpoint is refused with `403 Forbidden`
# ([Private REST APIs](https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-private-apis.html),
# [How do I troubleshoot HTTP 403 errors from API Gateway?](https://repost.aws/knowledge-center/api-gateway-troubleshoot-403-forbidden)).
# Inside the VPC it is reached through the endpoint, or the alias
# `{api-id}-{vpce-id}.execute-api.{region}.amazonaws.com`
# ([invoke a private API](https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-private-api-test-invoke-url.html)).
# This machine has no VPC, so the local gateway reads "which VPC endpoint did this come through" from the
# request: the **course convention** header `X-Lab-Source-Vpce: vpce-…` (not an AWS header), or the alias name.

# %% [markdown] slideshow={"slide_type": "subslide"}
# Three callers: from outside any VPC, through *another* VPC endpoint, and through ours. (On a real account this
# cell and the next skip, with one line saying why: the VPC endpoint costs money every hour it exists.)

# %% slideshow={"slide_type": "-"}
from http import HTTPStatus

lab.skip_on_aws("calling a PRIVATE API needs a VPC and an interface VPC endpoint, ≈ $0.01 per hour per AZ")
pets_url = aws.stage_url(private_id, "prod", "pets")
callers = {"outside any VPC": {}, "through vpce-0ther": {"X-Lab-Source-Vpce": "vpce-0ffffffffffffffff"},
           "through our endpoint": {"X-Lab-Source-Vpce": VPCE_ID}}
for caller, headers in callers.items():
    r = requests.get(pets_url, headers=headers, timeout=30)
    status = f"{r.status_code} {HTTPStatus(r.status_code).phrase}"
    print(f"{caller:<21} {status:<14} {r.headers.get('x-amzn-ErrorType', '')}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# The refusal through the other endpoint, in full: the `Deny` statement matched (its `StringNotEquals` condition is
# true for any other endpoint), so API Gateway says **"… with an explicit deny"**
# ([troubleshooting 403 errors](https://repost.aws/knowledge-center/api-gateway-troubleshoot-403-forbidden)):

# %% slideshow={"slide_type": "-"}
lab.skip_on_aws("calling a PRIVATE API needs a VPC and an interface VPC endpoint, ≈ $0.01 per hour per AZ")
refused = requests.get(pets_url, headers=callers["through vpce-0ther"], timeout=30)
print(refused.json()["Message"].replace(private_id, "{api-id}"))

# %% [markdown] slideshow={"slide_type": "notes"}
# **Speaker notes.** Ask which statement refuses a caller from outside any VPC under this policy. Its request
# carries no `aws:SourceVpce` at all, and a negated operator such as `StringNotEquals` is true when the key is
# missing, so under IAM's logic the `Deny` matches there too. On AWS such a call is refused with 403 Forbidden before
# it gets that far, and the body can differ from the one this local gateway shows; a call through another VPC
# endpoint gets the explicit-deny message shown above. Worth
# saying even here: on a real account these two cells skip because the interface VPC endpoint is billed every hour
# it exists, whether anyone calls the API or not (https://aws.amazon.com/privatelink/pricing/); students who try a
# private API on their own account must delete the endpoint afterwards.

# %% [markdown] slideshow={"slide_type": "subslide"}
# > **🤔 Check yourself.** A colleague pastes the private API's URL into the browser on their laptop, at home.
# > Does the name resolve? What do they get, and what would they need to reach the API?
# >
# > <details><summary>Answer</summary>
# >
# > The name resolves: `{api-id}.execute-api.{region}.amazonaws.com` is public DNS. API Gateway answers `403
# > Forbidden`, because the call did not come through an interface VPC endpoint that the resource policy
# > allows. They need a machine in the VPC (or a VPN or Direct Connect into it, with DNS for the endpoint), and
# > the request must go through the interface VPC endpoint `vpce-0123456789abcdef0`.
# > </details>

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 04.3 · Design: an endpoint type for the payments API
#
# A payments API lives in `eu-west-1` (Ireland). Its callers are the company's own servers on EC2 in `eu-west-1`
# and the servers of one partner company in Frankfurt, over the internet. The team already runs its own CloudFront
# distribution, with caching and AWS WAF rules they tune themselves, for their website, and wants the API behind
# that same distribution next year. Choose the endpoint type (`"EDGE"`, `"REGIONAL"` or `"PRIVATE"`) in
# `choice`, and put in `reasons` the labels of at least two statements that support it (leave out the wrong ones):
#
# - **a** Clients in or near the API's Region gain little from a detour through a CloudFront point of presence.
# - **b** To put your own CloudFront distribution in front of an API, you put it in front of a Regional endpoint.
# - **c** The partner calls over the internet, so the API must be reachable from the internet.
# - **d** A Regional API can only be called from inside its own Region.
# - **e** An edge-optimized API runs the backend at the edge, close to each client.
# - **f** A private API is the cheapest choice, since it needs no internet.
# - **g** EDGE is the default for REST APIs, so it is the safe choice.

# %% slideshow={"slide_type": "-"}
choice = ...  # YOUR CODE HERE: "EDGE", "REGIONAL" or "PRIVATE"
reasons = set()  # the labels of the statements that support your choice, e.g. {"x", "y"}

lab.check("04.3", choice=choice, reasons=reasons)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4 · Edge versus Regional, made visible
#
# Why would the edge help? A new HTTPS connection costs round trips (TCP, then TLS) before the request's own round
# trip. With an EDGE endpoint those round trips end at a nearby CloudFront edge; only one trip crosses the ocean,
# on the AWS backbone, over a connection the edge keeps open. `endpoints.estimate_latency` puts numbers on it with
# a deliberately simple model. **Everything it prints is an estimate for teaching, not a measurement.** Its
# assumptions:

# %% slideshow={"slide_type": "-"}
for name, assumption in endpoints.ASSUMPTIONS.items():
    print(f"{name:>22}: {assumption}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# A client in Sydney calling an API in `us-east-1` (N. Virginia), and one in Frankfurt calling the same API:

# %% slideshow={"slide_type": "-"}
import matplotlib.pyplot as plt

endpoints.plot_edge_vs_regional("Sydney", "us-east-1")
plt.show()

# %% slideshow={"slide_type": "subslide"}
endpoints.plot_edge_vs_regional("Frankfurt", "us-east-1")
plt.show()

# %% [markdown] slideshow={"slide_type": "subslide"}
# The same numbers as a table, milliseconds to the first byte: on a **new** connection (handshakes included) and
# on a connection that is **already open** (`new_connection=False`: the request's round trip only):

# %% slideshow={"slide_type": "-"}
for city in ("Sydney", "Frankfurt", "New York"):
    for new in (True, False):
        edge, regional = (endpoints.estimate_latency(city, "us-east-1", kind, new_connection=new)
                          for kind in ("EDGE", "REGIONAL"))
        print(f"{city:<10} {'new' if new else 'open':>4} connection: EDGE ≈ {edge['total_ms']:5.1f} ms "
              f"(via {edge['edge']['name']}), REGIONAL ≈ {regional['total_ms']:5.1f} ms, "
              f"ratio {regional['total_ms'] / edge['total_ms']:.1f}×")

# %% [markdown] slideshow={"slide_type": "-"}
# In this model the edge's gain comes from the handshakes: for a far-away client on a new connection the Regional
# endpoint takes about three times as long; on a connection that is already open the two are within about 10 %.
# For a client next to the Region (New York) the difference is a few milliseconds either way.

# %% [markdown] slideshow={"slide_type": "subslide"}
# Try your own city. Pick a client city and a Region; the figure redraws. (The widget needs a running kernel:
# in a static view of this notebook you only see its description.)

# %% slideshow={"slide_type": "-"}
import ipywidgets as widgets

city_menu = widgets.Dropdown(options=endpoints.known_cities(), value="Sydney", description="Client")
region_menu = widgets.Dropdown(options=sorted(endpoints.regions()), value="eu-central-1", description="Region")
figure_area = widgets.Output()

# %% slideshow={"slide_type": "-"}
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
# ## Summary
#
# - API Gateway is the front door: it owns the hostname `{api-id}.execute-api.{region}.amazonaws.com`, passes
#   each request through method request → integration request → backend → integration response → method response.
# - A REST API is built from resources, methods and integrations; a **deployment** snapshots it into a **stage**.
#   A route the stage's snapshot lacks answers `403 Missing Authentication Token`.
# - A Lambda **proxy** integration hands the whole request to the function, whose return value is the response;
#   the function's resource-based policy must allow `apigateway.amazonaws.com`.
# - The same API as **OpenAPI**: `export.openapi` out, `import_rest_api` (and `put_rest_api`) in.
# - **EDGE** (the default) ends the client's connections at a nearby CloudFront POP: it helps far-away clients on
#   new connections. **REGIONAL** is for clients near the Region, or behind your own CloudFront. **PRIVATE** is
#   reachable only through interface VPC endpoints and needs a resource policy; from outside it answers 403.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## Questionnaire
#
# 1. Name the four configurable steps between a REST API's endpoint and its backend, in the order a request
#    meets them.
# 2. You added a method, its integration and the Lambda permission, but a client still gets
#    `403 Missing Authentication Token`. What is the most likely cause, and the fix?
# 3. Why does a Lambda proxy integration need no integration response or method response?
# 4. What does `import_rest_api` take, and what does it give you that a dozen `put_*` calls also would?
# 5. Your clients are all in the API's Region. Which endpoint type, and why not EDGE?
# 6. Under the notebook's private-API resource policy, what does a request through another VPC endpoint get, and
#    which statement decided it?

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Clean up
#
# Deletes every API and function this notebook created (and registered with `aws.track`).

# %% slideshow={"slide_type": "-"}
lab.cleanup()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Next
#
# [05 · Integrations](05_integrations.ipynb): Lambda proxy and non-proxy side by side, HTTP and AWS service
# integrations, mapping templates, MOCK and VPC links.
