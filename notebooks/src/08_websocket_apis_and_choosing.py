# %% [markdown] slideshow={"slide_type": "slide"}
# # 08 · WebSocket APIs, and choosing an API type
#
# REST and HTTP APIs answer requests: the server can never speak first. A **WebSocket API** keeps a connection
# open, and either side can send at any time. This notebook builds one with plain `boto3`, runs a chat in which the
# backend pushes messages to clients, and ends by comparing REST, HTTP and WebSocket APIs.
#
# **Learning objectives**
# - explain when a persistent two-way connection beats request/response (and polling)
# - build a WebSocket API with `apigatewayv2`: routes (`$connect`, `$disconnect`, `$default`, a custom one), the
#   route selection expression, Lambda proxy integrations and permissions, a stage
# - read the event a WebSocket route's function receives (`routeKey`, `eventType`, `connectionId`, `body`)
# - keep connection ids in DynamoDB, push with the Management API (`post_to_connection`), cope with clients gone
# - refuse a connection in `$connect`; know the quotas (128 KB messages, 2 h connections, 10 min idle)
# - choose between REST, HTTP and WebSocket APIs from their features, prices and quotas, and say why
#
# **Time**: about 85 minutes
#
# **Prerequisites**: [02 · Lambda invocation and permissions](02_lambda_invocation_and_permissions.ipynb)
# (resource-based policies, execution roles) and [05 · Integrations](05_integrations.ipynb) (Lambda proxy
# integrations, HTTP APIs with `apigatewayv2`).

# %% slideshow={"slide_type": "skip"}
import lab_support as lab
aws = lab.start()
lab.use_course_style()
aws

# %% [markdown] slideshow={"slide_type": "skip"}
# What this notebook creates, and what it costs: on a real account `lab.costs` lists the billable resources with
# their prices; here, on the embedded backend, it prints one line.

# %% slideshow={"slide_type": "skip"}
lab.costs("08")

# %% [markdown] slideshow={"slide_type": "notes"}
# **Speaker notes.** Run all cells before presenting (about 60 s). Everything is created with plain boto3, so the
# same cells run on a real account with `LAB_BACKEND=aws` (the client then connects to `wss://…`). API ids and
# connection ids are random: the stored outputs hold one run's API id in URLs (strict nbval masks it when it
# compares) and never print a connection id. Cells that wait for a message always pass a timeout, so no cell can
# hang.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1 · Why WebSockets
#
# With request/response, a client that wants to know about something new must **poll**: ask again and again, and
# most answers say "nothing new". A WebSocket ([RFC 6455](https://www.rfc-editor.org/rfc/rfc6455)) starts as an HTTP
# request that asks to *upgrade* the connection; after that, the same connection carries **messages in both
# directions**, whenever either side has one.
#
# In API Gateway the client connects to `wss://{api-id}.execute-api.{region}.amazonaws.com/{stage}`. API Gateway
# holds the connection; your backend is still invoked once per event: `$connect` when a client connects, a route
# per message, `$disconnect` when it leaves. To **push** to a client, the backend calls API Gateway's
# `@connections` API with the client's connection id
# ([Overview of WebSocket APIs](https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-overview.html),
# [Use @connections commands](https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-how-to-call-websocket-api-connections.html)).

# %% [markdown] slideshow={"slide_type": "subslide"}
# ```mermaid
# sequenceDiagram
#     participant C as client
#     participant G as API Gateway
#     participant F as Lambda function
#     C->>G: HTTP GET, Upgrade: websocket
#     G->>F: $connect (connectionId)
#     F-->>G: statusCode 200
#     G-->>C: 101 Switching Protocols
#     C->>G: message {"action": "sendmessage", ...}
#     G->>F: route sendmessage (body)
#     F->>G: POST @connections/{connectionId}
#     G-->>C: server push
#     C->>G: close
#     G->>F: $disconnect
# ```

# %% [markdown] slideshow={"slide_type": "fragment"}
# > **📅 Update to the lecture notes.** The notes say only that API Gateway "supports both stateful (WebSocket) and
# > stateless (HTTP and REST) APIs". What is stateful is the **connection**, held by API Gateway. The Lambda functions
# > behind it stay stateless: each event is a separate invocation, so what a chat must remember (who is connected)
# > lives elsewhere, for example in DynamoDB, as in AWS's own chat tutorial
# > ([Tutorial: Create a WebSocket chat app](https://docs.aws.amazon.com/apigateway/latest/developerguide/websocket-api-chat-app.html)).
# > The backend talks back through the `@connections` API, which needs IAM permission `execute-api:ManageConnections`
# > ([Use @connections commands](https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-how-to-call-websocket-api-connections.html)).

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2 · Building a WebSocket API with boto3
#
# A WebSocket API routes **messages**, not paths. Its **route selection expression** names a field of each message's
# JSON body; `$request.body.action` sends `{"action": "sendmessage", …}` to the route whose key is `sendmessage`.
# A message that matches no route key (or is not JSON) goes to `$default`. `$connect` and `$disconnect` run when a
# client connects and leaves
# ([Create routes for WebSocket APIs](https://docs.aws.amazon.com/apigateway/latest/developerguide/websocket-api-develop-routes.html)).
# Here three functions share the four routes, one per job:
#
# ```mermaid
# flowchart LR
#     client([client]) -- "wss://…/dev" --> stage["stage dev"]
#     stage --> rc["$connect"] & rd["$disconnect"] & rs["sendmessage"] & rdef["$default"]
#     rc & rd --> fc[("nb08-connections")]
#     rs --> fm[("nb08-messages")]
#     rdef --> fe[("nb08-echo")]
#     fc & fm --> table[("DynamoDB<br/>nb08-connections")]
#     fm -- "post_to_connection" --> mgmt["@connections API"]
#     mgmt -. push .-> client
# ```

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The API
#
# `create_api` with `ProtocolType="WEBSOCKET"` and the route selection expression. The cell deletes an API of the
# same name first, so a re-run starts over with one API (all its routes are created again below).

# %% slideshow={"slide_type": "-"}
import json

v2 = aws.client("apigatewayv2")

for old in v2.get_apis()["Items"]:
    if old["Name"] == "nb08-chat":  # a re-run starts over
        v2.delete_api(ApiId=old["ApiId"])
api_id = v2.create_api(Name="nb08-chat", ProtocolType="WEBSOCKET",
                       RouteSelectionExpression="$request.body.action", Tags=aws.tags)["ApiId"]
aws.track("WebSocket API nb08-chat", lambda: [v2.delete_api(ApiId=a["ApiId"]) for a in v2.get_apis()["Items"]
                                               if a["Name"] == "nb08-chat"], once=True)
api = v2.get_api(ApiId=api_id)
print(api["ProtocolType"], api["RouteSelectionExpression"])
print(api["ApiEndpoint"])

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Where connections are remembered, and what the functions may do
#
# A DynamoDB table keyed by `connectionId` (`lab.resources.table` finds or creates it, tagged), and the functions'
# **execution role** (notebook 02: what a function may call). Besides the table, it needs
# `execute-api:ManageConnections` on this API's `@connections` resource to push to clients; least privilege: one
# API, one stage ([Use @connections commands](https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-how-to-call-websocket-api-connections.html)).

# %% slideshow={"slide_type": "-"}
table_arn = lab.resources.table("nb08-connections", key="connectionId")
CHAT_POLICY = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:DeleteItem", "dynamodb:Scan"],
     "Resource": table_arn},
    {"Effect": "Allow", "Action": "execute-api:ManageConnections",
     "Resource": f"arn:aws:execute-api:{aws.region}:{aws.account_id}:{api_id}/dev/*/@connections/*"},
    {"Effect": "Allow", "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
     "Resource": "*"},
]}
role_arn = lab.resources.execution_role("nb08-chat-role", inline={"chat": CHAT_POLICY})
for statement in CHAT_POLICY["Statement"]:
    print(statement["Action"], "→", statement["Resource"])

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The functions
#
# `nb08-connections` handles `$connect` and `$disconnect` (it looks at `requestContext.routeKey`). `$connect` stores
# the connection id with the name the client gives in the query string (`?name=ada`), and, for section 3, the whole
# event; `$disconnect` deletes the row.

# %% slideshow={"slide_type": "-"}
# %%lambda_handler connections_code
import boto3, json, os

ddb = boto3.client("dynamodb")

def handler(event, context):  # $connect and $disconnect
    key = {"connectionId": {"S": event["requestContext"]["connectionId"]}}
    if event["requestContext"]["routeKey"] == "$disconnect":
        ddb.delete_item(TableName=os.environ["TABLE"], Key=key)
        return {"statusCode": 200}
    name = (event.get("queryStringParameters") or {}).get("name")
    if not name:  # refuse the connection
        return {"statusCode": 400, "body": "a name is required: ?name=..."}
    ddb.put_item(TableName=os.environ["TABLE"], Item={**key, "name": {"S": name}, "event": {"S": json.dumps(event)}})
    return {"statusCode": 200}

# %% [markdown] slideshow={"slide_type": "subslide"}
# `nb08-messages` handles `sendmessage`: it sends the text, with the sender's name, to every stored connection. The
# Management API's endpoint is `https://{domainName}/{stage}` on AWS; in the course's embedded AWS, the endpoint
# every function is given (`AWS_ENDPOINT_URL`, unset on AWS).

# %% slideshow={"slide_type": "-"}
# %%lambda_handler messages_code
import boto3, json, os

ddb = boto3.client("dynamodb")

def handler(event, context):  # sendmessage
    rc, table = event["requestContext"], os.environ["TABLE"]
    sender = ddb.get_item(TableName=table, Key={"connectionId": {"S": rc["connectionId"]}})["Item"]["name"]["S"]
    data = f"{sender}: {json.loads(event['body'])['message']}".encode()
    endpoint = os.environ.get("AWS_ENDPOINT_URL") or f"https://{rc['domainName']}/{rc['stage']}"
    api = boto3.client("apigatewaymanagementapi", endpoint_url=endpoint)
    for item in ddb.scan(TableName=table)["Items"]:
        api.post_to_connection(ConnectionId=item["connectionId"]["S"], Data=data)
    return {"statusCode": 200}

# %% [markdown] slideshow={"slide_type": "fragment"}
# `nb08-echo` handles `$default`: it answers with the event it received (section 3 reads it).

# %% slideshow={"slide_type": "-"}
# %%lambda_handler echo_code
import json


def handler(event, context):  # $default
    return {"statusCode": 200, "body": json.dumps(event)}

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Functions, integrations, permissions
#
# The three functions share the role and the table. Each gets one `AWS_PROXY` integration whose URI is the function's ARN (with `apigatewayv2`, unlike a REST
# API's `arn:aws:apigateway:…:lambda:path/…` URI), and the resource-based permission that lets API Gateway invoke it
# (notebook 02). `allow_api_gateway` (from `lab_support.course.api_builders`, notebook 05) adds that statement:
# principal `apigateway.amazonaws.com`, `SourceArn` = this API, any stage and route
# ([Set up a WebSocket API integration request](https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-integration-requests.html)).

# %% slideshow={"slide_type": "-"}
from lab_support.course.api_builders import allow_api_gateway

settings = {"role": role_arn, "Timeout": 10, "Environment": {"Variables": {"TABLE": "nb08-connections"}}}
integrations = {}
for name, code in [("nb08-connections", connections_code), ("nb08-messages", messages_code), ("nb08-echo", echo_code)]:
    fn = lab.create_function(name, code, **settings)
    statement = allow_api_gateway(name, api_id)
    integrations[name] = v2.create_integration(ApiId=api_id, IntegrationType="AWS_PROXY",
                                               IntegrationUri=fn["FunctionArn"])["IntegrationId"]
print(statement["Principal"], statement["Action"], statement["Condition"]["ArnLike"]["AWS:SourceArn"])

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Routes
#
# Four routes target the three integrations. `$default` also gets a **route response**: only then does API Gateway
# send the function's `body` back to the client (a two-way route)
# ([Set up route responses](https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-route-response.html)).

# %% slideshow={"slide_type": "-"}
ROUTES = {"$connect": "nb08-connections", "$disconnect": "nb08-connections",
          "sendmessage": "nb08-messages", "$default": "nb08-echo"}
for key, name in ROUTES.items():
    route_id = v2.create_route(ApiId=api_id, RouteKey=key, Target=f"integrations/{integrations[name]}")["RouteId"]
    if key == "$default":
        v2.create_route_response(ApiId=api_id, RouteId=route_id, RouteResponseKey="$default")
sorted(r["RouteKey"] for r in v2.get_routes(ApiId=api_id)["Items"])

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### A stage, a deployment, the URL
#
# Routes reach clients only through a deployed stage. `aws.stage_url(api_id, "dev", websocket=True)` gives the URL
# a client connects to: `wss://{api-id}.execute-api.{region}.amazonaws.com/dev` on AWS
# ([Use wscat to connect to a WebSocket API](https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-how-to-call-websocket-api-wscat.html)),
# and a `ws://127.0.0.1:…` URL on the embedded backend.

# %% slideshow={"slide_type": "-"}
v2.create_stage(ApiId=api_id, StageName="dev")
v2.create_deployment(ApiId=api_id, StageName="dev")
url = aws.stage_url(api_id, "dev", websocket=True)
print(url)

# %% [markdown] slideshow={"slide_type": "notes"}
# **Speaker notes.** Point out what is missing compared with a REST API: no resources, no methods, no
# `integrationHttpMethod`. On AWS, `wscat -c wss://…/dev?name=ada` from a terminal is the classic way to try it;
# here the Python `websockets` package plays that role.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3 · The event a handler receives
#
# A client: the `websockets` package's synchronous client, `websockets.sync.client.connect`
# ([websockets documentation](https://websockets.readthedocs.io/en/stable/reference/sync/client.html)).
# `recv(timeout=…)` waits at most that long for a message and raises `TimeoutError` otherwise: every cell here
# passes a timeout, so none can hang. The package wants each connection used in a `with` block; to keep
# connections open from one cell to the next, we enter them on an `ExitStack`, which closes them all at the end.

# %% slideshow={"slide_type": "-"}
from contextlib import ExitStack

from websockets.sync.client import connect

clients = ExitStack()  # clients.close() closes every connection entered on it
ada = clients.enter_context(connect(f"{url}?name=ada", open_timeout=15))
print("connected; subprotocol:", ada.subprotocol)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The `$connect` event
#
# `$connect` stored its whole event in the table (only for this section). The fields that matter, described in the
# [WebSocket API mapping template reference](https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-mapping-template-reference.html):

# %% slideshow={"slide_type": "-"}
ddb = aws.client("dynamodb")
item = ddb.scan(TableName="nb08-connections")["Items"][0]
connect_event = json.loads(item["event"]["S"])
rc = connect_event["requestContext"]
for key in ("routeKey", "eventType", "stage", "domainName"):
    print(f"{key:>15}: {rc[key]}")
print(f"{'connectionId':>15}: {len(rc['connectionId'])} characters, also in the table: {item['connectionId']['S'] == rc['connectionId']}")
print(f"{'query':>15}: {connect_event['queryStringParameters']}")
print(f"{'headers':>15}: {sorted(k for k in connect_event['headers'] if k.startswith('Sec-WebSocket'))}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### A `MESSAGE` event
#
# A message that is not JSON has no `action`, so it goes to `$default`, whose function answers with the event it
# received (the route response sends it back):

# %% slideshow={"slide_type": "-"}
ada.send("hello, is anyone there?")
message_event = json.loads(ada.recv(timeout=10))
rc = message_event["requestContext"]
for key in ("routeKey", "eventType", "messageDirection"):
    print(f"{key:>17}: {rc[key]}")
print(f"{'messageId':>17}: {'present' if rc.get('messageId') else 'absent'}")
print(f"{'body':>17}: {message_event['body']!r}")
print(f"{'isBase64Encoded':>17}: {message_event['isBase64Encoded']}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# | field | `$connect` | message | `$disconnect` |
# |---|---|---|---|
# | `requestContext.eventType` | `CONNECT` | `MESSAGE` | `DISCONNECT` |
# | `requestContext.routeKey` | `$connect` | the selected route (`$default`, `sendmessage`…) | `$disconnect` |
# | `requestContext.connectionId` | the id of this connection, the same in every event of it | same | same |
# | `headers`, `queryStringParameters` | the client's upgrade request's | — | — (only a few headers set by API Gateway) |
# | `body`, `isBase64Encoded` | — | the message (binary frames base64-encoded) | — |
# | `requestContext.messageId` | — | yes | — |

# %% [markdown] slideshow={"slide_type": "fragment"}
# > **🤔 Check yourself.** A chat must know who each client is, and refuse strangers. In which event can the
# > backend check a client's credentials, and why there?
# >
# > <details><summary>Answer</summary>
# >
# > In <code>$connect</code>: it is the only event that sees the client's HTTP request (headers, query string), and
# > it runs during the handshake, so refusing there means no connection at all. Authorizers of a WebSocket API
# > are attached to the <code>$connect</code> route only; later messages are trusted as coming from that connection
# > (<a href="https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-control-access.html">Control access to WebSocket APIs</a>).
# > </details>

# %% slideshow={"slide_type": "-"}
ada.close()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4 · A two-client chat
#
# Two people connect; each message to `sendmessage` is pushed by the function to every connection in the table.
#
# ```mermaid
# sequenceDiagram
#     participant A as alice
#     participant B as bob
#     participant G as API Gateway
#     participant F as nb08-messages
#     participant D as DynamoDB
#     A->>G: {"action": "sendmessage", "message": "hi"}
#     G->>F: sendmessage
#     F->>D: get sender's name, scan
#     F->>G: post_to_connection (alice), post_to_connection (bob)
#     G-->>A: alice: hi
#     G-->>B: alice: hi
# ```

# %% slideshow={"slide_type": "subslide"}
alice = clients.enter_context(connect(f"{url}?name=alice", open_timeout=15))
bob = clients.enter_context(connect(f"{url}?name=bob", open_timeout=15))
sorted(i["name"]["S"] for i in ddb.scan(TableName="nb08-connections")["Items"])

# %% slideshow={"slide_type": "fragment"}
alice.send(json.dumps({"action": "sendmessage", "message": "hi bob!"}))
print("bob   got:", bob.recv(timeout=10))
print("alice got:", alice.recv(timeout=10))

# %% slideshow={"slide_type": "fragment"}
bob.send(json.dumps({"action": "sendmessage", "message": "hello alice"}))
print("alice got:", alice.recv(timeout=10))
print("bob   got:", bob.recv(timeout=10))

# %% [markdown] slideshow={"slide_type": "subslide"}
# > **🤔 Check yourself.** Why does the chat keep its connection ids in DynamoDB, and not in a dictionary at the top
# > of the function's module, which would be faster?
# >
# > <details><summary>Answer</summary>
# >
# > Each event is a separate invocation, and Lambda may run them in different execution environments (several at
# > once when clients talk at the same time), each with its own memory; an environment is also recycled whenever
# > Lambda decides. A dictionary would hold only the clients that one environment happened to see. Three different
# > functions even read the same list here: only a store outside the functions is shared.
# > </details>

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The Management API from your own code
#
# Any program with `execute-api:ManageConnections` can push, not only the function: here the notebook itself, with
# the `apigatewaymanagementapi` client. Its endpoint is `https://{api-id}.execute-api.{region}.amazonaws.com/{stage}`
# on AWS ([Use @connections commands](https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-how-to-call-websocket-api-connections.html));
# with the course's AWS, `aws.endpoint_url`, as the functions use `AWS_ENDPOINT_URL`.
# `get_connection` describes a connection: when it connected, when it was last active, and who it is.

# %% slideshow={"slide_type": "-"}
mgmt = aws.client("apigatewaymanagementapi",
                  endpoint_url=aws.endpoint_url or f"https://{api_id}.execute-api.{aws.region}.amazonaws.com/dev")
ids = {i["name"]["S"]: i["connectionId"]["S"] for i in ddb.scan(TableName="nb08-connections")["Items"]}
described = mgmt.get_connection(ConnectionId=ids["bob"])
print("source IP:", described["Identity"]["SourceIp"], "| connected at is a", type(described["ConnectedAt"]).__name__)
mgmt.post_to_connection(ConnectionId=ids["bob"], Data=b"(a notice from the server, to bob only)")
print("bob got:", bob.recv(timeout=10))

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 08.1 · Predict: posting to a client that has left
#
# Bob closes his connection. Afterwards the backend calls `post_to_connection` with Bob's old connection id. What
# happens? Record one of these in `prediction` before you run the cell:
#
# - `"queued"`: API Gateway keeps the message and delivers it when Bob connects again;
# - `"dropped"`: the call succeeds and the message is silently thrown away;
# - `"refused"`: the call fails with an error.
#
# Only then does the check close a real connection, post to it, and compare; the next slides show it here too.

# %% slideshow={"slide_type": "-"}
prediction = ...  # YOUR CODE HERE

lab.check("08.1", prediction=prediction)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### When a client leaves
#
# Bob closes; API Gateway runs `$disconnect` (which deletes his row) and forgets the connection. `lab.wait_idle()`
# (a course helper) waits until the local functions have finished; on AWS `$disconnect` runs a moment later, and
# `lab.until` reads the table again until Bob's row is gone.

# %% slideshow={"slide_type": "-"}
def names():
    return sorted(i["name"]["S"] for i in ddb.scan(TableName="nb08-connections")["Items"])


bob.close()
lab.wait_idle()
lab.until(lambda: "bob" not in names(), what="$disconnect to delete bob's row")
print("still in the table:", names())
try:
    mgmt.post_to_connection(ConnectionId=ids["bob"], Data=b"are you there?")
except mgmt.exceptions.GoneException as err:
    print(err.response["Error"]["Code"], err.response["ResponseMetadata"]["HTTPStatusCode"])

# %% [markdown] slideshow={"slide_type": "fragment"}
# **410 Gone**, as boto3's `GoneException`: the id names a connection that no longer exists
# ([How do I troubleshoot 410 Gone errors with API Gateway WebSocket APIs?](https://repost.aws/knowledge-center/410-gone-api-gateway)).
# `$disconnect` is a **best-effort** event: API Gateway "cannot guarantee delivery"
# ([Manage connected users and client apps: $connect and $disconnect routes](https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-route-keys-connect-disconnect.html)),
# so a table of connection ids can hold stale ones. Our `nb08-messages` does not cope with that yet: exercise 08.2.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5 · Refusing a connection, and the limits
#
# `$connect` runs *during* the handshake: until its function answers, the upgrade is pending. A function that
# answers with a status that is not 2xx refuses the connection, and the client sees that status (as `wscat` shows
# "Unexpected server response: 400")
# ([Set up a $connect route that requires a subprotocol](https://docs.aws.amazon.com/apigateway/latest/developerguide/websocket-connect-route-subprotocol.html),
# [$connect and $disconnect routes](https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-route-keys-connect-disconnect.html)).
# Our function refuses clients without a name:

# %% slideshow={"slide_type": "-"}
from websockets.exceptions import InvalidStatus

try:
    with connect(url, open_timeout=15):
        print("connected (not expected)")
except InvalidStatus as refused:
    print("refused:", refused.response.status_code, refused.response.body.decode())

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Quotas of WebSocket APIs
#
# From [Quotas for configuring and running a WebSocket API](https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-execution-service-websocket-limits-table.html):
#
# | quota | default | can be increased |
# |---|---|---|
# | message payload size | 128 KB | no |
# | WebSocket frame size | 32 KB (a message over 32 KB is split into frames; a bigger frame closes the connection with code 1009) | no |
# | connection duration | 2 hours | no |
# | idle connection timeout | 10 minutes | no |
# | integration timeout | 50 ms – 29 s | no |
# | new connections per second, per account and Region | 500 | yes |
# | routes per API / stages per API | 300 / 10 | yes |
#
# The embedded gateway enforces the 128 KB message size; it does not close connections after 10 minutes or 2 hours.

# %% [markdown] slideshow={"slide_type": "subslide"}
# > **🤔 Check yourself.** A wall display in an office shows a live dashboard over a WebSocket API all day. What
# > happens after two hours, and what must the client and the backend do about it?
# >
# > <details><summary>Answer</summary>
# >
# > API Gateway closes the connection (2 hours at most; 10 minutes without any message closes it too). The client
# > must reconnect, and it gets a <b>new</b> connection id; it may send a small "heartbeat" message now and then to
# > stay under the idle timeout. The backend must treat ids as temporary: store the new one on
# > <code>$connect</code>, and forget old ones, including those a missed <code>$disconnect</code> left behind.
# > </details>

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### A broadcast that stops half-way
#
# The cell below prepares a second chat, the WebSocket API `nb08-ex-chat` (stage `dev`): `$connect` and
# `$disconnect` as above (table `nb08-ex-connections`), and a `$default` route whose function `nb08-ex-broadcast`
# sends every message, as it is, to every connection in the table. Its code is the cell after it. Running the cell
# again puts the exercise back in this starting state.

# %% slideshow={"slide_type": "-"}
from lab_support.exercises.nb08 import prepare_08_2

ex_api = prepare_08_2()
sorted(r["RouteKey"] for r in v2.get_routes(ApiId=ex_api)["Items"])

# %% slideshow={"slide_type": "-"}
# %%lambda_handler broadcast_code
import boto3, os

ddb = boto3.client("dynamodb")

def handler(event, context):  # $default: send the message to every connection in the table
    rc, table = event["requestContext"], os.environ["TABLE"]
    endpoint = os.environ.get("AWS_ENDPOINT_URL") or f"https://{rc['domainName']}/{rc['stage']}"
    api = boto3.client("apigatewaymanagementapi", endpoint_url=endpoint)
    for item in ddb.scan(TableName=table)["Items"]:
        api.post_to_connection(ConnectionId=item["connectionId"]["S"], Data=event["body"].encode())
    return {"statusCode": 200}

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 08.2 · Fix: a broadcast that survives a client gone without `$disconnect`
#
# One client of `nb08-ex-chat` lost its network; its `$disconnect` never ran, and its id stays in the table. From
# then on, messages reach some clients or none. Fix `broadcast_code` in the cell above (run that cell again), then
# replace the code of the function `nb08-ex-broadcast` with it (its role and environment stay as they are). The
# check leaves a real stale id in the table, connects three clients, sends a message, and looks at who received
# it and what the table holds afterwards.

# %% slideshow={"slide_type": "-"}
# YOUR CODE HERE

lab.check("08.2")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 6 · Choosing an API type
#
# API Gateway offers three kinds of API. The course's `docs/api-types.md` compares them in full; the rows that
# decide most often (sources on the next slide):
#
# | | REST API | HTTP API | WebSocket API |
# |---|---|---|---|
# | talks | request → response | request → response | a connection both sides send on; the backend pushes |
# | routing | resources and methods | routes `METHOD /path`, `$default` | route selection expression, `$connect`, `$disconnect`, `$default` |
# | authorization | IAM, Cognito, Lambda authorizers, resource policies | IAM, Lambda, **JWT** authorizers | IAM, Lambda `REQUEST` authorizers, on `$connect` only |
# | API keys, usage plans, per-client throttling | **yes** | — | — |
# | caching, AWS WAF | **yes** | — | — |
# | endpoint types | edge-optimized, Regional, private | Regional | Regional |
# | payload / message size | 10 MB | 10 MB | 128 KB (32 KB frames) |
# | integration timeout | 50 ms – 29 s by default (Regional and private APIs can ask for more) | 30 s | 50 ms – 29 s |
# | price, US East, first tier ⚠️ | $3.50 per million calls | $1.00 per million calls | $1.00 per million messages + $0.25 per million connection minutes |

# %% [markdown] slideshow={"slide_type": "subslide"}
# Sources: features [Choose between REST APIs and HTTP APIs](https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-vs-rest.html)
# and [Control access to WebSocket APIs](https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-control-access.html);
# quotas for [REST](https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-execution-service-limits-table.html),
# [HTTP](https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-quotas.html) and
# [WebSocket](https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-execution-service-websocket-limits-table.html) APIs;
# prices [Amazon API Gateway pricing](https://aws.amazon.com/api-gateway/pricing/).
# ⚠️ The prices were read from summaries of that page's Region table, not from the table itself: **re-check them
# there** before you quote them. WebSocket messages are metered in 32 KB units (a 33 KB message counts as two),
# and accounts created before 15 July 2025 had a 12-month free tier of 1 million calls or messages a month, plus
# 750,000 connection minutes for WebSocket APIs; newer accounts get credits instead ([AWS Free Tier](https://aws.amazon.com/free/)).

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Polling or push: what a live scoreboard costs
#
# A match of 2 hours, 60 score changes, `V` viewers. With an HTTP API every viewer polls every 5 seconds;
# with a WebSocket API each viewer stays connected for 120 minutes and receives 60 messages. Prices as in the table
# (first tier, no free tier):

# %% slideshow={"slide_type": "-"}
import numpy as np

viewers = np.array([100, 1_000, 10_000, 100_000])
polling = viewers * (2 * 3600 / 5) * 1.00 / 1e6                  # HTTP API calls
push = viewers * 60 * 1.00 / 1e6 + viewers * 120 * 0.25 / 1e6   # messages + connection minutes
print(f"100,000 viewers: polling ${polling[-1]:,.2f}, push ${push[-1]:,.2f} per match")

# %% slideshow={"slide_type": "subslide"}
import matplotlib.pyplot as plt

fig, ax = plt.subplots(figsize=(9, 4.5))
ax.loglog(viewers, polling, "o-", label="HTTP API, poll every 5 s")
ax.loglog(viewers, push, "s-", label="WebSocket API, push 60 updates")
ax.set(xlabel="viewers", ylabel="US$ per match", title="One 2-hour match")
ax.legend()
plt.show()

# %% [markdown] slideshow={"slide_type": "fragment"}
# Push costs about a sixteenth of polling here, and viewers see each score at once instead of up to 5 s late. Polling
# wins only when updates are more frequent than polls, or clients connect for a moment and leave.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### A decision guide
#
# ```mermaid
# flowchart TD
#     start{"Must the server send<br/>without being asked?"} -- yes --> ws["WebSocket API"]
#     start -- no --> need{"Need API keys and usage plans,<br/>caching, AWS WAF, private or<br/>edge-optimized endpoints,<br/>mapping templates?"}
#     need -- yes --> rest["REST API"]
#     need -- no --> http["HTTP API<br/>(cheaper, JWT authorizers,<br/>automatic deployments)"]
# ```
#
# AWS's advice for the two request/response types: "Choose REST APIs if you need features such as API keys,
# per-client throttling, request validation, AWS WAF integration, or private API endpoints. Choose HTTP APIs if you
# don't need the features included with REST APIs"
# ([Choose between REST APIs and HTTP APIs](https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-vs-rest.html)).

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 08.3 · Design: an API for partner companies
#
# A bookshop opens its catalogue to partner companies: `GET /books?q=…` searches, `GET /books/{isbn}` returns one
# book. Each partner signs a contract with its own monthly quota (1 million requests for small partners, 10 million
# for large ones) and a rate limit, and identifies itself with a key the shop gives it. The catalogue changes once a
# night. The shop's own web app already uses an HTTP API with a JWT authorizer.

# %% [markdown] slideshow={"slide_type": "subslide"}
# Set `choice` to `"REST"`, `"HTTP"` or `"WEBSOCKET"`, and `reasons` to the labels of the statements below that
# support it (at least two; a statement that does not hold counts against you):
#
# - `keys`: only REST APIs have API keys and usage plans, which give each partner its own quota and rate limit
# - `cache`: a REST stage can cache answers that change once a night
# - `ask_answer`: partners ask and the API answers; nothing has to reach a partner unasked
# - `cheaper`: a REST API costs less per million requests than an HTTP API
# - `jwt_quota`: a JWT authorizer can give each partner its own quota
# - `rest_style`: only a REST API can offer resources such as `/books/{isbn}` in the REST style
# - `push`: a WebSocket API lets the shop push catalogue changes, which partners need

# %% slideshow={"slide_type": "-"}
choice = ...  # YOUR CODE HERE: "REST", "HTTP" or "WEBSOCKET"
reasons = set()  # labels from the list above

lab.check("08.3", choice=choice, reasons=reasons)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - A WebSocket API keeps a connection open: clients send messages, and the backend **pushes** with the
#   `@connections` Management API (`post_to_connection`), which needs `execute-api:ManageConnections`.
# - Messages are routed by the route selection expression (`$request.body.action`) to a route key, else to
#   `$default`; `$connect` runs during the handshake (a non-2xx answer refuses it), `$disconnect` after the close,
#   best effort.
# - The functions stay stateless: connection ids live in DynamoDB; a `GoneException` (410) says an id is stale, and
#   a broadcast must catch it and forget the id.
# - Quotas: 128 KB messages in 32 KB frames, connections of at most 2 hours, closed after 10 minutes idle.
# - REST for API management (keys, usage plans, caching, WAF), HTTP for cheap proxies with JWT, WebSocket for push.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## Questionnaire
#
# 1. What does the route selection expression `$request.body.action` do with the message `{"action": "join"}` when
#    the API has no route `join`? And with a message that is not JSON?
# 2. Why does a WebSocket route's backend need `execute-api:ManageConnections`, and on which resource?
# 3. Which event is the only one that sees the client's headers and query string, and what follows for
#    authorization?
# 4. `post_to_connection` raises `GoneException`. Name two ways the id can have become stale, and what the backend
#    should do.
# 5. A live auction must show each new bid on every bidder's screen within a second. Which API type, and why not an
#    HTTP API that clients poll every second?
# 6. Name two features that make you choose a REST API over an HTTP API, and one reason to prefer the HTTP API.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Clean up
#
# Close the clients that are still open, wait for their `$disconnect`, then remove what this notebook created
# (APIs, functions, tables, roles).

# %% slideshow={"slide_type": "-"}
clients.close()
lab.wait_idle()
lab.cleanup()

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## Next
#
# [09 · Capstone: a serverless bookstore](09_capstone_bookstore.ipynb): everything so far, in one application you
# build yourself.
