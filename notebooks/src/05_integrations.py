# %% [markdown] slideshow={"slide_type": "slide"}
# # 05 · Integrations
#
# A method of an API is only a door. Behind it, the **integration** decides who answers: a Lambda function, an
# HTTP server, another AWS service, API Gateway itself, or a server inside a private network. This notebook
# builds each kind with plain `boto3`, calls it, and looks at what travels through the gateway each way.
#
# **Learning objectives**
# - tell the five REST integration types apart (`AWS_PROXY`, `AWS`, `HTTP_PROXY`, `HTTP`, `MOCK`) and choose one
# - compare Lambda proxy and Lambda custom integrations: the event, the response contract, errors
# - put an HTTP server and an AWS service (SQS, with its integration role) behind an API, with mapping templates
# - use a MOCK integration and stage variables; reach a private load balancer through a VPC link V2
# - read a payload format 2.0 event of an HTTP API; reject bad requests with a model and a validator
#
# **Time**: about 115 minutes
#
# **Prerequisites**: [01 · What is an API](01_what_is_an_api.ipynb) (the notes service),
# [02 · Lambda invocation and permissions](02_lambda_invocation_and_permissions.ipynb) (resource-based
# policies) and [04 · API Gateway architecture](04_api_gateway_architecture.ipynb) (resources, methods, stages).

# %% slideshow={"slide_type": "skip"}
import lab_support as lab
aws = lab.start()
lab.use_course_style()
aws

# %% [markdown] slideshow={"slide_type": "-"}
# Before a notebook creates anything, it says what that costs: on a real account `lab.costs` lists the
# billable resources with their prices; here, on the embedded backend, it prints one line.

# %% slideshow={"slide_type": "-"}
lab.costs("05")

# %% [markdown] slideshow={"slide_type": "notes"}
# **Speaker notes.** Run all cells before presenting (about 20 s). Every API, function, queue and role here is
# created with plain boto3, so the same cells run on a real account with `LAB_BACKEND=aws`, except two kinds, which
# skip there with one line saying why: the calls through API Gateway to services on this machine (section 2's
# notes API, section 4's `/backend`), which AWS cannot reach, and the VPC link (section 5), which needs a load
# balancer billed by the hour. The stored outputs show the API ids and ports of the run that built them (nbval masks them when it compares).

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
# In the REST API it is the `type` of a method's [Integration](https://docs.aws.amazon.com/apigateway/latest/api/API_Integration.html) ([integration types](https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-api-integration-types.html)):
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
# ### Re-runnable set-up
#
# Notebook 04 built a REST API step by step; here each method is built the same way, with the re-run plumbing of
# `lab.api_builders` (plain boto3 inside; read it: it is short):
#
# | helper | what it does |
# |---|---|
# | `rest_api(name, **kwargs)`, `http_api(name, **kwargs)` | the id of the API `name`; created if there is none |
# | `resource(api_id, "/a/{b}")` | the id of the resource at that path, creating the parts that are missing |
# | `clear_method(api_id, resource_id, "GET")` | deletes the method if an earlier run made it (AWS refuses to put a method twice) |
# | `lambda_uri(function_arn)` | the integration URI that calls Lambda's Invoke API for a function |
# | `allow_api_gateway(function_name, api_id)` | notebook 02's resource-based permission: this API may invoke the function |

# %% slideshow={"slide_type": "-"}
import json

import requests


apig = aws.client("apigateway")
api_id = lab.api_builders.rest_api("nb05-integrations", endpointConfiguration={"types": ["REGIONAL"]})
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
#     G->>F: event = the whole HTTP request
#     F-->>G: {"statusCode": 200, "headers": {...}, "body": "..."}
#     G-->>C: 200, those headers, that body
#     C->>G: GET /direct?name=Ada
#     G->>F: event = {"name": "Ada", "stage": "dev"} (mapping template)
#     F-->>G: any JSON value
#     G-->>C: the integration response selectionPattern picks
# ```

# %% slideshow={"slide_type": "subslide"}
# %%lambda_handler echo_code
import json


def handler(event, context):
    if event.get("name") == "":
        raise ValueError("Invalid input: name is required")
    # The proxy response contract: statusCode, headers, body (a string).
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": json.dumps(event)}

# %% slideshow={"slide_type": "-"}
echo = lab.create_function("nb05-echo", echo_code)
lab.api_builders.allow_api_gateway("nb05-echo", api_id)
echo["FunctionName"], echo["Runtime"], echo["Handler"]

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The proxy integration
#
# One call: type `AWS_PROXY`, the function's invocation URI, and `integrationHttpMethod="POST"` (API Gateway always
# calls Lambda's Invoke API with POST, whatever the client's method). No templates, no integration responses.

# %% slideshow={"slide_type": "-"}
proxy = lab.api_builders.resource(api_id, "/proxy")
lab.api_builders.clear_method(api_id, proxy, "GET")  # a re-run starts this method over
apig.put_method(restApiId=api_id, resourceId=proxy, httpMethod="GET", authorizationType="NONE")
apig.put_integration(restApiId=api_id, resourceId=proxy, httpMethod="GET", type="AWS_PROXY",
                     integrationHttpMethod="POST", uri=lab.api_builders.lambda_uri(echo["FunctionArn"]))
apig.create_deployment(restApiId=api_id, stageName="dev")

url = aws.stage_url(api_id, "dev", "proxy?name=Ada")
print(lab.curl_line("GET", url))
r = requests.get(url, timeout=30)
print(lab.status_text(r.status_code), r.headers["Content-Type"])
event = r.json()
print("top-level keys of the event:", list(event))

# %% [markdown] slideshow={"slide_type": "subslide"}
# The event is large, and much of it changes at every call (`requestTime`, `requestId`, the client's `sourceIp`
# and `User-Agent`…). Here is the part that does not, which is also the part a handler usually reads
# ([Input format of a Lambda function for proxy integration](https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html#api-gateway-simple-proxy-for-lambda-input-format)):

# %% slideshow={"slide_type": "-"}
STABLE_KEYS = ["resource", "path", "httpMethod", "queryStringParameters", "multiValueQueryStringParameters",
               "pathParameters", "stageVariables", "body", "isBase64Encoded"]
proxy_event = {key: event[key] for key in STABLE_KEYS}
proxy_event["requestContext"] = {k: event["requestContext"][k] for k in ("resourcePath", "httpMethod", "stage", "path")}
lab.show(proxy_event)  # the first 15 lines; full=True shows all

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

# %% [markdown] slideshow={"slide_type": "subslide"}
# A function written for "any JSON will do":

# %% slideshow={"slide_type": "-"}
# %%lambda_handler plain_code
def handler(event, context):
    return {"message": "hello"}

# %% slideshow={"slide_type": "-"}
plain = lab.create_function("nb05-plain", plain_code)
lab.api_builders.allow_api_gateway("nb05-plain", api_id)
bad = lab.api_builders.resource(api_id, "/plain")
lab.api_builders.clear_method(api_id, bad, "GET")  # a re-run starts this method over
apig.put_method(restApiId=api_id, resourceId=bad, httpMethod="GET", authorizationType="NONE")
apig.put_integration(restApiId=api_id, resourceId=bad, httpMethod="GET", type="AWS_PROXY",
                     integrationHttpMethod="POST", uri=lab.api_builders.lambda_uri(plain["FunctionArn"]))
apig.create_deployment(restApiId=api_id, stageName="dev")
r = lab.send("GET", aws.stage_url(api_id, "dev", "plain"))

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Before the exercise
#
# A team's first Lambda proxy function, `nb05-ex-hello`, behind `GET /hello` of the REST API `nb05-ex-hello`.
# It never raises an error; a client that sends a name is greeted, and yet a client that sends none gets a 502.
# The cell below deploys it and calls it both ways (running it again puts the exercise back as it was):

# %% slideshow={"slide_type": "-"}
from lab_support.exercises.nb05 import prepare_05_1

hello_api = prepare_05_1()
for path in ("hello?name=Ada", "hello"):
    print(path, "→", lab.status_text(requests.get(aws.stage_url(hello_api, "dev", path), timeout=30).status_code))

# %% [markdown] slideshow={"slide_type": "subslide"}
# Its code, as deployed:

# %% slideshow={"slide_type": "-"}
# %%lambda_handler hello_code
import json


def answer(text):
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": json.dumps({"message": text})}


def handler(event, context):
    params = event.get("queryStringParameters")
    if params and "name" in params:
        return answer(f"Hello, {params['name']}!")
    answer("Hello, world!")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 05.1 · Fix: a proxy response the gateway accepts
#
# Find out why `GET /hello` (no name) gets 502, then fix the handler in the cell above so that it answers **200**
# with `{"message": "Hello, world!"}` (and `?name=Ada` still `{"message": "Hello, Ada!"}`). Run the cell, then
# the one below: it deploys your code and checks with real requests through the stage `dev`.

# %% slideshow={"slide_type": "-"}
# YOUR CODE HERE: fix hello_code above and run it; this deploys it
lab.create_function("nb05-ex-hello", hello_code)

lab.check("05.1")

# %% [markdown] slideshow={"slide_type": "slide"}
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
direct = lab.api_builders.resource(api_id, "/direct")
lab.api_builders.clear_method(api_id, direct, "GET")  # a re-run starts this method over
apig.put_method(restApiId=api_id, resourceId=direct, httpMethod="GET", authorizationType="NONE",
                requestParameters={"method.request.querystring.name": False})
integration = apig.put_integration(
    restApiId=api_id, resourceId=direct, httpMethod="GET", type="AWS", integrationHttpMethod="POST",
    uri=lab.api_builders.lambda_uri(echo["FunctionArn"]),
    requestTemplates={"application/json": '{"name": "$input.params(\'name\')", "stage": "$context.stage"}'},
)
integration["type"], integration["requestTemplates"]

# %% [markdown] slideshow={"slide_type": "subslide"}
# The responses: 200 by default, 400 when the function fails with an `errorMessage` starting "Invalid input".

# %% slideshow={"slide_type": "-"}
for status in ("200", "400"):
    apig.put_method_response(restApiId=api_id, resourceId=direct, httpMethod="GET", statusCode=status)
# 200: the default (no selectionPattern); the function's return value passes through as the body.
apig.put_integration_response(restApiId=api_id, resourceId=direct, httpMethod="GET", statusCode="200")
apig.put_integration_response(
    restApiId=api_id, resourceId=direct, httpMethod="GET", statusCode="400", selectionPattern="Invalid input.*",
    responseTemplates={"application/json": '{"error": "$input.path(\'$.errorMessage\')"}'},
)
apig.create_deployment(restApiId=api_id, stageName="dev")
r = lab.send("GET", aws.stage_url(api_id, "dev", "direct?name=Ada"))

# %% [markdown] slideshow={"slide_type": "subslide"}
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

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Before the exercise
#
# The function `nb05-ex-fails` always fails with `RuntimeError("database unreachable")`. The cell below puts it
# behind the REST API `nb05-ex-errors` twice: `GET /proxy` is a Lambda proxy integration; `GET /custom` is a
# Lambda custom integration with the same two responses as `GET /direct` above (200 by default, 400 for errors
# matching `Invalid input.*`). It sends no request.

# %% slideshow={"slide_type": "-"}
from lab_support.exercises.nb05 import prepare_05_2

errors_api = prepare_05_2()
print("prepared:", aws.stage_url(errors_api, "dev", "proxy"), "and …/custom")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 05.2 · Predict: when the function raises
#
# What status code does a client get from `GET /proxy`, and what from `GET /custom`? Write both down first, in
# `prediction`, then run the cell: the check sends the two requests, compares and explains.

# %% slideshow={"slide_type": "-"}
prediction = ...  # YOUR CODE HERE: {"proxy": <status code>, "custom": <status code>}

lab.check("05.2", prediction=prediction)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2 · HTTP: proxy or custom
#
# Behind these methods sits the notes service of notebook 01, a plain web server on this machine.
#
# ```mermaid
# flowchart LR
#     client([client]) --> gw["API Gateway<br/>nb05-notes"]
#     gw -- "HTTP_PROXY: ANY /notes<br/>(everything passes)" --> notes[("notes service<br/>on 127.0.0.1")]
#     gw -- "HTTP: GET /titles, GET /titles/{id}<br/>(mapped both ways)" --> notes
# ```

# %% slideshow={"slide_type": "subslide"}
notes = lab.start_notes_service()
notes.reset()
for title, done in (("water the plants", True), ("read chapter 5", False)):
    requests.post(f"{notes.url}/notes", json={"title": title, "done": done}, timeout=10)
NOTES_URL = notes.url
# On a real account, the cells that need API Gateway to reach this service skip (lab.skip_on_aws) and say why:
ON_THIS_MACHINE = "API Gateway in the cloud cannot reach a service on this machine (127.0.0.1)"
notes

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### HTTP proxy
#
# `HTTP_PROXY` forwards the method, headers, query string and body, and returns the server's answer
# unchanged: status, headers and all ([Set up HTTP proxy integrations](https://docs.aws.amazon.com/apigateway/latest/developerguide/setup-http-integrations.html)).
# `integrationHttpMethod="ANY"` keeps the client's method.

# %% slideshow={"slide_type": "-"}
lab.skip_on_aws(ON_THIS_MACHINE)
notes_api = lab.api_builders.rest_api("nb05-notes")
collection = lab.api_builders.resource(notes_api, "/notes")
lab.api_builders.clear_method(notes_api, collection, "ANY")  # a re-run starts this method over
apig.put_method(restApiId=notes_api, resourceId=collection, httpMethod="ANY", authorizationType="NONE")
apig.put_integration(restApiId=notes_api, resourceId=collection, httpMethod="ANY", type="HTTP_PROXY",
                     integrationHttpMethod="ANY", uri=f"{NOTES_URL}/notes")
apig.create_deployment(restApiId=notes_api, stageName="dev")
r = lab.send("GET", aws.stage_url(notes_api, "dev", "notes?done=true"))

# %% [markdown] slideshow={"slide_type": "subslide"}
# The query string reached the service (only the note that is done came back). A POST passes through the same way,
# and so does the service's `201 Created` with its `Location` header, and its errors:

# %% slideshow={"slide_type": "-"}
lab.skip_on_aws(ON_THIS_MACHINE)
r = lab.send("POST", aws.stage_url(notes_api, "dev", "notes"), {"title": "sent through API Gateway"})

# %% slideshow={"slide_type": "subslide"}
lab.skip_on_aws(ON_THIS_MACHINE)
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
lab.skip_on_aws(ON_THIS_MACHINE)
titles = lab.api_builders.resource(notes_api, "/titles")
lab.api_builders.clear_method(notes_api, titles, "GET")  # a re-run starts this method over
apig.put_method(restApiId=notes_api, resourceId=titles, httpMethod="GET", authorizationType="NONE",
                requestParameters={"method.request.querystring.done": False})
apig.put_method_response(restApiId=notes_api, resourceId=titles, httpMethod="GET", statusCode="200")
integration = apig.put_integration(
    restApiId=notes_api, resourceId=titles, httpMethod="GET", type="HTTP", integrationHttpMethod="GET",
    uri=f"{NOTES_URL}/notes",
    requestParameters={"integration.request.querystring.done": "method.request.querystring.done"},
)
integration["requestParameters"]

# %% [markdown] slideshow={"slide_type": "subslide"}
# The integration response's template turns the list of notes into a list of titles (`#foreach` is Velocity):

# %% slideshow={"slide_type": "-"}
lab.skip_on_aws(ON_THIS_MACHINE)
TITLES_ONLY = ('#set($notes = $input.path(\'$\'))'
               '[#foreach($n in $notes)"$util.escapeJavaScript($n.title)"#if($foreach.hasNext), #end#end]')
apig.put_integration_response(restApiId=notes_api, resourceId=titles, httpMethod="GET", statusCode="200",
                              responseTemplates={"application/json": TITLES_ONLY})
apig.create_deployment(restApiId=notes_api, stageName="dev")
r = lab.send("GET", aws.stage_url(notes_api, "dev", "titles?done=false"))

# %% [markdown] slideshow={"slide_type": "subslide"}
# A path parameter, `{id}`: the method declares it, the integration maps it into the endpoint URL, and a backend
# 404 will be mapped to a 404 of our own:

# %% slideshow={"slide_type": "-"}
lab.skip_on_aws(ON_THIS_MACHINE)
title = lab.api_builders.resource(notes_api, "/titles/{id}")
lab.api_builders.clear_method(notes_api, title, "GET")  # a re-run starts this method over
apig.put_method(restApiId=notes_api, resourceId=title, httpMethod="GET", authorizationType="NONE",
                requestParameters={"method.request.path.id": True})
integration = apig.put_integration(
    restApiId=notes_api, resourceId=title, httpMethod="GET", type="HTTP", integrationHttpMethod="GET",
    uri=f"{NOTES_URL}/notes/{{id}}",
    requestParameters={"integration.request.path.id": "method.request.path.id"},
)
integration["uri"], integration["requestParameters"]

# %% [markdown] slideshow={"slide_type": "subslide"}
# Without the `"404"` pattern the client would get **200** with the service's error body (the default response):

# %% slideshow={"slide_type": "-"}
lab.skip_on_aws(ON_THIS_MACHINE)
for status, pattern, template in (("200", None, '{"title": "$input.path(\'$.title\')"}'),
                                  ("404", "404", '{"message": "No such note"}')):
    apig.put_method_response(restApiId=notes_api, resourceId=title, httpMethod="GET", statusCode=status)
    apig.put_integration_response(restApiId=notes_api, resourceId=title, httpMethod="GET", statusCode=status,
                                  responseTemplates={"application/json": template},
                                  **({"selectionPattern": pattern} if pattern else {}))
apig.create_deployment(restApiId=notes_api, stageName="dev")
r = lab.send("GET", aws.stage_url(notes_api, "dev", "titles/1"))

# %% slideshow={"slide_type": "subslide"}
lab.skip_on_aws(ON_THIS_MACHINE)
r = lab.send("GET", aws.stage_url(notes_api, "dev", "titles/99"))

# %% [markdown] slideshow={"slide_type": "fragment"}
# > **🤔 Check yourself.** Suppose the `"404"` integration response of `GET /titles/{id}` had not been created.
# > What would a client get for `GET /titles/99`?
# >
# > <details><summary>Answer</summary>
# >
# > <b>200</b>, with the default response's template applied to the service's error body. In a custom
# > integration a backend status reaches the client only through an integration response whose
# > <code>selectionPattern</code> matches it; everything else gets the default response. Behind
# > <code>HTTP_PROXY</code> the service's own 404 would pass through unchanged.
# > </details>

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3 · An AWS service behind the API: SQS
#
# No function at all: `POST /messages` puts the request body on an SQS queue. API Gateway calls SQS's
# `SendMessage` itself. The mapping template turns the JSON body into SQS's form-encoded request
# ([Tutorial: REST API as an Amazon SQS proxy](https://docs.aws.amazon.com/apigateway/latest/developerguide/integrating-api-with-aws-services-sqs.html)).
#
# ```mermaid
# flowchart LR
#     client([client]) -- "POST /messages {json}" --> gw["API Gateway"]
#     gw -- "assumes nb05-apigw-sqs" --> iam{{IAM}}
#     gw -- "Action=SendMessage&MessageBody=…" --> sqs[("SQS queue<br/>nb05-messages")]
#     reader["boto3 receive_message"] --> sqs
# ```

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Who is calling SQS? The integration's role
#
# A call to SQS must be signed by someone allowed to send. That someone is the integration's `credentials`: the
# ARN of an IAM role that API Gateway assumes for the call
# ([API_Integration, `credentials`](https://docs.aws.amazon.com/apigateway/latest/api/API_Integration.html)). So
# the role must **trust** `apigateway.amazonaws.com` (who may assume it) and **allow** `sqs:SendMessage` on the
# queue (what it may do), as the tutorial's role does. Without a usable role the call fails: a role API Gateway
# cannot assume gives 500, a role without the permission gets SQS's own `AccessDenied`.
#
# The queue and the role come from `lab.resources` (find-or-create, tagged, cleaned up):
# `queue(name)` returns the queue's URL and ARN, `execution_role(name, trust_service=…, inline=…)` a role trusted
# by that service with exactly these inline policies.

# %% slideshow={"slide_type": "-"}

sqs = aws.client("sqs")
queue_url, queue_arn = lab.resources.queue("nb05-messages")
SEND_ONLY = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": queue_arn}]}
role_arn = lab.resources.execution_role("nb05-apigw-sqs", trust_service="apigateway.amazonaws.com", inline={"send": SEND_ONLY})
print(queue_arn)
print(role_arn)

# %% [markdown] slideshow={"slide_type": "subslide"}
# The integration: type `AWS`, a URI naming the service and the queue's path (`…:sqs:path/{account}/{queue}`),
# the role as `credentials`, a header mapping for SQS's content type, and the template. `$util.urlEncode` keeps
# the JSON intact inside the form body ([`$util` reference](https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-mapping-template-reference.html#util-template-reference)).

# %% slideshow={"slide_type": "-"}
messages = lab.api_builders.resource(api_id, "/messages")
lab.api_builders.clear_method(api_id, messages, "POST")  # a re-run starts this method over
apig.put_method(restApiId=api_id, resourceId=messages, httpMethod="POST", authorizationType="NONE")
integration = apig.put_integration(
    restApiId=api_id, resourceId=messages, httpMethod="POST", type="AWS", integrationHttpMethod="POST",
    uri=f"arn:aws:apigateway:{aws.region}:sqs:path/{aws.account_id}/nb05-messages",
    credentials=role_arn,  # the role API Gateway assumes to call SQS
    requestParameters={"integration.request.header.Content-Type": "'application/x-www-form-urlencoded'"},
    requestTemplates={"application/json": "Action=SendMessage&MessageBody=$util.urlEncode($input.body)"},
)
integration["credentials"]

# %% [markdown] slideshow={"slide_type": "subslide"}
# One response, whose template replaces SQS's XML answer with a small JSON one; then a message. On a real account
# a role created seconds ago may not be usable yet (IAM is eventually consistent): `lab.until` sends again while
# the answer is an error, for at most 90 s; on the embedded backend the first answer is the one.

# %% slideshow={"slide_type": "-"}
apig.put_method_response(restApiId=api_id, resourceId=messages, httpMethod="POST", statusCode="200")
apig.put_integration_response(restApiId=api_id, resourceId=messages, httpMethod="POST", statusCode="200",
                              responseTemplates={"application/json": '{"queued": true}'})
apig.create_deployment(restApiId=api_id, stageName="dev")
messages_url, sent = aws.stage_url(api_id, "dev", "messages"), {"text": "hello from the API", "from": "notebook 05"}
r = lab.until(lambda: lab.send("POST", messages_url, sent), what="API Gateway to be able to assume the new role")

# %% [markdown] slideshow={"slide_type": "subslide"}
# Did it arrive? Read the queue with boto3 (and delete what was read, so the cell can run again):

# %% slideshow={"slide_type": "-"}
received = lab.until(lambda: sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10,
                                                  WaitTimeSeconds=1).get("Messages"), what="the message on the queue")
for message in received:
    print(json.loads(message["Body"]))
    sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])

# %% [markdown] slideshow={"slide_type": "fragment"}
# > **🤔 Check yourself.** Someone removes the inline policy `send` from `nb05-apigw-sqs` (the trust policy stays).
# > Does `POST /messages` still put messages on the queue? What does the client see?
# >
# > <details><summary>Answer</summary>
# >
# > No. API Gateway can still assume the role, but the role may no longer send, so SQS answers
# > <code>AccessDenied</code> (403). That answer goes through the integration responses like any other; with only
# > the default 200 response here, the client would even get <code>{"queued": true}</code> for a message that was
# > never queued. Map SQS's errors (a <code>selectionPattern</code> such as <code>4\d{2}</code>) to tell the client.
# > </details>

# %% [markdown] slideshow={"slide_type": "notes"}
# **Speaker notes.** On a real account the first call right after creating the role can fail with 500 for a few
# seconds (IAM is eventually consistent); the cell calls again (`lab.until`), so the failed answers show above
# the one that worked. The local gateway assumes the integration's role too (a role
# that does not trust `apigateway.amazonaws.com` is a 500, a role without `sqs:SendMessage` gets SQS's
# AccessDenied), so a wrong role shows up here just as on AWS: try removing the `send` policy in class.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Before the exercise
#
# The orders service's function, `nb05-ex-orders`, is a Lambda custom integration behind
# `POST /customers/{customer}/orders` of the REST API `nb05-ex-orders`; it answers `{"received": <its event>}`.
# Its mapping template is still `{}`, so the function receives an empty event:

# %% slideshow={"slide_type": "-"}
from lab_support.exercises.nb05 import prepare_05_3

orders_api = prepare_05_3()
r = lab.send("POST", aws.stage_url(orders_api, "dev", "customers/c-17/orders"), {"item": "tea", "qty": 2},
             headers={"X-Channel": "mobile"})

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 05.3 · Write: a mapping template for the orders backend
#
# Write the request mapping template of `POST /customers/{customer}/orders` so that the request above reaches
# the function as exactly `{"customer": "c-17", "item": "tea", "quantity": 2, "channel": "mobile"}`: the path
# parameter, the body's `item`, the body's `qty` (as a **number**) and the `X-Channel` header. Change the
# integration's template (not the whole integration) and deploy to `dev`. The check sends requests with other
# values and compares what the function received.

# %% slideshow={"slide_type": "-"}
# YOUR CODE HERE

lab.check("05.3")

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
#     dev -- "http://${stageVariables.backend}/notes" --> notes[("notes")]
#     test -- "http://${stageVariables.backend}/notes" --> inv[("inventory")]
# ```

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The same calls, as a definition
#
# Sections 1 to 3 built each method with one call per part, as notebook 04 did. API Gateway also takes a whole
# API as an OpenAPI definition, with each integration in an `x-amazon-apigateway-integration` extension
# ([the extension](https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-swagger-extensions-integration.html)):
# `import_rest_api` creates a new API from it, and `put_rest_api(mode="merge")` adds what it names to an
# existing one, replacing those paths if they exist, so running the cell again is safe
# ([PutRestApi](https://docs.aws.amazon.com/apigateway/latest/api/API_PutRestApi.html)). The MOCK `GET /health`:

# %% slideshow={"slide_type": "-"}
HEALTH = {"openapi": "3.0.1", "info": {"title": "nb05-integrations", "version": "1"}, "paths": {"/health": {"get": {
    "responses": {"200": {"description": "the stage and its colour"}},
    "x-amazon-apigateway-integration": {
        "type": "mock", "requestTemplates": {"application/json": '{"statusCode": 200}'},
        "responses": {"default": {"statusCode": "200", "responseTemplates": {"application/json":
            '{"status": "ok", "stage": "$context.stage", "colour": "$stageVariables.colour"}'}}},
    }}}}}
apig.put_rest_api(restApiId=api_id, mode="merge", body=json.dumps(HEALTH))
health = lab.api_builders.resource(api_id, "/health")
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

# %% [markdown] slideshow={"slide_type": "subslide"}
# `GET /backend`: an HTTP proxy whose URI takes its host from the stage variable `backend`; then two stages, each
# with its own variables:

# %% slideshow={"slide_type": "-"}
BACKEND = {"openapi": "3.0.1", "info": {"title": "nb05-integrations", "version": "1"}, "paths": {"/backend": {"get": {
    "responses": {"default": {"description": "whatever the backend answers"}},
    "x-amazon-apigateway-integration": {"type": "http_proxy", "httpMethod": "GET",
                                        "uri": "http://${stageVariables.backend}/notes"}}}}}
apig.put_rest_api(restApiId=api_id, mode="merge", body=json.dumps(BACKEND))
host = {"dev": NOTES_URL, "test": INVENTORY_URL}
for stage, colour in (("dev", "blue"), ("test", "green")):
    apig.create_deployment(restApiId=api_id, stageName=stage,
                           variables={"colour": colour, "backend": host[stage].split("://", 1)[1]})
    print(stage, apig.get_stage(restApiId=api_id, stageName=stage)["variables"])

# %% slideshow={"slide_type": "subslide"}
for stage in ("dev", "test"):
    r = lab.send("GET", aws.stage_url(api_id, stage, "health"))

# %% slideshow={"slide_type": "subslide"}
lab.skip_on_aws(ON_THIS_MACHINE)
for stage in ("dev", "test"):
    body = requests.get(aws.stage_url(api_id, stage, "backend"), timeout=30).json()
    print(f"{stage:>4}:", body if isinstance(body, dict) else [note["title"] for note in body])

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5 · VPC link: a backend in a private network
#
# A server in private subnets of a VPC has no public address. A **VPC link** lets API Gateway reach it through a
# load balancer in the VPC. For a REST API the link is a **VPC link V2** (`apigatewayv2.create_vpc_link`, with the
# VPC's subnets and security groups), and the integration is `HTTP` or `HTTP_PROXY` with
# `connectionType="VPC_LINK"`, `connectionId` = the link's id, and `integrationTarget` = the ARN of the
# **Application or Network Load Balancer** to use
# ([Private integrations for REST APIs](https://docs.aws.amazon.com/apigateway/latest/developerguide/private-integration.html),
# [Set up a private integration](https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-private-integration.html)).
#
# ```mermaid
# flowchart LR
#     client([client]) --> gw["API Gateway<br/>(public endpoint)"]
#     gw -- "connectionType VPC_LINK<br/>integrationTarget" --> link["VPC link V2"]
#     subgraph vpc["your VPC (private subnets)"]
#         link --> lb["ALB or NLB"]
#         lb --> t1["EC2 / ECS targets"]
#     end
# ```

# %% [markdown] slideshow={"slide_type": "subslide"}
# > **📅 Update to the lecture notes.** The notes say a VPC link connects "to ELB". REST APIs used to have only
# > their own links (`apigateway.create_vpc_link(targetArns=[nlb_arn])`), which reach a **Network Load Balancer**
# > only. AWS now calls those **VPC links V1, legacy**, and recommends **VPC links V2** for REST APIs: the links
# > HTTP APIs use, which reach an **Application Load Balancer or a Network Load Balancer**, named per integration
# > by `integrationTarget` ([Private integrations for REST APIs](https://docs.aws.amazon.com/apigateway/latest/developerguide/private-integration.html),
# > [Private integration using VPC links V1 (legacy)](https://docs.aws.amazon.com/apigateway/latest/developerguide/vpc-links-v1.html)).
# > An HTTP API's own private integrations can also reach services registered in AWS Cloud Map
# > ([Private integrations for HTTP APIs](https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-private.html)).

# %% [markdown] slideshow={"slide_type": "subslide"}
# Here there is no VPC and no load balancer. The course's local gateway lets a loopback server **stand in** for
# the load balancer's targets: `lab_support.embedded.apigateway.register_private_backend(alb_arn, url)`. The API
# side is what you would write on AWS. On a real account this cell and the next skip, saying why: a load balancer
# is billed for every hour it exists, plus its capacity units
# ([Elastic Load Balancing pricing](https://aws.amazon.com/elasticloadbalancing/pricing/)).

# %% slideshow={"slide_type": "-"}
v2 = aws.client("apigatewayv2")
lab.skip_on_aws("a VPC link needs your VPC's subnets and a load balancer, billed every hour it exists (≈ $0.0225/h)")
from lab_support.embedded.apigateway import register_private_backend

alb_arn = f"arn:aws:elasticloadbalancing:{aws.region}:{aws.account_id}:loadbalancer/app/nb05-inventory/1234567891011"
link = next((v for v in v2.get_vpc_links()["Items"] if v["Name"] == "nb05-inventory-link"), None)
if link is None:
    link = v2.create_vpc_link(Name="nb05-inventory-link", SubnetIds=["subnet-0a1b2c3d", "subnet-4e5f6a7b"],
                              SecurityGroupIds=["sg-0c1d2e3f"], Tags=aws.tags)
    aws.track("VPC link nb05-inventory-link", lambda link_id=link["VpcLinkId"]: v2.delete_vpc_link(VpcLinkId=link_id))
register_private_backend(alb_arn, INVENTORY_URL)  # the local stand-in for the ALB's targets
print("VPC link", link["Name"], "| subnets:", link["SubnetIds"])

# %% [markdown] slideshow={"slide_type": "subslide"}
# The private integration: the link's id, the load balancer it should use, and a URI whose host is sent as the
# `Host` header (it need not resolve publicly):

# %% slideshow={"slide_type": "-"}
lab.skip_on_aws("it uses the VPC link of the cell above")
private = lab.api_builders.resource(api_id, "/inventory")
lab.api_builders.clear_method(api_id, private, "GET")  # a re-run starts this method over
apig.put_method(restApiId=api_id, resourceId=private, httpMethod="GET", authorizationType="NONE")
apig.put_integration(restApiId=api_id, resourceId=private, httpMethod="GET", type="HTTP_PROXY",
                     integrationHttpMethod="GET", uri="http://inventory.internal.example/items",
                     connectionType="VPC_LINK", connectionId=link["VpcLinkId"], integrationTarget=alb_arn)
apig.create_deployment(restApiId=api_id, stageName="dev")
r = lab.send("GET", aws.stage_url(api_id, "dev", "inventory"))

# %% [markdown] slideshow={"slide_type": "notes"}
# **Speaker notes.** `connectionId` may also be a stage variable (`${stageVariables.vpcLinkId}`), so dev and prod
# can use different links. For an HTTP API the same V2 link is used with `IntegrationUri` = the load balancer's
# *listener* ARN (or a Cloud Map service ARN). A V1 link still works on REST APIs but is legacy: do not create new
# ones.

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

# %% slideshow={"slide_type": "subslide"}
http_id = lab.api_builders.http_api("nb05-http", Target=echo["FunctionArn"], RouteKey="GET /echo")  # quick create, on the first run
lab.api_builders.allow_api_gateway("nb05-echo", http_id)
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
lab.show(http_event, lines=12)

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

# %% [markdown] slideshow={"slide_type": "subslide"}
# The last row, live: `nb05-plain` got 502 behind the REST proxy; behind a 2.0 route it is fine.

# %% slideshow={"slide_type": "-"}
lab.api_builders.allow_api_gateway("nb05-plain", http_id)
if not any(r["RouteKey"] == "GET /plain" for r in v2.get_routes(ApiId=http_id)["Items"]):
    integration = v2.create_integration(ApiId=http_id, IntegrationType="AWS_PROXY",
                                        IntegrationUri=plain["FunctionArn"], PayloadFormatVersion="2.0")
    v2.create_route(ApiId=http_id, RouteKey="GET /plain", Target=f"integrations/{integration['IntegrationId']}")
r = lab.send("GET", aws.stage_url(http_id, "$default", "plain", http_api=True))

# %% [markdown] slideshow={"slide_type": "subslide"}
# > **🤔 Check yourself.** A client asks for a path that no route or resource matches: `GET /nothing-here`. What
# > does the HTTP API answer, and what does the REST API answer?
# >
# > <details><summary>Answer</summary>
# >
# > The HTTP API: <b>404</b> <code>{"message":"Not Found"}</code>. The REST API: <b>403</b>
# > <code>{"message":"Missing Authentication Token"}</code>: it does not reveal which paths exist
# > (<a href="https://repost.aws/knowledge-center/api-gateway-authentication-token-errors">Why "Missing
# > Authentication Token"?</a>). The two cells below show it.
# > </details>

# %% slideshow={"slide_type": "-"}
r = lab.send("GET", aws.stage_url(http_id, "$default", "nothing-here", http_api=True))

# %% slideshow={"slide_type": "subslide"}
r = lab.send("GET", aws.stage_url(api_id, "dev", "nothing-here"))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 7 · Reject bad requests at the gateway
#
# A REST API can check a request before any integration runs: a **model** (a JSON Schema, draft 4) describes the
# body, a **request validator** says what to check (body, parameters, or both), and the method names both. A request
# that fails gets **400** and never reaches the backend, so it costs no invocation
# ([Request validation](https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-method-request-validation.html)).
# Written as a definition, as in section 4: first the model's schema and the method:

# %% slideshow={"slide_type": "-"}
SIGNUP_SCHEMA = {"type": "object", "required": ["email"],
                 "properties": {"email": {"type": "string", "minLength": 3}, "newsletter": {"type": "boolean"}}}
SIGNUP_METHOD = {
    "x-amazon-apigateway-request-validator": "body-and-params",
    "parameters": [{"name": "campaign", "in": "query", "required": True, "schema": {"type": "string"}}],
    "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Signup"}}}},
    "responses": {"200": {"description": "signed up"}},
    "x-amazon-apigateway-integration": {
        "type": "mock", "requestTemplates": {"application/json": '{"statusCode": 200}'},
        "responses": {"default": {"statusCode": "200",
                                  "responseTemplates": {"application/json": '{"signedUp": true}'}}}},
}

# %% [markdown] slideshow={"slide_type": "subslide"}
# In the definition the model is a schema under `components`, the validator an extension, and `POST /signup` names
# both and requires the query parameter `campaign`; a MOCK integration answers:

# %% slideshow={"slide_type": "-"}
SIGNUP = {"openapi": "3.0.1", "info": {"title": "nb05-integrations", "version": "1"},
          "components": {"schemas": {"Signup": SIGNUP_SCHEMA}},
          "x-amazon-apigateway-request-validators": {
              "body-and-params": {"validateRequestBody": True, "validateRequestParameters": True}},
          "paths": {"/signup": {"post": SIGNUP_METHOD}}}
apig.put_rest_api(restApiId=api_id, mode="merge", body=json.dumps(SIGNUP))
apig.create_deployment(restApiId=api_id, stageName="dev")
r = lab.send("POST", aws.stage_url(api_id, "dev", "signup?campaign=spring"), {"email": "ada@example.com"})

# %% [markdown] slideshow={"slide_type": "subslide"}
# A body without `email`, then a request without the required `campaign` query parameter. The messages are
# API Gateway's defaults for the gateway responses `BAD_REQUEST_BODY` and `BAD_REQUEST_PARAMETERS`
# ([Gateway response types](https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html));
# put `$context.error.validationErrorString` in a custom gateway response to tell clients exactly what failed.

# %% slideshow={"slide_type": "-"}
r = lab.send("POST", aws.stage_url(api_id, "dev", "signup?campaign=spring"), {"newsletter": True})

# %% slideshow={"slide_type": "subslide"}
r = lab.send("POST", aws.stage_url(api_id, "dev", "signup"), {"email": "ada@example.com"})

# %% [markdown] slideshow={"slide_type": "slide"}
# ### Exercise 05.4 · Design: an integration for delivery events
#
# A delivery partner sends each parcel event to your API as a JSON `POST` (up to a thousand a second at peak).
# The partner needs only a quick 200; every event must be kept until your tracking service, which runs at its own
# pace, processes it. You want no code of your own to maintain in the request path and no per-request Lambda
# cost. Which integration type do you give `POST /events`? Set `choice` to one of `"AWS_PROXY"`, `"AWS"`,
# `"HTTP_PROXY"`, `"HTTP"`, `"MOCK"`, and `reasons` to the labels of the statements that support it:
#
# - **a** API Gateway can call SQS SendMessage itself, with a mapping template and an integration role.
# - **b** No function runs per request: no Lambda invocation to pay for and no code to maintain in the request path.
# - **c** The queue keeps every event until the worker, at its own pace, reads it.
# - **d** Only a proxy integration can pass the request's whole body to the backend.
# - **e** An AWS integration needs no IAM role, so there is nothing to set up besides the method.
# - **f** A MOCK integration answers fastest, and the events can be read back from the access logs.

# %% slideshow={"slide_type": "-"}
choice = ...  # YOUR CODE HERE: one of the five types
reasons = set()  # YOUR CODE HERE: labels, e.g. {"x", "y"}

lab.check("05.4", choice=choice, reasons=reasons)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - `AWS_PROXY`: the function gets the whole request and must answer `{statusCode, headers, body}`; anything else,
#   and any unhandled error, is a 502. `AWS` with Lambda: a template builds the event, and `selectionPattern` on
#   the `errorMessage` picks the status; an error no pattern matches gets the default (often 200).
# - `HTTP_PROXY` passes everything both ways; `HTTP` needs parameter mappings and integration responses (patterns
#   on the status code).
# - `AWS` reaches other services directly (SQS here) with a template and the integration's `credentials` role,
#   trusted by `apigateway.amazonaws.com` and allowed the action: no function to run.
# - `MOCK` answers from the gateway; stage variables pick a backend per stage.
# - Private backends: a VPC link V2 and `integrationTarget` (an ALB or NLB); V1 links (NLB only) are legacy.
# - HTTP APIs: payload 2.0, inferred responses, 404 for unknown routes (REST: 403 Missing Authentication Token).
# - Models and request validators reject bad requests before they cost an invocation.
# - The same parts can be written as an OpenAPI definition with `x-amazon-apigateway-integration`:
#   `import_rest_api` (a new API) or `put_rest_api(mode="merge")` (added to an existing one).

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Questionnaire
#
# 1. A Lambda proxy function returns `{"statusCode": 200, "body": {"ok": true}}`. What does the client get, and why?
# 2. In a Lambda custom integration, how does a function's error become a 400 for the client, and what happens
#    to an error that no `selectionPattern` matches?
# 3. What must the IAM role in an `AWS` integration's `credentials` allow and trust, for `POST /messages` to put a
#    message on the queue?
# 4. You need the backend's 404 to reach the client unchanged. Which HTTP integration type passes it through, and
#    what does the other one need?
# 5. Which three settings make a REST API integration private, and what kind of load balancer can a VPC link V2
#    reach?
# 6. A function returns `{"message": "hello"}`. Behind which integration does the client get 200, and behind which 502?

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Clean up
#
# Stop the notes service and remove what this notebook created (APIs, functions, queue, role, VPC link, the local
# inventory server).

# %% slideshow={"slide_type": "-"}
lab.stop_notes_service()
lab.cleanup()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Next
#
# [06 · Securing an API](06_securing_an_api.ipynb): who may call an API, and how API Gateway refuses the others.
