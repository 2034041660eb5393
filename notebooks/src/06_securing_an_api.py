# %% [markdown] slideshow={"slide_type": "slide"}
# # 06 · Securing an API
#
# An API on the internet is called by anyone who finds its URL. This notebook puts API Gateway's doors
# in front of one, in the order a request meets them, and knocks on each: IAM, Cognito, Lambda
# authorizers, API keys and usage plans, a resource policy and AWS WAF. It ends with CORS, the reason
# many browser calls "fail" behind a working API.
#
# **Learning objectives**
# - name the layers that decide who may call a REST API, in order, and how each one refuses
# - call an `AWS_IAM` method with a SigV4-signed request, as a user and as a Lambda execution role
# - protect a method with a Cognito user pool authorizer and with Lambda authorizers (TOKEN, REQUEST, their
#   cache); know HTTP APIs' JWT authorizers
# - meter clients with API keys and usage plans; tell 403 Forbidden, 429 Too Many Requests and 429 Limit
#   Exceeded apart
# - block requests with AWS WAF and read its metrics and sampled requests
# - answer CORS preflights on REST and HTTP APIs and fix the two classic CORS mistakes
#
# **Time**: about 110 minutes
#
# **Prerequisites**: [02 · Lambda invocation and permissions](02_lambda_invocation_and_permissions.ipynb),
# [04 · API Gateway architecture](04_api_gateway_architecture.ipynb) (resource policies, stages) and
# [05 · Integrations](05_integrations.ipynb) (Lambda proxy, MOCK).

# %% slideshow={"slide_type": "skip"}
import lab_support as lab
aws = lab.start()
lab.use_course_style()
aws

# %% [markdown] slideshow={"slide_type": "-"}
# Before a notebook creates anything, it says what that costs: on a real account `lab.costs` lists the
# billable resources with their prices; here, on the embedded backend, it prints one line.

# %% slideshow={"slide_type": "-"}
lab.costs("06")

# %% [markdown] slideshow={"slide_type": "notes"}
# **Speaker notes.** Run all cells before presenting (about 30 s). Everything is created with plain boto3, so the
# cells run on a real account too (`LAB_BACKEND=aws`), where a few outputs differ (tokens and keys are new) and a
# few cells skip with one line saying why: those that move the course clock with `clock.advance` (the authorizer
# cache after 61 s, the throttling experiment and its figure; it moves only this kernel's clock, not AWS's) and
# the AWS WAF cells (a web ACL is never free). Check 06.2 says the same. Stored outputs show the real API ids and ports of the run
# that built them (nbval masks them when it compares).

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1 · Who may call an API?
#
# The lecture notes list the choices in one line: "powerful authentication mechanism through AWS IAM Roles and
# Policies, Amazon Cognito User pools and Custom authorizer", and "Integrated with WAF". On a REST API they are
# layers, met in this order; the first one that says no answers the client, and the integration never runs
# ([Control and manage access to REST APIs](https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-control-access-to-api.html),
# [Resource policy and authorizer evaluation](https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-authorization-flow.html)):
#
# ```mermaid
# flowchart LR
#     client([client]) --> waf["1 · AWS WAF web ACL<br/>403 Forbidden"]
#     waf --> rpol["2 · resource policy<br/>403 User: anonymous is not authorized…"]
#     rpol --> authz["3 · authorizer: IAM · Cognito · Lambda<br/>401 Unauthorized · 403"]
#     authz --> keys["4 · API key + usage plan<br/>403 Forbidden · 429 Limit Exceeded"]
#     keys --> thr["5 · throttling: plan · stage · account<br/>429 Too Many Requests"]
#     thr --> integ[("integration")]
# ```

# %% [markdown] slideshow={"slide_type": "subslide"}
# > **📅 Update to the lecture notes.** "Custom authorizer" is now called a **Lambda authorizer**, and it comes in
# > two kinds (TOKEN and REQUEST) on REST APIs. HTTP APIs have no Cognito authorizer type: they have **JWT
# > authorizers**, which accept tokens from Cognito or any OpenID Connect provider, and Lambda authorizers that may
# > answer a simple `{"isAuthorized": true}`. API keys, usage plans, resource policies and WAF are REST-only
# > ([Choose between REST APIs and HTTP APIs](https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-vs-rest.html)).

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### One function behind every door
#
# The function `nb06-echo` answers with what API Gateway tells it about the caller: `requestContext.authorizer`
# (what an authorizer found) and the IAM identity. Like every handler in the course it is written in a
# `%%lambda_handler` cell: the cell keeps the code in a variable (`echo_code`) and `lab.create_function` deploys it.

# %% slideshow={"slide_type": "-"}
# %%lambda_handler echo_code
import json


def handler(event, context):
    ctx = event["requestContext"]
    caller = {"authorizer": ctx.get("authorizer"), "userArn": ctx.get("identity", {}).get("userArn")}
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": json.dumps(caller)}

# %% slideshow={"slide_type": "-"}
import json

import boto3
import requests

from lab_support.core import clock

apig = aws.client("apigateway")
echo = lab.create_function("nb06-echo", echo_code)

# %% [markdown] slideshow={"slide_type": "subslide"}
# `items_method` (plain boto3, as built step by step in notebook 04) puts a `GET /items` (or another path) with a
# given authorization in front of `nb06-echo`. The helpers of `lab.api_builders` keep it
# re-runnable: `rest_api` and `resource` find or create, `clear_method` removes what an earlier run made,
# `allow_api_gateway` is notebook 02's resource-based permission.

# %% slideshow={"slide_type": "-"}


def items_method(api_id, authorization="NONE", path="/items", **method_kwargs):
    """GET `path` of `api_id` with that authorization, a Lambda proxy to nb06-echo, deployed to dev."""
    items = lab.api_builders.resource(api_id, path)
    lab.api_builders.clear_method(api_id, items, "GET")  # a re-run starts this method over
    apig.put_method(restApiId=api_id, resourceId=items, httpMethod="GET", authorizationType=authorization,
                    **method_kwargs)
    apig.put_integration(restApiId=api_id, resourceId=items, httpMethod="GET", type="AWS_PROXY",
                         integrationHttpMethod="POST", uri=lab.api_builders.lambda_uri(echo["FunctionArn"]))
    lab.api_builders.allow_api_gateway("nb06-echo", api_id)
    apig.create_deployment(restApiId=api_id, stageName="dev")
    return aws.stage_url(api_id, "dev", path.lstrip("/"))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2 · IAM authorization (`AWS_IAM`)
#
# With `authorizationType="AWS_IAM"` a caller must sign the request with AWS credentials (Signature Version 4, the
# way every AWS SDK call is signed) and the caller's IAM policies must allow `execute-api:Invoke` on the method's
# ARN, `arn:aws:execute-api:{region}:{account}:{api}/{stage}/{METHOD}/{path}`
# ([Control access with IAM permissions](https://docs.aws.amazon.com/apigateway/latest/developerguide/permissions.html)).
# Right for callers that have AWS credentials anyway: other services, Lambda functions, scripts.
# An unsigned request is refused before anything else with AWS's famously confusing message
# ([Why "Missing Authentication Token"?](https://repost.aws/knowledge-center/api-gateway-authentication-token-errors)):

# %% slideshow={"slide_type": "-"}
iam_api = lab.api_builders.rest_api("nb06-iam", fresh=True, endpointConfiguration={"types": ["REGIONAL"]})
iam_url = items_method(iam_api, "AWS_IAM")
r = lab.send("GET", iam_url)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### A signed request
#
# botocore (under boto3) has the signer: `SigV4Auth` adds the `Authorization`, `X-Amz-Date` (and, for temporary
# credentials, `X-Amz-Security-Token`) headers for the service `execute-api`
# ([Signing AWS API requests](https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv.html)). Here it signs
# with your own credentials, which may do anything in the account:

# %% slideshow={"slide_type": "-"}
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest


def signed_get(url, credentials):
    request = AWSRequest(method="GET", url=url)
    SigV4Auth(credentials, "execute-api", aws.region).add_auth(request)
    return requests.get(url, headers=dict(request.headers), timeout=30)


r = signed_get(iam_url, boto3.Session().get_credentials())
print(r.status_code, "signed headers:", sorted(h for h in r.request.headers if h.lower().startswith(("x-amz", "auth"))))
print("the function sees the caller as", r.json()["userArn"])

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### A Lambda function as the caller
#
# A function signs with the temporary credentials of its **execution role**, which Lambda puts in its
# environment variables. The function `nb06-caller` calls the URL it is given and reports the answer:

# %% slideshow={"slide_type": "-"}
# %%lambda_handler caller_code
import os, urllib.error, urllib.request
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

def handler(event, context):
    keys = Credentials(os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"], os.environ["AWS_SESSION_TOKEN"])
    request = AWSRequest(method="GET", url=event["url"])
    SigV4Auth(keys, "execute-api", os.environ["AWS_REGION"]).add_auth(request)
    try:
        with urllib.request.urlopen(urllib.request.Request(event["url"], headers=dict(request.headers))) as answer:
            return {"status": answer.status, "body": answer.read().decode()}
    except urllib.error.HTTPError as err:
        return {"status": err.code, "body": err.read().decode()}

# %% [markdown] slideshow={"slide_type": "subslide"}
# Its role starts with only the basic logging policy (`execution_role` from `lab.resources`
# creates a role with exactly the policies named):

# %% slideshow={"slide_type": "-"}

caller_role = lab.resources.execution_role("nb06-caller-role", managed=["AWSLambdaBasicExecutionRole"])  # exactly this policy
lab.create_function("nb06-caller", caller_code, role=caller_role)
lam = aws.client("lambda")


def call_from_lambda(url):
    answer = lam.invoke(FunctionName="nb06-caller", Payload=json.dumps({"url": url}))
    return json.loads(answer["Payload"].read())


lab.show(call_from_lambda(iam_url))

# %% [markdown] slideshow={"slide_type": "subslide"}
# A **403** whose body names the assumed role and the exact resource ARN it lacks (note the capital `M` of
# `Message`: this answer comes from IAM, not from the gateway). The fix is an identity policy on the role that
# allows `execute-api:Invoke` on this API:

# %% slideshow={"slide_type": "-"}
invoke_policy = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Action": "execute-api:Invoke",
    "Resource": f"arn:aws:execute-api:{aws.region}:{aws.account_id}:{iam_api}/dev/GET/items"}]}
lab.resources.execution_role("nb06-caller-role", managed=["AWSLambdaBasicExecutionRole"], inline={"invoke-nb06-iam": invoke_policy})
lab.until(lambda: call_from_lambda(iam_url)["status"] == 200, what="the new policy to take effect (IAM)")
answer = call_from_lambda(iam_url)
print(answer["status"], json.loads(answer["body"])["userArn"])

# %% [markdown] slideshow={"slide_type": "fragment"}
# > **🤔 Check yourself.** A single-page app in a browser calls `GET /items`, which uses `AWS_IAM`. The user has
# > signed in to a Cognito *user pool*. Can the app sign the request with what it has?
# >
# > <details><summary>Answer</summary>
# >
# > No: a user pool gives tokens (JWTs), not AWS credentials, and SigV4 needs AWS credentials. The app would need
# > a Cognito <em>identity pool</em> to exchange the token for temporary credentials of a role allowed
# > <code>execute-api:Invoke</code>; or the method uses a Cognito user pool authorizer instead (section 3).
# > </details>

# %% [markdown] slideshow={"slide_type": "notes"}
# **Speaker notes.** Stress that IAM authorization is for callers with AWS credentials. A browser user has none,
# unless a Cognito *identity pool* hands out temporary ones: that is the other "Cognito", not the user pool of the
# next section. Many students mix the two up.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3 · Cognito user pools
#
# A **user pool** is a user directory: people sign up and sign in, and Cognito hands out three JSON Web Tokens
# (JWTs): an **ID token** (who the user is: claims such as `email`, `cognito:username`), an **access token** (what
# the user may do: `scope`) and a refresh token
# ([Understanding user pool JSON web tokens](https://docs.aws.amazon.com/cognito/latest/developerguide/amazon-cognito-user-pools-using-tokens-with-identity-providers.html)).
# A `COGNITO_USER_POOLS` authorizer checks a token's signature, issuer and expiry without calling any code of yours.
#
# ```mermaid
# sequenceDiagram
#     participant U as user (app)
#     participant P as Cognito user pool
#     participant G as API Gateway
#     participant F as nb06-echo
#     U->>P: initiate_auth(USERNAME, PASSWORD)
#     P-->>U: IdToken, AccessToken, RefreshToken
#     U->>G: GET /items, Authorization: IdToken
#     Note over G: signature, issuer, expiry checked
#     G->>F: event.requestContext.authorizer.claims
#     F-->>U: 200
# ```

# %% slideshow={"slide_type": "subslide"}
idp = aws.client("cognito-idp")
pool = next((p for p in idp.list_user_pools(MaxResults=60)["UserPools"] if p["Name"] == "nb06-users"), None)
if pool is None:
    pool = idp.create_user_pool(PoolName="nb06-users", UserPoolTags=aws.tags)["UserPool"]
    pool_id = pool["Id"]
    aws.track(f"user pool {pool_id}", lambda: idp.delete_user_pool(UserPoolId=pool_id), once=True)
pool_id = pool["Id"]
pool_arn = idp.describe_user_pool(UserPoolId=pool_id)["UserPool"]["Arn"]
clients = idp.list_user_pool_clients(UserPoolId=pool_id, MaxResults=60)["UserPoolClients"]
client_id = clients[0]["ClientId"] if clients else idp.create_user_pool_client(
    UserPoolId=pool_id, ClientName="nb06-web", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
)["UserPoolClient"]["ClientId"]
print("pool:", pool["Name"], "| app client:", clients[0]["ClientName"] if clients else "nb06-web (new)")

# %% [markdown] slideshow={"slide_type": "subslide"}
# A user, then a sign-in with the `USER_PASSWORD_AUTH` flow. The middle part of a JWT is base64url-encoded JSON:
# anyone can read the claims (so never put secrets in them); only the signature proves they are genuine.

# %% slideshow={"slide_type": "-"}
import base64

if not any(u["Username"] == "ana" for u in idp.list_users(UserPoolId=pool_id)["Users"]):
    idp.admin_create_user(UserPoolId=pool_id, Username="ana", MessageAction="SUPPRESS")
idp.admin_set_user_password(UserPoolId=pool_id, Username="ana", Password="Correct-Horse-9!", Permanent=True)
tokens = idp.initiate_auth(ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
                           AuthParameters={"USERNAME": "ana", "PASSWORD": "Correct-Horse-9!"})["AuthenticationResult"]
print(sorted(tokens))

# %% slideshow={"slide_type": "fragment"}
def claims(jwt):
    payload = jwt.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


for kind in ("IdToken", "AccessToken"):
    c = claims(tokens[kind])
    print(f"{kind:12}", {k: c[k] for k in ("token_use", "cognito:username", "username", "scope") if k in c})

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The authorizer
#
# `create_authorizer` with `type="COGNITO_USER_POOLS"` names the pool; the method uses it with
# `authorizationType="COGNITO_USER_POOLS"`. The client sends the token itself in the header the
# `identitySource` names ([Control access to REST APIs using Amazon Cognito user pools](https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-integrate-with-cognito.html)).

# %% slideshow={"slide_type": "-"}
cognito_api = lab.api_builders.rest_api("nb06-cognito", fresh=True, endpointConfiguration={"types": ["REGIONAL"]})
pool_authorizer = apig.create_authorizer(restApiId=cognito_api, name="users", type="COGNITO_USER_POOLS",
                                         providerARNs=[pool_arn], identitySource="method.request.header.Authorization")
cognito_url = items_method(cognito_api, "COGNITO_USER_POOLS", authorizerId=pool_authorizer["id"])
r = lab.send("GET", cognito_url)

# %% slideshow={"slide_type": "subslide"}
forged = tokens["IdToken"][:-6] + "forged"  # the last part of a JWT is its signature
r = requests.get(cognito_url, headers={"Authorization": forged}, timeout=30)
print(r.status_code, r.text)

# %% [markdown] slideshow={"slide_type": "fragment"}
# Both **401** `{"message":"Unauthorized"}`: no token, or a token whose signature does not match. With the ID token
# the request goes through, and the function finds the token's claims in `requestContext.authorizer.claims`:

# %% slideshow={"slide_type": "-"}
r = requests.get(cognito_url, headers={"Authorization": tokens["IdToken"]}, timeout=30)
seen = r.json()["authorizer"]["claims"]
print(r.status_code, {k: seen[k] for k in ("cognito:username", "token_use")}, "| aud is our app client:",
      seen["aud"] == client_id)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Scopes need an access token
#
# A method with `authorizationScopes` accepts only an **access token** carrying one of those scopes; an ID token is
# then refused ([Integrate a REST API with a user pool](https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-enable-cognito-user-pool.html)).
# Cognito puts `aws.cognito.signin.user.admin` in every access token from `initiate_auth`; custom scopes such as
# `orders/read` come from a resource server and the OAuth flows.

# %% slideshow={"slide_type": "-"}
cognito_url = items_method(cognito_api, "COGNITO_USER_POOLS", authorizerId=pool_authorizer["id"],
                           authorizationScopes=["aws.cognito.signin.user.admin"])
for kind in ("IdToken", "AccessToken"):
    r = requests.get(cognito_url, headers={"Authorization": tokens[kind]}, timeout=30)
    print(f"{kind:12} -> {r.status_code}", r.text if r.status_code != 200 else "reached nb06-echo")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4 · Lambda authorizers
#
# When the rule is yours (a token from another system, a header, a lookup in a table), a **Lambda authorizer**
# decides. API Gateway calls it with the caller's identity and the `methodArn`; it answers an IAM policy document,
# a `principalId`, and optionally a `context` map that reaches the integration
# ([Use API Gateway Lambda authorizers](https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-use-lambda-authorizer.html),
# [Output from a Lambda authorizer](https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-lambda-authorizer-output.html)).
#
# ```mermaid
# flowchart LR
#     client([client]) -- "Authorization: alice" --> gw["API Gateway"]
#     gw -- "authorizationToken, methodArn" --> authz["nb06-authorizer"]
#     authz -- "principalId, policyDocument, context" --> gw
#     gw -- "Allow: requestContext.authorizer" --> fn[("nb06-echo")]
#     gw -- "Deny: 403" --> client
# ```

# %% [markdown] slideshow={"slide_type": "subslide"}
# The authorizer below knows three tokens: `alice` is allowed (and her plan, `gold`, is passed on), `mallory` gets
# an explicit **Deny**, any other token a policy with no statement (an implicit deny); a missing token is refused
# by API Gateway before the function runs. It counts its own invocations in a module variable (kept while its
# execution environment stays warm) and passes the count on, so we can see when it runs.

# %% slideshow={"slide_type": "-"}
# %%lambda_handler authorizer_code
CALLS = 0


def handler(event, context):
    global CALLS
    CALLS += 1
    token = event.get("authorizationToken") or event.get("headers", {}).get("X-Team", "")
    effect = {"alice": "Allow", "blue": "Allow", "mallory": "Deny"}.get(token)
    statements = [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": event["methodArn"]}] if effect else []
    return {"principalId": token, "policyDocument": {"Version": "2012-10-17", "Statement": statements},
            "context": {"plan": "gold", "calls": CALLS}}

# %% slideshow={"slide_type": "-"}
authorizer_fn = lab.create_function("nb06-authorizer", authorizer_code)

# %% slideshow={"slide_type": "subslide"}
lambda_api = lab.api_builders.rest_api("nb06-lambda-authz", fresh=True, endpointConfiguration={"types": ["REGIONAL"]})
lab.api_builders.allow_api_gateway("nb06-authorizer", lambda_api)  # API Gateway invokes the authorizer too: it needs permission
token_authorizer = apig.create_authorizer(
    restApiId=lambda_api, name="token", type="TOKEN", authorizerUri=lab.api_builders.lambda_uri(authorizer_fn["FunctionArn"]),
    identitySource="method.request.header.Authorization", authorizerResultTtlInSeconds=0)  # no caching, for now
token_url = items_method(lambda_api, "CUSTOM", authorizerId=token_authorizer["id"])
for token in ("alice", "mallory", "eve", None):
    r = requests.get(token_url, headers={"Authorization": token} if token else {}, timeout=30)
    print(f"{token!s:8} -> {r.status_code}", r.text if r.status_code != 200 else "reached nb06-echo")

# %% [markdown] slideshow={"slide_type": "subslide"}
# Four answers, four meanings
# ([troubleshoot 403 errors with a Lambda authorizer](https://repost.aws/knowledge-center/api-gateway-lambda-authorizer-errors)):
# `alice` reached the function; `mallory`'s **explicit deny** and `eve`'s **implicit deny** (no statement
# allows) are both 403, with different messages; no token at all is **401** `Unauthorized`, and the function did
# not run. An authorizer that crashes or answers something that is not a policy gives **500**
# `{"message": null}` (`AuthorizerConfigurationException`). What `alice`'s request carried to the function:

# %% slideshow={"slide_type": "-"}
seen = requests.get(token_url, headers={"Authorization": "alice"}, timeout=30).json()["authorizer"]
print({k: seen[k] for k in ("principalId", "plan")}, "| context values are strings, numbers or booleans")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The result cache
#
# Calling a function for every request costs time and money, so API Gateway caches an authorizer's policy per
# token for `authorizerResultTtlInSeconds` (default 300, at most 3600; 0 turns caching off). The `calls` the
# function passes on shows whether it ran. Waiting a minute in class is no fun, so `clock.advance(seconds)`
# moves the course clock forward (caches expire, buckets refill); on a real account you would wait (the cells
# that advance it skip there).

# %% slideshow={"slide_type": "-"}
apig.update_authorizer(restApiId=lambda_api, authorizerId=token_authorizer["id"], patchOperations=[
    {"op": "replace", "path": "/authorizerResultTtlInSeconds", "value": "60"}])
apig.create_deployment(restApiId=lambda_api, stageName="dev")


def calls_seen(token="alice"):
    return requests.get(token_url, headers={"Authorization": token}, timeout=30).json()["authorizer"]["calls"]


first = calls_seen()
print("three requests:", [calls_seen() - first for _ in range(3)], "new invocations (0: served from the cache)")

# %% slideshow={"slide_type": "fragment"}
lab.skip_on_aws("on AWS the cache lasts 60 real seconds: clock.advance moves only this kernel's course clock")
clock.advance(61)
print("61 s later:", calls_seen() - first, "new invocation")

# %% [markdown] slideshow={"slide_type": "subslide"}
# > **🤔 Check yourself.** Our authorizer allows exactly `event["methodArn"]`, and its result is now cached for
# > 60 s. `alice` calls `GET /items`, then, ten seconds later, `GET /orders` of the same API (same authorizer).
# > What does the second request get?
# >
# > <details><summary>Answer</summary>
# >
# > 403 (an implicit deny), without the authorizer running: the cache holds the policy of the first request, and
# > that policy names only <code>…/dev/GET/items</code>. The fix is a policy with a wildcard resource
# > (<code>…/dev/*</code>) or no caching
# > (<a href="https://repost.aws/knowledge-center/api-gateway-lambda-authorizer-errors">knowledge center</a>).
# > </details>

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### REQUEST authorizers
#
# A TOKEN authorizer sees one header. A **REQUEST** authorizer gets headers, query string, path and stage
# variables, and `identitySource` lists those that make up the identity (and the cache key); a request missing one
# of them is refused with 401 without invoking the function, when caching is on (with caching off they are
# optional: [CreateAuthorizer, `identitySource`](https://docs.aws.amazon.com/apigateway/latest/api/API_CreateAuthorizer.html);
# [Lambda authorizer input](https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-lambda-authorizer-input.html)).
# The same function reads header `X-Team` when there is no token:

# %% slideshow={"slide_type": "subslide"}
request_authorizer = apig.create_authorizer(
    restApiId=lambda_api, name="team", type="REQUEST", authorizerUri=lab.api_builders.lambda_uri(authorizer_fn["FunctionArn"]),
    identitySource="method.request.header.X-Team", authorizerResultTtlInSeconds=30)
teams = lab.api_builders.resource(lambda_api, "/teams")
lab.api_builders.clear_method(lambda_api, teams, "GET")
apig.put_method(restApiId=lambda_api, resourceId=teams, httpMethod="GET", authorizationType="CUSTOM",
                authorizerId=request_authorizer["id"])
apig.put_integration(restApiId=lambda_api, resourceId=teams, httpMethod="GET", type="AWS_PROXY",
                     integrationHttpMethod="POST", uri=lab.api_builders.lambda_uri(echo["FunctionArn"]))
apig.create_deployment(restApiId=lambda_api, stageName="dev")
for team in ("blue", "red", None):
    r = requests.get(aws.stage_url(lambda_api, "dev", "teams"), headers={"X-Team": team} if team else {}, timeout=30)
    print(f"X-Team {team!s:5} -> {r.status_code}", r.text if r.status_code != 200 else "reached nb06-echo")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### HTTP APIs: JWT authorizers
#
# An HTTP API checks a JWT itself, from any OpenID Connect issuer: a **JWT authorizer** names the issuer and the
# audiences (`aud`, or `client_id` in an access token). The header may say `Bearer <token>`
# ([Control access to HTTP APIs with JWT authorizers](https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-jwt-authorizer.html)).
# A refusal is 401 with a `www-authenticate` header that says why.

# %% slideshow={"slide_type": "-"}

v2 = aws.client("apigatewayv2")
jwt_api = lab.api_builders.http_api("nb06-jwt", fresh=True)
jwt_authorizer = v2.create_authorizer(
    ApiId=jwt_api, Name="users", AuthorizerType="JWT", IdentitySource=["$request.header.Authorization"],
    JwtConfiguration={"Issuer": f"https://cognito-idp.{aws.region}.amazonaws.com/{pool_id}", "Audience": [client_id]})
lab.api_builders.allow_api_gateway("nb06-echo", jwt_api)
target = v2.create_integration(ApiId=jwt_api, IntegrationType="AWS_PROXY", IntegrationUri=echo["FunctionArn"],
                               PayloadFormatVersion="2.0")["IntegrationId"]
v2.create_route(ApiId=jwt_api, RouteKey="GET /items", Target=f"integrations/{target}", AuthorizationType="JWT",
                AuthorizerId=jwt_authorizer["AuthorizerId"])
stage = v2.create_stage(ApiId=jwt_api, StageName="$default", AutoDeploy=True)

# %% slideshow={"slide_type": "subslide"}
jwt_url = aws.stage_url(jwt_api, "$default", "items", http_api=True)
for token in (tokens["AccessToken"], "not-a-jwt"):
    r = requests.get(jwt_url, headers={"Authorization": f"Bearer {token}"}, timeout=30)
    seen = r.json()["authorizer"]["jwt"]["claims"]["username"] if r.ok else r.text
    print(r.status_code, seen, "|", r.headers.get("www-authenticate", ""))

# %% [markdown] slideshow={"slide_type": "subslide"}
# Which door exists on which API type
# ([Choose between REST APIs and HTTP APIs](https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-vs-rest.html)):
#
# | feature | REST API | HTTP API |
# |---|---|---|
# | IAM authorization | ✓ | ✓ |
# | Cognito user pools | ✓ (`COGNITO_USER_POOLS`) | ✓ through a JWT authorizer |
# | JWT authorizer (any OIDC issuer) | – | ✓ |
# | Lambda authorizer | ✓ TOKEN, REQUEST | ✓ REQUEST, payload 1.0 or 2.0, simple responses |
# | API keys, usage plans (per-client throttling, quotas) | ✓ | – |
# | resource policies | ✓ | – |
# | AWS WAF | ✓ | – |
# | CORS | you build OPTIONS and headers | `CorsConfiguration`: the gateway answers |

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Before the exercise
#
# The cell below prepares the REST API `nb06-ex-docs`: `GET /docs` and `DELETE /docs` are both behind the TOKEN
# authorizer `reader-admin` (header `Authorization`, no caching), which calls the function `nb06-ex-authorizer`.
# For now that function refuses everyone:

# %% slideshow={"slide_type": "-"}
from lab_support.exercises.nb06 import prepare_06_1

docs_api = prepare_06_1()
r = lab.send("GET", aws.stage_url(docs_api, "dev", "docs"), headers={"Authorization": "reader"})

# %% [markdown] slideshow={"slide_type": "subslide"}
# The function as it is deployed now. Edit this cell into your authorizer, run it, then run the exercise's cell:

# %% slideshow={"slide_type": "-"}
# %%lambda_handler docs_authorizer_code
def handler(event, context):
    # Write the policy here. For now every token is refused (401).
    raise Exception("Unauthorized")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 06.1 · Write: an authorizer for readers and admins
#
# Write the authorizer in the cell above: token `reader` may only `GET /docs`, token `admin` may do everything,
# any other token is refused. The check sends real requests through the stage `dev`: `GET` and `DELETE` as
# `reader`, as `admin`, as a stranger and without a token.

# %% slideshow={"slide_type": "-"}
# YOUR CODE HERE: edit docs_authorizer_code above and run it; this deploys it
lab.create_function("nb06-ex-authorizer", docs_authorizer_code)

lab.check("06.1")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5 · API keys and usage plans
#
# An **API key** identifies a client (it is not a password: it travels in the `x-api-key` header and is not meant
# to authorize anyone). A **usage plan** gives the keys in it a **throttle** (`rateLimit` requests per second,
# refilling a bucket of `burstLimit`) and a **quota** (requests per day, week or month), on chosen API stages
# ([Usage plans and API keys](https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-api-usage-plans.html)).
# A method opts in with `apiKeyRequired=True`.
#
# ```mermaid
# flowchart LR
#     client([client]) -- "x-api-key: …" --> items["GET /items<br/>apiKeyRequired"]
#     items --> plan{"usage plan nb06-bronze<br/>key in plan? bucket? quota?"}
#     plan -- "no key / unknown key: 403" --> client
#     plan -- "bucket empty: 429 Too Many Requests" --> client
#     plan -- "quota used up: 429 Limit Exceeded" --> client
#     plan -- "ok" --> mock[("MOCK 200")]
# ```

# %% slideshow={"slide_type": "subslide"}
plans_api = lab.api_builders.rest_api("nb06-plans", endpointConfiguration={"types": ["REGIONAL"]})
plans_items = lab.api_builders.resource(plans_api, "/items")
lab.api_builders.clear_method(plans_api, plans_items, "GET")
apig.put_method(restApiId=plans_api, resourceId=plans_items, httpMethod="GET", authorizationType="NONE",
                apiKeyRequired=True)
apig.put_integration(restApiId=plans_api, resourceId=plans_items, httpMethod="GET", type="MOCK",
                     requestTemplates={"application/json": '{"statusCode": 200}'})
apig.put_method_response(restApiId=plans_api, resourceId=plans_items, httpMethod="GET", statusCode="200")
apig.put_integration_response(restApiId=plans_api, resourceId=plans_items, httpMethod="GET", statusCode="200",
                              responseTemplates={"application/json": '{"ok": true}'})
apig.create_deployment(restApiId=plans_api, stageName="dev")
plans_url = aws.stage_url(plans_api, "dev", "items")
r = lab.send("GET", plans_url)

# %% [markdown] slideshow={"slide_type": "fragment"}
# No key: **403** `{"message":"Forbidden"}`, as for an unknown key, a disabled one, or a key that is in no plan of
# this stage ([How do I troubleshoot 403 errors?](https://repost.aws/knowledge-center/api-gateway-troubleshoot-403-forbidden)).
# A key and a plan, found or created by name (a key's value is generated unless you give one):

# %% slideshow={"slide_type": "subslide"}
def key_in_plan(name, **plan_settings):
    """The value of API key `name`, in usage plan `name` on nb06-plans/dev; created (tagged, tracked) if missing."""
    key = next(iter(apig.get_api_keys(nameQuery=name, includeValues=True)["items"]), None)
    if key is None:
        key = apig.create_api_key(name=name, enabled=True, tags=aws.tags)
        aws.track(f"API key {name}", lambda key_id=key["id"]: apig.delete_api_key(apiKey=key_id), once=True)
    if not any(p["name"] == name for p in apig.get_usage_plans()["items"]):
        plan = apig.create_usage_plan(name=name, apiStages=[{"apiId": plans_api, "stage": "dev"}], tags=aws.tags,
                                      **plan_settings)
        apig.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
        aws.track(f"usage plan {name}", lambda plan_id=plan["id"]: apig.delete_usage_plan(usagePlanId=plan_id),
                  once=True)
    return key["value"]

# %% slideshow={"slide_type": "-"}

bronze_key = key_in_plan("nb06-bronze", throttle={"rateLimit": 2.0, "burstLimit": 4})
r = lab.throttling.get_with_key(plans_url, bronze_key)  # on AWS a new key can take a few seconds to be accepted: 403 until then
print(r.status_code, r.text)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Throttling: rate and burst
#
# The bronze plan allows 2 requests per second with a burst of 4: a **token bucket** of 4 tokens, refilled at 2 per
# second; each request takes a token, and a request that finds the bucket empty is refused with **429**
# `{"message":"Too Many Requests"}` ([Throttle requests to your REST APIs](https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-request-throttling.html)).
# A client tries 6 requests a second for 4 seconds, 1 a second for 2 seconds, then 6 a second again:

# %% slideshow={"slide_type": "-"}
lab.skip_on_aws("the experiment paces its requests with clock.advance, which moves only this kernel's clock")
clock.advance(10)  # start from a full bucket (a re-run, too)
samples = []  # (second, status) of every request
for second, n in enumerate([6, 6, 6, 6, 1, 1, 6, 6, 6, 6]):  # requests offered in each second
    for i in range(n):
        r = requests.get(plans_url, headers={"x-api-key": bronze_key}, timeout=30)
        samples.append((second + i / n, r.status_code))
        clock.advance(1 / n)
rows = lab.throttling.offered_vs_served(samples)  # [(second, offered, served), ...]
print(len(samples), "offered; about 5 served in the first second (the burst of 4, plus 1 refilled), then about 2 "
      "a second, and a new burst after the quiet seconds:", abs(rows[0][2] - 5) <= 1 and rows[6][2] > 2
      and all(abs(rows[s][2] - 2) <= 1 for s in (2, 3, 8, 9)))
again = [requests.get(plans_url, headers={"x-api-key": bronze_key}, timeout=30) for _ in range(5)]
print("429 body:", next(r.text for r in again if r.status_code == 429))

# %% [markdown] slideshow={"slide_type": "subslide"}
# `lab.throttling.plot_offered_vs_served` counts, per second, the requests offered and those served
# (status below 400). While the client is quiet the bucket refills, so it can burst again:

# %% slideshow={"slide_type": "-"}
import matplotlib.pyplot as plt

lab.skip_on_aws("it plots the experiment of the cell above")
ax = lab.throttling.plot_offered_vs_served(samples, title="Usage plan nb06-bronze: rate 2/s, burst 4")
ax.axhline(2, linestyle=":", color="grey")
ax.set_ylim(0, 7)
plt.show()

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### A quota
#
# A trial plan: 3 requests a day. The fourth is refused with **429** `{"message":"Limit Exceeded"}` until the
# period ends ([How do I troubleshoot 429 errors?](https://repost.aws/knowledge-center/api-gateway-429-limit)).
# `get_usage` reports, per key and day, `[used, remaining]`
# ([GetUsage](https://docs.aws.amazon.com/apigateway/latest/api/API_GetUsage.html)).
# (Run the cell again and all four are 429 until the day ends; on this machine `clock.advance(86_400)` starts a
# new day at once.)

# %% slideshow={"slide_type": "-"}
import datetime as dt

trial_key = key_in_plan("nb06-trial", quota={"limit": 3, "period": "DAY"})
for _ in range(4):
    r = lab.throttling.get_with_key(plans_url, trial_key)
    print(r.status_code, r.text)
today = dt.datetime.fromtimestamp(clock.now(), tz=dt.UTC).date().isoformat()
trial = next(p for p in apig.get_usage_plans()["items"] if p["name"] == "nb06-trial")
usage = apig.get_usage(usagePlanId=trial["id"], startDate=today, endDate=today)
print("[used, remaining] today:", list(usage["items"].values()))

# %% [markdown] slideshow={"slide_type": "subslide"}
# Above every plan there are limits you do not set: by default an account may send **10,000 requests per second**
# per Region across all its APIs, with a burst of **5,000**, and a method's stage throttling applies before them
# ([Amazon API Gateway quotas](https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html),
# [Throttle requests to your REST APIs](https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-request-throttling.html)).
# Usage plan throttles and quotas are targets applied best effort: AWS warns not to rely on them for cost control or
# as a defence.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Before the exercise
#
# The cell below prepares `nb06-ex-plan`: `GET /items` needs a key, and the key `nb06-ex-key` is in the usage plan
# `nb06-ex-burst2` with **rateLimit 1** (request per second) and **burstLimit 2**. The check starts from a full
# bucket and sends, in this order:
#
# 1. one request **without** the key;
# 2. three requests with the key, back to back;
# 3. one second later, two requests with the key, back to back;
# 4. ten seconds later, three requests with the key, back to back.

# %% slideshow={"slide_type": "-"}
from lab_support.exercises.nb06 import prepare_06_2

plan_api = prepare_06_2()
print("prepared:", aws.stage_url(plan_api, "dev", "items"))

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 06.2 · Predict: 403 or 429?
#
# Before you run anything, write down the 9 status codes you expect, in order (each 200, 403 or 429), as a list
# in `prediction`. Then run the cell: the check sends the requests, compares them with your prediction and
# explains each difference.

# %% slideshow={"slide_type": "-"}
prediction = ...  # YOUR CODE HERE: a list of 9 status codes

lab.check("06.2", prediction=prediction)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 6 · Resource policies and AWS WAF
#
# Notebook 04 put a **resource policy** on a private API. It works on any REST API and is checked before the
# authorizer: here a policy that lets everyone call the API except `GET /admin`
# ([resource policy examples](https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-resource-policies-examples.html)):

# %% slideshow={"slide_type": "-"}
waf_api = lab.api_builders.rest_api("nb06-waf", endpointConfiguration={"types": ["REGIONAL"]})
waf_url = items_method(waf_api)
items_method(waf_api, path="/admin")
arn = f"arn:aws:execute-api:{aws.region}:{aws.account_id}:{waf_api}"
policy = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke", "Resource": f"{arn}/*"},
    {"Effect": "Deny", "Principal": "*", "Action": "execute-api:Invoke", "Resource": f"{arn}/*/GET/admin"}]}
apig.update_rest_api(restApiId=waf_api, patchOperations=[{"op": "replace", "path": "/policy", "value": json.dumps(policy)}])
apig.create_deployment(restApiId=waf_api, stageName="dev")  # a policy takes effect with the next deployment
r = lab.send("GET", aws.stage_url(waf_api, "dev", "admin"))

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### AWS WAF
#
# A **web ACL** is a list of rules, each with a priority (lowest first) and an action (`Block`, `Allow`, `Count`),
# and a default action for requests no rule decides. Associated with a REST API stage it runs before everything
# else, and a blocked request gets **403** `{"message":"Forbidden"}`
# ([Use AWS WAF to protect your REST APIs](https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-control-access-aws-waf.html),
# [AWS WAF rule statements](https://docs.aws.amazon.com/waf/latest/developerguide/waf-rule-statements-list.html)).
#
# ```mermaid
# flowchart LR
#     client([client]) --> acl{"web ACL nb06-acl"}
#     acl -- "0 · IP in nb06-blocked-ips" --> blocked["403 Forbidden"]
#     acl -- "1 · User-Agent starts with badbot" --> blocked
#     acl -- "2 · more than 10 requests / 60 s from one IP" --> blocked
#     acl -- "default: Allow" --> stage["stage nb06-waf/dev"]
# ```

# %% [markdown] slideshow={"slide_type": "subslide"}
# A web ACL is never free: on a real account `lab.cost_notice` says what it would cost, and the WAF cells below
# skip, each with one line. The IP set and the rules, found or created by name:

# %% slideshow={"slide_type": "-"}
lab.cost_notice(["waf"], title="What the web ACL below would cost")

# %% slideshow={"slide_type": "-"}
lab.skip_on_aws("a WAF web ACL is never free (the cost notice above)")
wafv2 = aws.client("wafv2")
ip_set = next((s for s in wafv2.list_ip_sets(Scope="REGIONAL")["IPSets"] if s["Name"] == "nb06-blocked-ips"), None)
if ip_set is None:  # 192.0.2.0/24 is a documentation range (RFC 5737): nobody here comes from it
    ip_set = wafv2.create_ip_set(Name="nb06-blocked-ips", Scope="REGIONAL", IPAddressVersion="IPV4",
                                 Addresses=["192.0.2.0/24"], Tags=aws.tag_list)["Summary"]
    aws.track("IP set nb06-blocked-ips", lambda s=ip_set: wafv2.delete_ip_set(
        Name=s["Name"], Scope="REGIONAL", Id=s["Id"], LockToken=wafv2.get_ip_set(
            Name=s["Name"], Scope="REGIONAL", Id=s["Id"])["LockToken"]), once=True)
visible = {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True}


def rule(name, priority, statement):
    return {"Name": name, "Priority": priority, "Statement": statement, "Action": {"Block": {}},
            "VisibilityConfig": {**visible, "MetricName": name}}

# %% slideshow={"slide_type": "subslide"}
lab.skip_on_aws("a WAF web ACL is never free (the cost notice above)")
rules = [
    rule("blocked-ips", 0, {"IPSetReferenceStatement": {"ARN": ip_set["ARN"]}}),
    rule("bad-agents", 1, {"ByteMatchStatement": {
        "SearchString": b"badbot", "FieldToMatch": {"SingleHeader": {"Name": "user-agent"}},
        "TextTransformations": [{"Priority": 0, "Type": "LOWERCASE"}], "PositionalConstraint": "STARTS_WITH"}}),
    rule("too-fast", 2, {"RateBasedStatement": {"Limit": 10, "EvaluationWindowSec": 60, "AggregateKeyType": "IP"}}),
]
acl = next((a for a in wafv2.list_web_acls(Scope="REGIONAL")["WebACLs"] if a["Name"] == "nb06-acl"), None)
if acl is None:
    acl = wafv2.create_web_acl(Name="nb06-acl", Scope="REGIONAL", DefaultAction={"Allow": {}}, Rules=rules,
                               VisibilityConfig={**visible, "MetricName": "nb06-acl"}, Tags=aws.tag_list)["Summary"]
    aws.track("web ACL nb06-acl", lambda a=acl: wafv2.delete_web_acl(Name=a["Name"], Scope="REGIONAL", Id=a["Id"],
              LockToken=wafv2.get_web_acl(Name=a["Name"], Scope="REGIONAL", Id=a["Id"])["LockToken"]), once=True)

# %% slideshow={"slide_type": "fragment"}
lab.skip_on_aws("a WAF web ACL is never free (the cost notice above)")
stage_arn = f"arn:aws:apigateway:{aws.region}::/restapis/{waf_api}/stages/dev"
wafv2.associate_web_acl(WebACLArn=acl["ARN"], ResourceArn=stage_arn)
aws.track("web ACL association", lambda: wafv2.disassociate_web_acl(ResourceArn=stage_arn), once=True)
print("rules:", [(r["Priority"], r["Name"]) for r in wafv2.get_web_acl_for_resource(ResourceArn=stage_arn)["WebACL"]["Rules"]])

# %% [markdown] slideshow={"slide_type": "subslide"}
# A browser-like client, then a bot (rule 1), then 12 quick requests from the same address (rule 2). The rule
# counts every request from the IP that reached it within the window, the browser's too (the bot's was blocked
# before, by rule 1): so the 10th of the 12 is the 11th counted, and blocked. The rate-based rule counts requests per IP over the evaluation window
# ([Rate-based rule statement](https://docs.aws.amazon.com/waf/latest/developerguide/waf-rule-statement-type-rate-based.html)).

# %% slideshow={"slide_type": "-"}
lab.skip_on_aws("a WAF web ACL is never free (the cost notice above)")
clock.advance(120)  # a fresh rate window (a re-run, too)
for agent in ("Mozilla/5.0", "BadBot/2.1"):
    r = requests.get(waf_url, headers={"User-Agent": agent}, timeout=30)
    print(f"{agent:12} -> {r.status_code} {r.text[:60]}")
statuses = [requests.get(waf_url, timeout=30).status_code for _ in range(12)]
print("12 quick requests:", statuses)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### What WAF saw: metrics and sampled requests
#
# Every rule with `CloudWatchMetricsEnabled` counts in the namespace `AWS/WAFV2` (`AllowedRequests`,
# `BlockedRequests`, `CountedRequests`; dimensions `Region`, `Rule`, `WebACL`; `Rule="ALL"` is the whole ACL)
# ([Monitoring with Amazon CloudWatch](https://docs.aws.amazon.com/waf/latest/developerguide/monitoring-cloudwatch.html)),
# and `get_sampled_requests` returns up to 500 of the requests a rule matched in a time window (a sample: the
# course's random source is seeded so the stored output stays the same).

# %% slideshow={"slide_type": "-"}
lab.skip_on_aws("a WAF web ACL is never free (the cost notice above)")
cw = aws.client("cloudwatch")
now = dt.datetime.fromtimestamp(clock.now(), tz=dt.UTC)
window = {"StartTime": now - dt.timedelta(minutes=3), "EndTime": now + dt.timedelta(minutes=1)}
for metric, rule_name in (("AllowedRequests", "ALL"), ("BlockedRequests", "bad-agents"), ("BlockedRequests", "too-fast")):
    points = cw.get_metric_statistics(
        Namespace="AWS/WAFV2", MetricName=metric, Statistics=["Sum"], Period=60, **window,
        Dimensions=[{"Name": "Region", "Value": aws.region}, {"Name": "Rule", "Value": rule_name},
                    {"Name": "WebACL", "Value": "nb06-acl"}])["Datapoints"]
    print(f"{metric:16} {rule_name:10} {sum(p['Sum'] for p in points):g}")

# %% slideshow={"slide_type": "subslide"}
lab.skip_on_aws("a WAF web ACL is never free (the cost notice above)")
clock.seed(0)
sampled = wafv2.get_sampled_requests(WebAclArn=acl["ARN"], RuleMetricName="bad-agents", Scope="REGIONAL",
                                     TimeWindow=window, MaxItems=10)
print("population:", sampled["PopulationSize"])
for s in sampled["SampledRequests"]:
    agent = next(h["Value"] for h in s["Request"]["Headers"] if h["Name"].lower() == "user-agent")
    print(s["Action"], s["Request"]["Method"], s["Request"]["URI"], agent)

# %% [markdown] slideshow={"slide_type": "fragment"}
# > **🤔 Check yourself.** A request to `GET /admin` of `nb06-waf` comes from the bot (`User-Agent: BadBot/2.1`).
# > Which status code and message does it get, and which layer sends it?
# >
# > <details><summary>Answer</summary>
# >
# > 403 <code>{"message":"Forbidden"}</code> from WAF: the web ACL runs before the resource policy, so the policy's
# > explicit deny (with its longer message) is never reached: "AWS WAF rules are evaluated before other access
# > control features" (<a href="https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-control-access-aws-waf.html">Use
# > AWS WAF to protect your REST APIs</a>).
# > </details>

# %% [markdown] slideshow={"slide_type": "notes"}
# **Speaker notes.** WAF is billed per web ACL, per rule and per million requests
# ([AWS WAF pricing](https://aws.amazon.com/waf/pricing/)); it protects REST APIs (and CloudFront, ALB, AppSync…),
# not HTTP APIs: put CloudFront with WAF in front of an HTTP API instead. The rate-based rule is what many teams
# want from "throttling per client" without API keys.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 7 · CORS: why the browser refuses a working API
#
# A page at `https://shop.example.com` that calls an API at another origin with `fetch` is subject to the
# browser's same-origin policy. For a "non-simple" request (a JSON body, an `Authorization` header, a method
# other than GET/HEAD/POST) the browser first sends a **preflight**: `OPTIONS` with `Origin` and
# `Access-Control-Request-*` headers. Only if the answer allows it does it send the real request, and it lets the
# page read the response only if that carries `Access-Control-Allow-Origin`
# ([Enable CORS for a REST API resource](https://docs.aws.amazon.com/apigateway/latest/developerguide/how-to-cors.html),
# [MDN: CORS](https://developer.mozilla.org/en-US/docs/Web/HTTP/CORS)).
#
# ```mermaid
# sequenceDiagram
#     participant B as browser (shop.example.com)
#     participant G as API Gateway
#     participant F as Lambda (proxy)
#     B->>G: OPTIONS /orders, Origin, Access-Control-Request-Method: POST
#     G-->>B: 200, Access-Control-Allow-Origin/-Methods/-Headers (MOCK)
#     B->>G: POST /orders, Origin, JSON body
#     G->>F: event
#     F-->>G: statusCode, headers incl. Access-Control-Allow-Origin, body
#     G-->>B: the function's answer (the page may read it only with that header)
# ```

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### REST: an OPTIONS method with a MOCK integration
#
# What the console's "Enable CORS" builds: an `OPTIONS` method without authorization, a MOCK integration, and
# the three headers as static values (in single quotes) of the integration response. The POST itself goes to a
# Lambda proxy function that sets `Access-Control-Allow-Origin` in its answer.

# %% slideshow={"slide_type": "-"}
# %%lambda_handler orders_code
import json


def handler(event, context):
    headers = {"Content-Type": "application/json", "Access-Control-Allow-Origin": "https://shop.example.com"}
    return {"statusCode": 200, "headers": headers, "body": json.dumps({"received": event["body"]})}

# %% slideshow={"slide_type": "-"}
SHOP = "https://shop.example.com"
orders_fn = lab.create_function("nb06-orders", orders_code)
cors_api = lab.api_builders.rest_api("nb06-cors", fresh=True, endpointConfiguration={"types": ["REGIONAL"]})
lab.api_builders.allow_api_gateway("nb06-orders", cors_api)
orders = lab.api_builders.resource(cors_api, "/orders")
apig.put_method(restApiId=cors_api, resourceId=orders, httpMethod="POST", authorizationType="NONE")
integration = apig.put_integration(restApiId=cors_api, resourceId=orders, httpMethod="POST", type="AWS_PROXY",
                                   integrationHttpMethod="POST", uri=lab.api_builders.lambda_uri(orders_fn["FunctionArn"]))

# %% [markdown] slideshow={"slide_type": "subslide"}
# The OPTIONS method, as a function because section's mistake 1 builds it again differently:

# %% slideshow={"slide_type": "-"}
def options_method(api_id, resource_id, **method_kwargs):
    """OPTIONS answered by a MOCK integration with the three CORS headers for SHOP."""
    lab.api_builders.clear_method(api_id, resource_id, "OPTIONS")  # a re-run starts this method over
    apig.put_method(restApiId=api_id, resourceId=resource_id, httpMethod="OPTIONS", **method_kwargs)
    apig.put_integration(restApiId=api_id, resourceId=resource_id, httpMethod="OPTIONS", type="MOCK",
                         requestTemplates={"application/json": '{"statusCode": 200}'})
    cors = {"Origin": f"'{SHOP}'", "Methods": "'POST,OPTIONS'", "Headers": "'content-type,authorization'"}
    headers = {f"method.response.header.Access-Control-Allow-{h}": v for h, v in cors.items()}
    apig.put_method_response(restApiId=api_id, resourceId=resource_id, httpMethod="OPTIONS", statusCode="200",
                             responseParameters={name: True for name in headers})
    apig.put_integration_response(restApiId=api_id, resourceId=resource_id, httpMethod="OPTIONS",
                                  statusCode="200", responseParameters=headers)
    apig.create_deployment(restApiId=api_id, stageName="dev")

# %% slideshow={"slide_type": "subslide"}
options_method(cors_api, orders, authorizationType="NONE")
orders_url = aws.stage_url(cors_api, "dev", "orders")
PREFLIGHT = {"Origin": SHOP, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}


def show_cors(r):
    allowed = {k: v for k, v in r.headers.items() if k.lower().startswith("access-control-")}
    print(r.request.method, "->", r.status_code, allowed or "no Access-Control-* header: the browser refuses")


show_cors(requests.options(orders_url, headers=PREFLIGHT, timeout=30))
show_cors(requests.post(orders_url, json={"item": "tea"}, headers={"Origin": SHOP}, timeout=30))

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Classic mistake 1: an authorizer on the preflight
#
# A browser never sends `Authorization` (or `x-api-key`) with a preflight. Protect `OPTIONS` with the same
# authorizer as the other methods and every preflight gets **401** without CORS headers: the browser reports a
# CORS error, not a 401 ([knowledge center: CORS errors](https://repost.aws/knowledge-center/api-gateway-cors-errors)).
# Here with the TOKEN authorizer of section 4 (on this API, so it needs its own invoke permission):

# %% slideshow={"slide_type": "-"}
lab.api_builders.allow_api_gateway("nb06-authorizer", cors_api)
cors_token = apig.create_authorizer(restApiId=cors_api, name="token", type="TOKEN",
                                    authorizerUri=lab.api_builders.lambda_uri(authorizer_fn["FunctionArn"]),
                                    identitySource="method.request.header.Authorization")
options_method(cors_api, orders, authorizationType="CUSTOM", authorizerId=cors_token["id"])
show_cors(requests.options(orders_url, headers=PREFLIGHT, timeout=30))

# %% [markdown] slideshow={"slide_type": "fragment"}
# The fix: `OPTIONS` stays open (`authorizationType="NONE"`, no API key); the authorizer guards the real methods.

# %% slideshow={"slide_type": "-"}
options_method(cors_api, orders, authorizationType="NONE")
show_cors(requests.options(orders_url, headers=PREFLIGHT, timeout=30))

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Classic mistake 2: the proxy function forgets the header
#
# With a proxy integration, API Gateway adds nothing to the function's answer: the OPTIONS method's headers do not
# apply to POST. A function that leaves out `Access-Control-Allow-Origin` returns a perfectly good 200 that the page
# is not allowed to read ([Enable CORS for a REST API resource](https://docs.aws.amazon.com/apigateway/latest/developerguide/how-to-cors.html),
# "Enabling CORS support for Lambda or HTTP proxy integrations").

# %% slideshow={"slide_type": "-"}
forgetful_code = orders_code.replace(', "Access-Control-Allow-Origin": "https://shop.example.com"', "")
lab.create_function("nb06-orders", forgetful_code)
show_cors(requests.post(orders_url, json={"item": "tea"}, headers={"Origin": SHOP}, timeout=30))
lab.create_function("nb06-orders", orders_code)  # the fix: the function sets the header again
show_cors(requests.post(orders_url, json={"item": "tea"}, headers={"Origin": SHOP}, timeout=30))

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### HTTP APIs: `CorsConfiguration`
#
# An HTTP API with a `CorsConfiguration` answers preflights itself (the integration is not called) and puts the
# configured headers on every answer to an allowed origin, ignoring any CORS headers the backend sets
# ([Configure CORS for HTTP APIs](https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-cors.html)).

# %% slideshow={"slide_type": "-"}
cors_http = lab.api_builders.http_api("nb06-cors-http", fresh=True, CorsConfiguration={
    "AllowOrigins": [SHOP], "AllowMethods": ["POST"], "AllowHeaders": ["content-type"], "MaxAge": 300})
lab.api_builders.allow_api_gateway("nb06-orders", cors_http)
target = v2.create_integration(ApiId=cors_http, IntegrationType="AWS_PROXY", IntegrationUri=orders_fn["FunctionArn"],
                               PayloadFormatVersion="2.0")["IntegrationId"]
v2.create_route(ApiId=cors_http, RouteKey="POST /orders", Target=f"integrations/{target}")
v2.create_stage(ApiId=cors_http, StageName="$default", AutoDeploy=True)
http_orders = aws.stage_url(cors_http, "$default", "orders", http_api=True)
show_cors(requests.options(http_orders, headers=PREFLIGHT, timeout=30))
show_cors(requests.options(http_orders, headers={**PREFLIGHT, "Origin": "https://evil.example"}, timeout=30))

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Before the exercise
#
# The shop's developers report: "ordering works, but when a customer makes a mistake the page shows a CORS error
# instead of our error message". Their function, `nb06-ex-orders`, is behind `POST /orders` of the REST API
# `nb06-ex-cors` (a Lambda proxy integration; `OPTIONS /orders` answers preflights). Its code:

# %% slideshow={"slide_type": "-"}
# %%lambda_handler shop_orders_code
import json

HEADERS = {"Content-Type": "application/json", "Access-Control-Allow-Origin": "https://shop.example.com"}


def handler(event, context):
    try:
        order = json.loads(event.get("body") or "")
    except ValueError:
        return {"statusCode": 400, "body": json.dumps({"error": "the body is not JSON"})}
    if not isinstance(order, dict) or not order.get("item"):
        return {"statusCode": 400, "body": json.dumps({"error": "item is required"})}
    return {"statusCode": 201, "headers": HEADERS, "body": json.dumps({"ordered": order["item"]})}

# %% [markdown] slideshow={"slide_type": "subslide"}
# The cell below builds that set-up (running it again puts it back as it was) and places one good order:

# %% slideshow={"slide_type": "-"}
from lab_support.exercises.nb06 import prepare_06_3

shop_api = prepare_06_3()
shop_url = aws.stage_url(shop_api, "dev", "orders")
show_cors(requests.post(shop_url, json={"item": "tea"}, headers={"Origin": SHOP}, timeout=30))

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 06.3 · Diagnose: the CORS error that hides an error message
#
# Find which answers a browser at `https://shop.example.com` may not read: send requests yourself (with an
# `Origin` header, as `show_cors` does), compare the headers, and find the cause in the code above. Then fix
# the code in that cell, so that every answer carries the header with the same status codes as before, run it,
# and run the cell below, which deploys it and checks.

# %% slideshow={"slide_type": "-"}
# YOUR CODE HERE: your requests first; then fix shop_orders_code above and run it; this deploys it
lab.create_function("nb06-ex-orders", shop_orders_code)

lab.check("06.3")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - Layers, in order: WAF → resource policy → authorizer → API key and usage plan → throttling; the first "no"
#   answers, and the integration never runs.
# - `AWS_IAM`: SigV4-signed requests; unsigned → 403 Missing Authentication Token; the caller needs
#   `execute-api:Invoke` on the method ARN.
# - Cognito user pools: the ID token for identity, an access token for scopes; 401 without a valid token.
# - Lambda authorizers return a policy: explicit deny and implicit deny are both 403; missing token 401; results
#   are cached per identity for the TTL. HTTP APIs use JWT authorizers instead of a Cognito type.
# - API keys identify clients; usage plans throttle (429 Too Many Requests) and meter (429 Limit Exceeded).
# - WAF blocks by IP, header or rate with 403 Forbidden, and shows what it blocked.
# - CORS: OPTIONS open and answered; a proxy integration's function sets `Access-Control-Allow-Origin` on every
#   answer, errors included. HTTP APIs do it all with `CorsConfiguration`.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Questionnaire
#
# 1. An unsigned request to an `AWS_IAM` method gets 403 "Missing Authentication Token". What does the caller
#    need, besides a signature, for the request to pass?
# 2. What is the difference between a Cognito ID token and an access token, and which one does a method with
#    `authorizationScopes` accept?
# 3. A Lambda authorizer returns a policy with no statement for a token. What does the client get, and how does
#    it differ from an explicit Deny and from a request without a token?
# 4. Why can a cached Lambda-authorizer result refuse a request that the authorizer itself would allow?
# 5. A client gets 429. How do you tell whether it hit the usage plan's throttle or its quota, and what does
#    each one mean for when it may call again?
# 6. Why should the `OPTIONS` method of a REST API not use the authorizer that protects the other methods?

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Clean up
#
# Remove what this notebook created (APIs, functions, roles, the user pool, API keys and usage plans, the web ACL
# and IP set).

# %% slideshow={"slide_type": "-"}
lab.cleanup()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Next
#
# [07 · Releasing and operating an API](07_releasing_and_operating.ipynb): stages, canary releases, logs, metrics
# and alarms.
