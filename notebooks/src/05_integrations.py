# %% [markdown] slideshow={"slide_type": "slide"}
# # 05 · Integrations
#
# A method of an API is only a door. Behind it, the **integration** decides who answers: a Lambda function, an
# HTTP server, another AWS service, API Gateway itself, or a server inside a private network. This notebook
# builds each kind with plain `boto3`, calls it with `requests` (and prints the same call as a curl line), and
# looks at what travels through the gateway in each direction.
#
# **Learning objectives**
# - tell the five REST integration types apart (`AWS_PROXY`, `AWS`, `HTTP_PROXY`, `HTTP`, `MOCK`) and say when
#   each fits
# - compare a Lambda proxy integration with a Lambda custom (non-proxy) one: the event the function receives,
#   the response contract, and how errors become status codes
# - put an HTTP server and an AWS service (SQS) behind an API with mapping templates and an integration role
# - use a MOCK integration and stage variables; explain what a VPC link connects to
# - read a payload format 2.0 event of an HTTP API and know how its answers differ from a REST API's
# - reject bad requests at the gateway with a model and a request validator
#
# **Time**: about 50 minutes
#
# **Prerequisites**: [01 · What is an API](01_what_is_an_api.ipynb) (the notes service),
# [02 · Lambda invocation and permissions](02_lambda_invocation_and_permissions.ipynb) (resource-based
# policies) and [04 · API Gateway architecture](04_api_gateway_architecture.ipynb) (resources, methods, stages).

# %% slideshow={"slide_type": "skip"}
import lab_support as lab
aws = lab.start()
lab.use_course_style()
aws

# %% [markdown] slideshow={"slide_type": "notes"}
# **Speaker notes.** Run all cells before presenting (about 15 s). Every API, function, queue and role here is
# created with plain boto3, so the same cells run on a real account with `LAB_BACKEND=aws`; the only branch is
# the VPC link (section 5), which is not created there because it needs a load balancer that is billed by the
# hour. API ids are random: the stored outputs show `APIID`, and ports show `PORT`.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What an integration is
#
# The lecture notes:
#
# > The key component of the API Gateway is the Integration which connects the route to backend resources.
# > API Gateway supports the following as integrations: Lambda Function - Can connect via proxy or direct
# > integration; HTTP - Connect to an HTTP endpoint either inside or outside of AWS; AWS Services - Can connect
# > to 100+ endpoints inside AWS such as DynamoDB or Kinesis; VPC Link - Connect to ELB via the given VPC link
# > privately.
#
# In the REST API the integration is the `type` of a method's [Integration](https://docs.aws.amazon.com/apigateway/latest/api/API_Integration.html)
# ([Choose an API Gateway API integration type](https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-api-integration-types.html)):
#
# | `type` | behind it | who shapes request and response |
# |---|---|---|
# | `AWS_PROXY` | a Lambda function ("Lambda proxy") | the function: it gets the whole HTTP request, returns status, headers, body |
# | `AWS` | a Lambda function ("Lambda custom", the notes' "direct") or any AWS service action | you: mapping templates and integration responses |
# | `HTTP_PROXY` | an HTTP endpoint | nobody: the request and the answer pass through |
# | `HTTP` | an HTTP endpoint | you: mapping templates and integration responses |
# | `MOCK` | nothing: API Gateway answers itself | you: a response template |
#
# A **VPC link** is not a type: it is `connectionType="VPC_LINK"` on an `HTTP` or `HTTP_PROXY` integration.

# %% [markdown] slideshow={"slide_type": "subslide"}
# Every request to a REST API walks the same four steps; proxy integrations skip the two in the middle
# (the mapping steps):
#
# ```mermaid
# flowchart LR
#     client([client]) --> mreq["method request<br/>(validation)"]
#     mreq --> ireq["integration request<br/>(mapping template)"]
#     ireq --> backend[("backend<br/>Lambda · HTTP · AWS service · MOCK")]
#     backend --> iresp["integration response<br/>(selectionPattern, template)"]
#     iresp --> mresp["method response"]
#     mresp --> client
# ```

# %% [markdown] slideshow={"slide_type": "fragment"}
# > **📅 Update to the lecture notes.** "Can connect to 100+ endpoints inside AWS" undersells and oversells at
# > once. A REST API's `AWS` integration can call an action of practically any AWS service that has an API, with an
# > integration URI of the form `arn:aws:apigateway:{region}:{service}:action/{Action}` or `…:path/{path}`
# > ([API_Integration, `uri`](https://docs.aws.amazon.com/apigateway/latest/api/API_Integration.html)); there is no
# > list of endpoints to count. HTTP APIs, on the other hand, offer only ten first-class AWS service integrations
# > (EventBridge PutEvents, four SQS actions, AppConfig, Kinesis PutRecord, three Step Functions actions:
# > [Integration subtype reference](https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-aws-services-reference.html)).

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Re-runnable set-up, from `lab_support.course.api_builders`
#
# Cells must be re-runnable, so each thing is looked up before it is created. The module
# `lab_support.course.api_builders` holds that plumbing, written in plain boto3 (read it: it is short):
#
# | helper | what it does |
# |---|---|
# | `rest_api(name, **kwargs)` | the id of the REST API `name`; created with `create_rest_api(name=name, **kwargs)` if there is none |
# | `find_http_api(name)`, `delete_http_api(api_id)` | look up an HTTP API by name; delete one (no error if it is gone), for section 6 |
# | `resource(api_id, "/a/{b}")` | the id of the resource at that path, creating the parts that are missing |
# | `clear_method(api_id, resource_id, "GET")` | deletes the method if an earlier run made it, so the `put_method` after it works again (AWS refuses to put a method twice) |
# | `lambda_uri(function_arn)` | the integration URI that calls Lambda's Invoke API for a function |
# | `allow_api_gateway(function_name, api_id)` | the resource-based permission of notebook 02: this API, any stage, method and path, may invoke the function |
#
# What they create carries the course tag and is registered for the clean-up at the end (`aws.track`).
# Everything else in the notebook is a direct `boto3` call you could type in a terminal.

# %% slideshow={"slide_type": "-"}
import json

import requests

from lab_support.course.api_builders import allow_api_gateway, clear_method, delete_http_api, find_http_api, lambda_uri, resource, rest_api

apig = aws.client("apigateway")

api_id = rest_api("nb05-integrations", endpointConfiguration={"types": ["REGIONAL"]})
print(aws.stage_url(api_id, "dev"))  # where its stage "dev" will answer

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1 · Lambda: proxy or custom ("direct")
#
# The same function goes behind two methods: `GET /proxy` (a **Lambda proxy** integration, `AWS_PROXY`) and
# `GET /direct` (a **Lambda custom** integration, `AWS`, with a mapping template). The function echoes the event it
# receives, so we can see what each integration sends.
#
# ```mermaid
# sequenceDiagram
#     participant C as client
#     participant G as API Gateway
#     participant F as nb05-echo
#     C->>G: GET /proxy?name=Ada
#     G->>F: event = the whole HTTP request (resource, path, headers, query, requestContext, body…)
#     F-->>G: {"statusCode": 200, "headers": {...}, "body": "..."}
#     G-->>C: 200, those headers, that body
#     C->>G: GET /direct?name=Ada
#     Note over G: mapping template
#     G->>F: event = {"name": "Ada", "stage": "dev"}
#     F-->>G: any JSON value
#     G-->>C: integration response chosen by selectionPattern, body from its template (or as is)
# ```

# %% slideshow={"slide_type": "subslide"}
ECHO = '''
import json


def handler(event, context):
    if event.get("name") == "":
        raise ValueError("Invalid input: name is required")
    # The proxy response contract: statusCode, headers, body (a string).
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": json.dumps(event)}
'''
echo = lab.create_function("nb05-echo", ECHO)
allow_api_gateway("nb05-echo", api_id)
echo["FunctionName"], echo["Runtime"], echo["Handler"]

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The proxy integration
#
# One call: type `AWS_PROXY`, the function's invocation URI, and `integrationHttpMethod="POST"` (API Gateway always
# calls Lambda's Invoke API with POST, whatever the client's method). No templates, no integration responses.

# %% slideshow={"slide_type": "-"}
proxy = resource(api_id, "/proxy")
clear_method(api_id, proxy, "GET")  # a re-run starts this method over
apig.put_method(restApiId=api_id, resourceId=proxy, httpMethod="GET", authorizationType="NONE")
apig.put_integration(restApiId=api_id, resourceId=proxy, httpMethod="GET", type="AWS_PROXY",
                     integrationHttpMethod="POST", uri=lambda_uri(echo["FunctionArn"]))
apig.create_deployment(restApiId=api_id, stageName="dev")

url = aws.stage_url(api_id, "dev", "proxy?name=Ada")
print(lab.curl_line("GET", url))
r = requests.get(url, timeout=30)
print(r.status_code, r.headers["Content-Type"])
event = r.json()
print("top-level keys of the event:", list(event))

# %% [markdown] slideshow={"slide_type": "fragment"}
# The event is large, and much of it changes at every call (`requestTime`, `requestTimeEpoch`, `requestId`, the
# client's `sourceIp` and `User-Agent`…). Here is the part that does not, which is also the part a handler
# usually reads ([Input format of a Lambda function for proxy integration](https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html#api-gateway-simple-proxy-for-lambda-input-format)):

# %% slideshow={"slide_type": "-"}
STABLE_KEYS = ["resource", "path", "httpMethod", "queryStringParameters", "multiValueQueryStringParameters",
               "pathParameters", "stageVariables", "body", "isBase64Encoded"]
proxy_event = {key: event[key] for key in STABLE_KEYS}
proxy_event["requestContext"] = {k: event["requestContext"][k] for k in ("resourcePath", "httpMethod", "stage", "path")}
print(json.dumps(proxy_event, indent=2))

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The proxy response contract
#
# What the function returns **is** the HTTP response, so it must have this shape
# ([Output format of a Lambda function for proxy integration](https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html#api-gateway-simple-proxy-for-lambda-output-format)):
#
# | key | type | becomes |
# |---|---|---|
# | `statusCode` | number | the status code |
# | `headers`, `multiValueHeaders` | objects | response headers |
# | `body` | **string** (JSON must be `json.dumps`-ed) | the body |
# | `isBase64Encoded` | boolean | whether API Gateway decodes `body` first (binary answers) |
#
# Anything else (a missing `statusCode`, a dict as `body`, a key that is not in the table) is a *malformed Lambda
# proxy response*: the client gets **502** `{"message": "Internal server error"}` and the execution log says why
# ([How do I fix a 502 "Malformed Lambda proxy response"?](https://repost.aws/knowledge-center/malformed-502-api-gateway)).
# A function written for "any JSON will do":

# %% slideshow={"slide_type": "-"}
PLAIN = '''
def handler(event, context):
    return {"message": "hello"}
'''
plain = lab.create_function("nb05-plain", PLAIN)
allow_api_gateway("nb05-plain", api_id)
bad = resource(api_id, "/plain")
clear_method(api_id, bad, "GET")  # a re-run starts this method over
apig.put_method(restApiId=api_id, resourceId=bad, httpMethod="GET", authorizationType="NONE")
apig.put_integration(restApiId=api_id, resourceId=bad, httpMethod="GET", type="AWS_PROXY",
                     integrationHttpMethod="POST", uri=lambda_uri(plain["FunctionArn"]))
apig.create_deployment(restApiId=api_id, stageName="dev")
r = lab.send("GET", aws.stage_url(api_id, "dev", "plain"))

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The custom (non-proxy) integration
#
# Type `AWS`, the same URI, plus what the proxy integration does for you:
#
# 1. a **request mapping template** (Velocity, VTL) that builds the event from the request: here `{"name": …, "stage": …}`;
# 2. a **method response** and an **integration response** per status code. The function's return value is matched
#    against each integration response's `selectionPattern`: for Lambda, a regular expression on the
#    `errorMessage` of a failed invocation. The response without a pattern is the default
#    ([Set up Lambda custom integrations](https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-custom-integrations.html),
#    [Handle Lambda errors](https://docs.aws.amazon.com/apigateway/latest/developerguide/handle-errors-in-lambda-integration.html)).

# %% slideshow={"slide_type": "-"}
direct = resource(api_id, "/direct")
clear_method(api_id, direct, "GET")  # a re-run starts this method over
apig.put_method(restApiId=api_id, resourceId=direct, httpMethod="GET", authorizationType="NONE",
                requestParameters={"method.request.querystring.name": False})
apig.put_integration(
    restApiId=api_id, resourceId=direct, httpMethod="GET", type="AWS", integrationHttpMethod="POST",
    uri=lambda_uri(echo["FunctionArn"]),
    requestTemplates={"application/json": '{"name": "$input.params(\'name\')", "stage": "$context.stage"}'},
)
for status in ("200", "400"):
    apig.put_method_response(restApiId=api_id, resourceId=direct, httpMethod="GET", statusCode=status)
# 200: the default (no selectionPattern); the function's return value passes through as the body.
apig.put_integration_response(restApiId=api_id, resourceId=direct, httpMethod="GET", statusCode="200")
# 400: when the function fails with an errorMessage starting "Invalid input".
apig.put_integration_response(
    restApiId=api_id, resourceId=direct, httpMethod="GET", statusCode="400", selectionPattern="Invalid input.*",
    responseTemplates={"application/json": '{"error": "$input.path(\'$.errorMessage\')"}'},
)
apig.create_deployment(restApiId=api_id, stageName="dev")
r = lab.send("GET", aws.stage_url(api_id, "dev", "direct?name=Ada"))

# %% [markdown] slideshow={"slide_type": "fragment"}
# Side by side with the proxy call above:
#
# - the **event** is exactly what the template built, `{"name": "Ada", "stage": "dev"}`: no headers, no
#   `requestContext`, nothing the template did not ask for;
# - the **response** is the function's return value *as data*: `statusCode` and `headers` are just keys in the
#   body, and the client's status code came from the integration response (200), not from the function.
#
# A custom integration's function returns plain data (`{"greeting": "hi"}`), and the API decides status and shape.
# Errors too: an empty name makes the function raise, and the `selectionPattern` turns its message into a 400.

# %% slideshow={"slide_type": "-"}
r = lab.send("GET", aws.stage_url(api_id, "dev", "direct?name="))

# %% [markdown] slideshow={"slide_type": "notes"}
# **Speaker notes.** Ask: "what if no `selectionPattern` matches the error?" The default response (200) is used,
# with the error JSON (`errorMessage`, `errorType`, `stackTrace`) as its body: a failed function answering
# 200 is the classic custom-integration bug. Proxy integrations give 502 for an unhandled error instead.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Before the exercise
#
# The cell below prepares the REST API `nb05-ex-greet`: `GET /greet` on stage `dev` is a Lambda custom integration
# in front of the function `nb05-greeter`, which greets `event["name"]` and returns the event it received. Its
# mapping template is wrong, as the answer shows. (Running the cell again restores this broken state.)

# %% slideshow={"slide_type": "-"}
from lab_support.exercises.nb05 import prepare_05_1

greet_api = prepare_05_1()
print(lab.curl_line("GET", aws.stage_url(greet_api, "dev", "greet?name=Zoe")))
requests.get(aws.stage_url(greet_api, "dev", "greet?name=Zoe"), timeout=30).json()

# %% [markdown] slideshow={"slide_type": "fragment"}
# ### Exercise 05.1
#
# Fix the mapping template of `GET /greet` so that `GET /greet?name=Zoe` invokes `nb05-greeter` with exactly
# `{"name": "Zoe"}`, then deploy to `dev` again. `update_integration` with a `replace` patch operation on the path
# `/requestTemplates/application~1json` changes just the template (`~1` stands for `/`,
# [UpdateIntegration](https://docs.aws.amazon.com/apigateway/latest/api/API_UpdateIntegration.html)).

# %% slideshow={"slide_type": "-"}
# YOUR CODE HERE

lab.check("05.1")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2 · HTTP: proxy or custom
#
# Behind these methods sits the notes service of notebook 01, a plain web server on this machine.
#
# ```mermaid
# flowchart LR
#     client([client]) --> gw["API Gateway<br/>nb05-notes"]
#     gw -- "HTTP_PROXY: ANY /notes<br/>(everything passes)" --> notes[("notes service<br/>127.0.0.1:PORT")]
#     gw -- "HTTP: GET /titles, GET /titles/{id}<br/>(mapped both ways)" --> notes
# ```

# %% slideshow={"slide_type": "subslide"}
import os

notes = lab.start_notes_service()
notes.reset()
for title, done in (("water the plants", True), ("read chapter 5", False)):
    requests.post(f"{notes.url}/notes", json={"title": title, "done": done}, timeout=10)
# API Gateway in the cloud cannot reach your laptop: on a real account, give it a public URL of the service.
NOTES_URL = os.environ.get("LAB_PUBLIC_NOTES_URL", notes.url) if aws.backend == "aws" else notes.url
notes

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### HTTP proxy
#
# `HTTP_PROXY` forwards the method, headers, query string and body, and returns the server's answer unchanged:
# status, headers and all ([Set up HTTP proxy integrations](https://docs.aws.amazon.com/apigateway/latest/developerguide/setup-http-integrations.html)).
# `integrationHttpMethod="ANY"` keeps the client's method.

# %% slideshow={"slide_type": "-"}
notes_api = rest_api("nb05-notes")
collection = resource(notes_api, "/notes")
clear_method(notes_api, collection, "ANY")  # a re-run starts this method over
apig.put_method(restApiId=notes_api, resourceId=collection, httpMethod="ANY", authorizationType="NONE")
apig.put_integration(restApiId=notes_api, resourceId=collection, httpMethod="ANY", type="HTTP_PROXY",
                     integrationHttpMethod="ANY", uri=f"{NOTES_URL}/notes")
apig.create_deployment(restApiId=notes_api, stageName="dev")
r = lab.send("GET", aws.stage_url(notes_api, "dev", "notes?done=true"))

# %% [markdown] slideshow={"slide_type": "fragment"}
# The query string reached the service (only the note that is done came back). A POST passes through the same way,
# and so does the service's `201 Created` with its `Location` header, and its errors:

# %% slideshow={"slide_type": "-"}
r = lab.send("POST", aws.stage_url(notes_api, "dev", "notes"), {"title": "sent through API Gateway"})

# %% slideshow={"slide_type": "fragment"}
r = lab.send("POST", aws.stage_url(notes_api, "dev", "notes"), {"done": True})

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### HTTP custom
#
# `HTTP` maps both ways. Path and query parameters reach the endpoint only where a `requestParameters` mapping
# says so (and the method must declare them), and each backend status needs an integration response whose
# `selectionPattern` (a regular expression on the **status code**) picks it; otherwise the default one is used
# ([Set up HTTP custom integrations](https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-http-custom-integrations-in-api-gateway.html),
# [Parameter mapping](https://docs.aws.amazon.com/apigateway/latest/developerguide/rest-api-parameter-mapping.html)).
# `GET /titles?done=…` lists only the titles:

# %% slideshow={"slide_type": "-"}
titles = resource(notes_api, "/titles")
clear_method(notes_api, titles, "GET")  # a re-run starts this method over
apig.put_method(restApiId=notes_api, resourceId=titles, httpMethod="GET", authorizationType="NONE",
                requestParameters={"method.request.querystring.done": False})
apig.put_method_response(restApiId=notes_api, resourceId=titles, httpMethod="GET", statusCode="200")
apig.put_integration(
    restApiId=notes_api, resourceId=titles, httpMethod="GET", type="HTTP", integrationHttpMethod="GET",
    uri=f"{NOTES_URL}/notes",
    requestParameters={"integration.request.querystring.done": "method.request.querystring.done"},
)
apig.put_integration_response(
    restApiId=notes_api, resourceId=titles, httpMethod="GET", statusCode="200",
    responseTemplates={"application/json": '#set($notes = $input.path(\'$\'))'
                       '[#foreach($n in $notes)"$util.escapeJavaScript($n.title)"#if($foreach.hasNext), #end#end]'},
)
apig.create_deployment(restApiId=notes_api, stageName="dev")
r = lab.send("GET", aws.stage_url(notes_api, "dev", "titles?done=false"))

# %% [markdown] slideshow={"slide_type": "subslide"}
# A path parameter, and a backend 404 mapped to a 404 of our own (without the `"404"` pattern the client would get
# **200** with the service's error body: the default response):

# %% slideshow={"slide_type": "-"}
title = resource(notes_api, "/titles/{id}")
clear_method(notes_api, title, "GET")  # a re-run starts this method over
apig.put_method(restApiId=notes_api, resourceId=title, httpMethod="GET", authorizationType="NONE",
                requestParameters={"method.request.path.id": True})
for status in ("200", "404"):
    apig.put_method_response(restApiId=notes_api, resourceId=title, httpMethod="GET", statusCode=status)
apig.put_integration(
    restApiId=notes_api, resourceId=title, httpMethod="GET", type="HTTP", integrationHttpMethod="GET",
    uri=f"{NOTES_URL}/notes/{{id}}",
    requestParameters={"integration.request.path.id": "method.request.path.id"},
)
apig.put_integration_response(restApiId=notes_api, resourceId=title, httpMethod="GET", statusCode="200",
                              responseTemplates={"application/json": '{"title": "$input.path(\'$.title\')"}'})
apig.put_integration_response(restApiId=notes_api, resourceId=title, httpMethod="GET", statusCode="404",
                              selectionPattern="404",
                              responseTemplates={"application/json": '{"message": "No such note"}'})
apig.create_deployment(restApiId=notes_api, stageName="dev")
r = lab.send("GET", aws.stage_url(notes_api, "dev", "titles/1"))

# %% slideshow={"slide_type": "fragment"}
r = lab.send("GET", aws.stage_url(notes_api, "dev", "titles/99"))

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Before the exercise
#
# The cell below prepares the REST API `nb05-ex-notes` with one method, `GET /notes`, an HTTP proxy integration to
# the notes service. There is no `/notes/{id}` yet, so reading note 1 through the API fails:

# %% slideshow={"slide_type": "-"}
from lab_support.exercises.nb05 import prepare_05_2

ex_notes_api = prepare_05_2()
r = lab.send("GET", aws.stage_url(ex_notes_api, "dev", "notes/1"))

# %% [markdown] slideshow={"slide_type": "fragment"}
# ### Exercise 05.2
#
# Add `GET /notes/{id}` to `nb05-ex-notes` as an **HTTP proxy** integration to `{notes.url}/notes/{id}`, so that
# `GET /notes/1` through the API returns note 1, and deploy it to the stage `dev`. On AWS, the `{id}` in the
# endpoint URL is filled only by a mapping: `"integration.request.path.id": "method.request.path.id"`.

# %% slideshow={"slide_type": "-"}
# YOUR CODE HERE

lab.check("05.2")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3 · An AWS service behind the API: SQS
#
# No function at all: `POST /messages` puts the request body on an SQS queue. API Gateway calls SQS's
# `SendMessage` itself, signed with an **integration role** it assumes (the role must trust
# `apigateway.amazonaws.com` and allow `sqs:SendMessage` on the queue). The mapping template turns the JSON body
# into SQS's form-encoded request ([Tutorial: REST API as an Amazon SQS proxy](https://docs.aws.amazon.com/apigateway/latest/developerguide/integrating-api-with-aws-services-sqs.html)).
#
# ```mermaid
# flowchart LR
#     client([client]) -- "POST /messages {json}" --> gw["API Gateway"]
#     gw -- "assumes nb05-apigw-sqs" --> iam{{IAM}}
#     gw -- "Action=SendMessage&MessageBody=…" --> sqs[("SQS queue<br/>nb05-messages")]
#     reader["boto3 receive_message"] --> sqs
# ```

# %% slideshow={"slide_type": "subslide"}
sqs, iam = aws.client("sqs"), aws.client("iam")

try:
    queue_url = sqs.get_queue_url(QueueName="nb05-messages")["QueueUrl"]
except sqs.exceptions.QueueDoesNotExist:
    queue_url = sqs.create_queue(QueueName="nb05-messages", tags=aws.tags)["QueueUrl"]
    aws.track("SQS queue nb05-messages", lambda: sqs.delete_queue(QueueUrl=queue_url))
queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]

TRUST_API_GATEWAY = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "apigateway.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
SEND_ONLY = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": queue_arn}]}
try:
    role_arn = iam.get_role(RoleName="nb05-apigw-sqs")["Role"]["Arn"]
except iam.exceptions.NoSuchEntityException:
    role_arn = iam.create_role(RoleName="nb05-apigw-sqs", AssumeRolePolicyDocument=json.dumps(TRUST_API_GATEWAY),
                               Tags=aws.tag_list)["Role"]["Arn"]

    def delete_role():
        iam.delete_role_policy(RoleName="nb05-apigw-sqs", PolicyName="send")
        iam.delete_role(RoleName="nb05-apigw-sqs")

    aws.track("IAM role nb05-apigw-sqs", delete_role)
iam.put_role_policy(RoleName="nb05-apigw-sqs", PolicyName="send", PolicyDocument=json.dumps(SEND_ONLY))
print(queue_arn)
print(role_arn)

# %% [markdown] slideshow={"slide_type": "subslide"}
# The integration: type `AWS`, a URI naming the service and the queue's path (`…:sqs:path/{account}/{queue}`),
# the role as `credentials`, a header mapping for SQS's content type, and the template. `$util.urlEncode` keeps
# the JSON intact inside the form body ([`$util` reference](https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-mapping-template-reference.html#util-template-reference)).

# %% slideshow={"slide_type": "-"}
messages = resource(api_id, "/messages")
clear_method(api_id, messages, "POST")  # a re-run starts this method over
apig.put_method(restApiId=api_id, resourceId=messages, httpMethod="POST", authorizationType="NONE")
apig.put_method_response(restApiId=api_id, resourceId=messages, httpMethod="POST", statusCode="200")
apig.put_integration(
    restApiId=api_id, resourceId=messages, httpMethod="POST", type="AWS", integrationHttpMethod="POST",
    uri=f"arn:aws:apigateway:{aws.region}:sqs:path/{aws.account_id}/nb05-messages",
    credentials=role_arn,
    requestParameters={"integration.request.header.Content-Type": "'application/x-www-form-urlencoded'"},
    requestTemplates={"application/json": "Action=SendMessage&MessageBody=$util.urlEncode($input.body)"},
)
apig.put_integration_response(restApiId=api_id, resourceId=messages, httpMethod="POST", statusCode="200",
                              responseTemplates={"application/json": '{"queued": true}'})
apig.create_deployment(restApiId=api_id, stageName="dev")
r = lab.send("POST", aws.stage_url(api_id, "dev", "messages"), {"text": "hello from the API", "from": "notebook 05"})

# %% [markdown] slideshow={"slide_type": "fragment"}
# Did it arrive? Read the queue with boto3 (and delete what was read, so the cell can run again):

# %% slideshow={"slide_type": "-"}
received = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
for message in received.get("Messages", []):
    print(json.loads(message["Body"]))
    sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])

# %% [markdown] slideshow={"slide_type": "notes"}
# **Speaker notes.** On a real account the first call right after creating the role can fail with 500 for a few
# seconds (IAM is eventually consistent); call again. The local gateway calls SQS with the kernel's credentials
# rather than assuming the role, so a wrong role policy shows up only on AWS: a point worth saying aloud.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4 · MOCK and stage variables
#
# A `MOCK` integration never leaves API Gateway: the request template picks a status code
# (`{"statusCode": 200}`), and the integration response's template writes the body
# ([Set up mock integrations](https://docs.aws.amazon.com/apigateway/latest/developerguide/how-to-mock-integration.html)).
# Handy for health checks, CORS preflights, and for designing an API before its backend exists.
#
# **Stage variables** are name–value pairs of a stage. Templates read them as `$stageVariables.name`, and integration
# URIs as `${stageVariables.name}`, so one API definition can call a different backend per stage
# ([Use stage variables](https://docs.aws.amazon.com/apigateway/latest/developerguide/stage-variables.html)).
#
# ```mermaid
# flowchart LR
#     client([client]) --> dev["stage dev<br/>backend = notes service"]
#     client --> test["stage test<br/>backend = inventory service"]
#     dev -- "http://${stageVariables.backend}/notes" --> notes[("notes<br/>127.0.0.1:PORT")]
#     test -- "http://${stageVariables.backend}/notes" --> inv[("inventory<br/>127.0.0.1:PORT")]
# ```

# %% slideshow={"slide_type": "subslide"}
health = resource(api_id, "/health")
clear_method(api_id, health, "GET")  # a re-run starts this method over
apig.put_method(restApiId=api_id, resourceId=health, httpMethod="GET", authorizationType="NONE")
apig.put_method_response(restApiId=api_id, resourceId=health, httpMethod="GET", statusCode="200")
apig.put_integration(restApiId=api_id, resourceId=health, httpMethod="GET", type="MOCK",
                     requestTemplates={"application/json": '{"statusCode": 200}'})
apig.put_integration_response(
    restApiId=api_id, resourceId=health, httpMethod="GET", statusCode="200",
    responseTemplates={"application/json": '{"status": "ok", "stage": "$context.stage", '
                                           '"colour": "$stageVariables.colour"}'},
)
apig.get_method(restApiId=api_id, resourceId=health, httpMethod="GET")["methodIntegration"]["type"]

# %% [markdown] slideshow={"slide_type": "subslide"}
# A second backend for the `test` stage: a tiny "inventory" web server, also on this machine (the same thing a
# private backend will be in section 5). It comes from `lab_support.course.services.inventory`; every `GET` answers
# `{"service": "inventory", "path": <the path asked for>, "items": ["bolts", "nuts"]}`, so you can tell which
# backend answered.

# %% slideshow={"slide_type": "-"}
from lab_support.course.services.inventory import start_inventory_service

INVENTORY_URL = start_inventory_service()  # on 127.0.0.1, any free port; a re-run returns the same URL
INVENTORY_URL

# %% slideshow={"slide_type": "subslide"}
backend = resource(api_id, "/backend")
clear_method(api_id, backend, "GET")  # a re-run starts this method over
apig.put_method(restApiId=api_id, resourceId=backend, httpMethod="GET", authorizationType="NONE")
apig.put_integration(restApiId=api_id, resourceId=backend, httpMethod="GET", type="HTTP_PROXY",
                     integrationHttpMethod="GET", uri="http://${stageVariables.backend}/notes")
host = {"dev": NOTES_URL, "test": INVENTORY_URL}
for stage, colour in (("dev", "blue"), ("test", "green")):
    apig.create_deployment(restApiId=api_id, stageName=stage,
                           variables={"colour": colour, "backend": host[stage].split("://", 1)[1]})
    print(stage, apig.get_stage(restApiId=api_id, stageName=stage)["variables"])

# %% slideshow={"slide_type": "fragment"}
for stage in ("dev", "test"):
    r = lab.send("GET", aws.stage_url(api_id, stage, "health"))

# %% slideshow={"slide_type": "fragment"}
for stage in ("dev", "test"):
    body = requests.get(aws.stage_url(api_id, stage, "backend"), timeout=30).json()
    print(f"{stage:>4}:", body if isinstance(body, dict) else [note["title"] for note in body])

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5 · VPC link: a backend in a private network
#
# A server in private subnets of a VPC has no public address. A **VPC link** lets API Gateway reach it: the
# integration is `HTTP` or `HTTP_PROXY` with `connectionType="VPC_LINK"` and `connectionId` = the link's id, and
# the link leads to a load balancer in the VPC, which forwards to the targets.
#
# ```mermaid
# flowchart LR
#     client([client]) --> gw["API Gateway<br/>(public endpoint)"]
#     gw -- "connectionType VPC_LINK" --> link["VPC link"]
#     subgraph vpc["your VPC (private subnets)"]
#         link --> lb["load balancer<br/>NLB (REST, V1) · ALB/NLB (V2)"]
#         lb --> t1["EC2 / ECS targets"]
#     end
# ```

# %% [markdown] slideshow={"slide_type": "fragment"}
# > **📅 Update to the lecture notes.** The notes say a VPC link connects "to ELB". Which load balancer depends on the
# > API type and on the link's version. A REST API's original VPC link (now "V1", legacy) targets a **Network Load
# > Balancer** only ([Private integrations for REST APIs](https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-private-integration.html),
# > [VPC links V1](https://docs.aws.amazon.com/apigateway/latest/developerguide/vpc-links-v1.html)). An HTTP API's VPC
# > link targets an **Application Load Balancer, a Network Load Balancer, or services registered in AWS Cloud Map**
# > ([Set up VPC links for HTTP APIs](https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-vpc-links.html),
# > [Private integrations for HTTP APIs](https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-private.html)),
# > and these "V2" links now serve REST APIs too, with ALB or NLB targets.

# %% [markdown] slideshow={"slide_type": "subslide"}
# Here there is no VPC and no load balancer. The course's local gateway lets a loopback server **stand in** for
# what is behind a link: `lab_support.embedded.apigateway.register_private_backend(link_id, url)`. The API side is exactly what
# you would write on AWS (a V1 link to an NLB, the integration with `connectionType="VPC_LINK"`). On a real account
# this cell creates nothing: an NLB is billed for every hour it exists, plus its capacity units
# ([Elastic Load Balancing pricing](https://aws.amazon.com/elasticloadbalancing/pricing/)), and creating a VPC link
# takes minutes.

# %% slideshow={"slide_type": "-"}
if aws.backend == "aws":
    print("Real account: no VPC link created. A VPC link needs a Network Load Balancer in your VPC, which is billed\n"
          "per hour (plus capacity units) while it exists; set one up only with the cost in mind, then pass its ARN\n"
          "to apig.create_vpc_link(name=..., targetArns=[nlb_arn]) and use the link's id as connectionId.")
else:
    from lab_support.embedded.apigateway import register_private_backend

    nlb_arn = (f"arn:aws:elasticloadbalancing:{aws.region}:{aws.account_id}"
               ":loadbalancer/net/nb05-inventory/50dc6c495c0c9188")
    link = next((v for v in apig.get_vpc_links()["items"] if v["name"] == "nb05-inventory-link"), None)
    if link is None:
        link = apig.create_vpc_link(name="nb05-inventory-link", targetArns=[nlb_arn], tags=aws.tags)
        aws.track("VPC link nb05-inventory-link", lambda link_id=link["id"]: apig.delete_vpc_link(vpcLinkId=link_id))
    print("VPC link status:", link["status"], "→", link["targetArns"][0].split(":")[-1])
    register_private_backend(link["id"], INVENTORY_URL)  # the local stand-in for the NLB's targets

    private = resource(api_id, "/inventory")
    clear_method(api_id, private, "GET")  # a re-run starts this method over
    apig.put_method(restApiId=api_id, resourceId=private, httpMethod="GET", authorizationType="NONE")
    apig.put_integration(restApiId=api_id, resourceId=private, httpMethod="GET", type="HTTP_PROXY",
                         integrationHttpMethod="GET", uri="http://inventory.internal.example/items",
                         connectionType="VPC_LINK", connectionId=link["id"])
    apig.create_deployment(restApiId=api_id, stageName="dev")
    r = lab.send("GET", aws.stage_url(api_id, "dev", "inventory"))

# %% [markdown] slideshow={"slide_type": "notes"}
# **Speaker notes.** The integration URI's host (`inventory.internal.example`) is what API Gateway sends as the Host
# header to the load balancer; it need not resolve publicly. For an HTTP API the call is
# `apigatewayv2.create_vpc_link(Name=..., SubnetIds=[...], SecurityGroupIds=[...])` and the integration URI is the
# load balancer's *listener* ARN (or a Cloud Map service ARN).

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 6 · HTTP APIs: the same function, payload format 2.0
#
# HTTP APIs (`apigatewayv2`) are the simpler, cheaper kind. **Quick create** makes the API, a route, a Lambda
# proxy integration with payload format **2.0**, and an auto-deploying `$default` stage in one call
# ([Create an HTTP API](https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop.html#http-api-examples)).
# The function still needs the resource-based permission, granted before the first call.
#
# ```mermaid
# flowchart LR
#     quick["create_api(Target=function ARN,<br/>RouteKey='GET /echo')"] --> route["route GET /echo"]
#     route --> integ["integration AWS_PROXY<br/>payload format 2.0"]
#     integ --> fn[("nb05-echo")]
#     quick --> stage["stage $default<br/>AutoDeploy: true"]
# ```

# %% slideshow={"slide_type": "-"}
v2 = aws.client("apigatewayv2")
http_id = find_http_api("nb05-http")  # a re-run reuses the API the first run created
if http_id is None:
    http_id = v2.create_api(Name="nb05-http", ProtocolType="HTTP", Target=echo["FunctionArn"],
                            RouteKey="GET /echo", Tags=aws.tags)["ApiId"]
    aws.track("HTTP API nb05-http", lambda api=http_id: delete_http_api(api))
allow_api_gateway("nb05-echo", http_id)
print("routes:", [r["RouteKey"] for r in v2.get_routes(ApiId=http_id)["Items"]])
print("integrations:", [(i["IntegrationType"], i["PayloadFormatVersion"]) for i in v2.get_integrations(ApiId=http_id)["Items"]])
print("stages:", [(s["StageName"], s["AutoDeploy"]) for s in v2.get_stages(ApiId=http_id)["Items"]])

# %% slideshow={"slide_type": "subslide"}
url = aws.stage_url(http_id, "$default", "echo?name=Ada&tag=a&tag=b", http_api=True)
print(lab.curl_line("GET", url))
event2 = requests.get(url, timeout=30).json()
print("top-level keys of the event:", list(event2))
http_event = {k: event2[k] for k in ("version", "routeKey", "rawPath", "rawQueryString", "queryStringParameters",
                                     "isBase64Encoded")}
http_event["requestContext"] = {"http": {k: event2["requestContext"]["http"][k] for k in ("method", "path", "protocol")},
                                "routeKey": event2["requestContext"]["routeKey"],
                                "stage": event2["requestContext"]["stage"]}
print(json.dumps(http_event, indent=2))

# %% [markdown] slideshow={"slide_type": "subslide"}
# Next to the REST (1.0) event of section 1 ([Payload format differences](https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html#http-api-develop-integrations-lambda.proxy-format-differences)):
#
# | what | format 1.0 (REST proxy) | format 2.0 (HTTP API) |
# |---|---|---|
# | method | `httpMethod` | `requestContext.http.method` |
# | path | `path`, `resource` | `rawPath`, `routeKey` |
# | repeated query parameters | `multiValueQueryStringParameters` (lists) | `queryStringParameters`, joined with commas |
# | repeated headers | `multiValueHeaders` | `headers`, joined with commas; names in lower case |
# | cookies | in `headers` | a separate `cookies` list |
# | the function answers | must follow the contract (or 502) | the contract, **or any JSON**: without `statusCode` API Gateway infers 200, `application/json`, and the value as body |
#
# The last row, live: `nb05-plain` got 502 behind the REST proxy; behind a 2.0 route it is fine.

# %% slideshow={"slide_type": "-"}
allow_api_gateway("nb05-plain", http_id)
if not any(r["RouteKey"] == "GET /plain" for r in v2.get_routes(ApiId=http_id)["Items"]):
    integration = v2.create_integration(ApiId=http_id, IntegrationType="AWS_PROXY",
                                        IntegrationUri=plain["FunctionArn"], PayloadFormatVersion="2.0")
    v2.create_route(ApiId=http_id, RouteKey="GET /plain", Target=f"integrations/{integration['IntegrationId']}")
r = lab.send("GET", aws.stage_url(http_id, "$default", "plain", http_api=True))

# %% [markdown] slideshow={"slide_type": "subslide"}
# And a path that no route matches: an HTTP API answers **404** `{"message":"Not Found"}`, a REST API answers
# **403** `{"message":"Missing Authentication Token"}` (it does not reveal which paths exist;
# [Why "Missing Authentication Token"?](https://repost.aws/knowledge-center/api-gateway-authentication-token-errors)).

# %% slideshow={"slide_type": "-"}
r = lab.send("GET", aws.stage_url(http_id, "$default", "nothing-here", http_api=True))

# %% slideshow={"slide_type": "fragment"}
r = lab.send("GET", aws.stage_url(api_id, "dev", "nothing-here"))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 7 · Reject bad requests at the gateway
#
# A REST API can check a request before any integration runs: a **model** (a JSON Schema, draft 4) describes the
# body, a **request validator** says what to check (body, parameters, or both), and the method names both. A request
# that fails gets **400** and never reaches the backend, so it costs no invocation
# ([Request validation](https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-method-request-validation.html)).
# The model and the validator exist before the method that uses them:

# %% slideshow={"slide_type": "-"}
SIGNUP_SCHEMA = {
    "$schema": "http://json-schema.org/draft-04/schema#", "title": "Signup", "type": "object",
    "required": ["email"],
    "properties": {"email": {"type": "string", "minLength": 3}, "newsletter": {"type": "boolean"}},
}
if not any(m["name"] == "Signup" for m in apig.get_models(restApiId=api_id)["items"]):
    apig.create_model(restApiId=api_id, name="Signup", contentType="application/json", schema=json.dumps(SIGNUP_SCHEMA))
validator = next((v for v in apig.get_request_validators(restApiId=api_id)["items"] if v["name"] == "body-and-params"),
                 None) or apig.create_request_validator(restApiId=api_id, name="body-and-params",
                                                        validateRequestBody=True, validateRequestParameters=True)
signup = resource(api_id, "/signup")
clear_method(api_id, signup, "POST")  # a re-run starts this method over
apig.put_method(restApiId=api_id, resourceId=signup, httpMethod="POST", authorizationType="NONE",
                requestValidatorId=validator["id"], requestModels={"application/json": "Signup"},
                requestParameters={"method.request.querystring.campaign": True})
apig.put_method_response(restApiId=api_id, resourceId=signup, httpMethod="POST", statusCode="200")
apig.put_integration(restApiId=api_id, resourceId=signup, httpMethod="POST", type="MOCK",
                     requestTemplates={"application/json": '{"statusCode": 200}'})
apig.put_integration_response(restApiId=api_id, resourceId=signup, httpMethod="POST", statusCode="200",
                              responseTemplates={"application/json": '{"signedUp": true}'})
apig.create_deployment(restApiId=api_id, stageName="dev")
r = lab.send("POST", aws.stage_url(api_id, "dev", "signup?campaign=spring"), {"email": "ada@example.com"})

# %% [markdown] slideshow={"slide_type": "fragment"}
# A body without `email`, then a request without the required `campaign` query parameter. The messages are
# API Gateway's defaults for the gateway responses `BAD_REQUEST_BODY` and `BAD_REQUEST_PARAMETERS`
# ([Gateway response types](https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html));
# put `$context.error.validationErrorString` in a custom gateway response to tell clients exactly what failed.

# %% slideshow={"slide_type": "-"}
r = lab.send("POST", aws.stage_url(api_id, "dev", "signup?campaign=spring"), {"newsletter": True})

# %% slideshow={"slide_type": "fragment"}
r = lab.send("POST", aws.stage_url(api_id, "dev", "signup"), {"email": "ada@example.com"})

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - `AWS_PROXY`: the function gets the whole request and must answer `{statusCode, headers, body}`; anything else is
#   a 502. `AWS` with Lambda: you build the event with a template and map errors to status codes with
#   `selectionPattern` on `errorMessage`.
# - `HTTP_PROXY` passes everything both ways; `HTTP` needs parameter mappings and integration responses (patterns on
#   the status code).
# - `AWS` reaches other services directly (SQS here) with a template and an integration role: no function to run.
# - `MOCK` answers from the gateway; stage variables pick a backend per stage.
# - A VPC link reaches private load balancers: NLB for REST V1 links; ALB, NLB or Cloud Map for HTTP APIs (V2 links).
# - HTTP APIs: payload 2.0, inferred responses, 404 for unknown routes (REST: 403 Missing Authentication Token).
# - Models and request validators reject bad requests before they cost an invocation.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Clean up
#
# Stop the notes service and remove what this notebook created (APIs, functions, queue, role, VPC link, the local
# inventory server).

# %% slideshow={"slide_type": "-"}
lab.stop_notes_service()
lab.cleanup()
