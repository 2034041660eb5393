"""Authorizers on every request: REST AWS_IAM, Cognito user pools, Lambda TOKEN/REQUEST; HTTP API JWT and Lambda."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from gateway_support import ACCOUNT, REGION, lambda_function

import lab_support as lab
from lab_support.core import clock
from lab_support.course.api_builders import lambda_uri
from lab_support.embedded import iam

ECHO = '''
import json
def handler(event, context):
    return {"statusCode": 200, "body": json.dumps(event["requestContext"].get("authorizer"))}
'''

# A TOKEN/REQUEST authorizer: the token (or header "who") says what to answer; counts its calls in /tmp.
AUTHORIZER = '''
import os
def handler(event, context):
    token = event.get("authorizationToken") or {k.lower(): v for k, v in (event.get("headers") or {}).items()}.get("who", "")
    path = "/tmp/calls-" + context.function_name
    n = int(open(path).read()) + 1 if os.path.exists(path) else 1
    open(path, "w").write(str(n))
    if token == "unauthorized":
        raise Exception("Unauthorized")
    if token == "boom":
        raise Exception("something broke")
    if token == "malformed":
        return {"hello": "world"}
    effect = {"allow": "Allow", "deny": "Deny"}.get(token)
    statements = [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": event["methodArn"]}] if effect else []
    return {"principalId": "user-" + token, "policyDocument": {"Version": "2012-10-17", "Statement": statements},
            "context": {"calls": n, "tier": "gold"}}
'''

SIMPLE = '''
def handler(event, context):
    who = event["headers"].get("authorization", "")
    return {"isAuthorized": who == "let-me-in", "context": {"who": who, "route": event["routeArn"]}}
'''


def uri(arn: str) -> str:
    return lambda_uri(arn, REGION)


def echo(aws: lab.Session) -> str:
    """The ECHO function (created once per test)."""
    try:
        return lambda_function(aws, "echo-auth", ECHO)
    except ClientError:  # the permission exists: the function was made by an earlier call of this test
        return str(aws.client("lambda").get_function(FunctionName="echo-auth")["Configuration"]["FunctionArn"])


def rest_api(aws: lab.Session, authorization: str, authorizer: dict[str, Any] | None = None,
             scopes: list[str] | None = None) -> tuple[str, str]:
    """GET /items (Lambda proxy to ECHO) with ``authorization``; returns (api id, authorizer id)."""
    fn = echo(aws)
    apig = aws.client("apigateway")
    api_id = apig.create_rest_api(name="auth")["id"]
    root = apig.get_resources(restApiId=api_id)["items"][0]["id"]
    res = apig.create_resource(restApiId=api_id, parentId=root, pathPart="items")["id"]
    auth_id = ""
    if authorizer is not None:
        auth_id = apig.create_authorizer(restApiId=api_id, **authorizer)["id"]
    extra: dict[str, Any] = {"authorizerId": auth_id} if auth_id else {}
    if scopes:
        extra["authorizationScopes"] = scopes
    apig.put_method(restApiId=api_id, resourceId=res, httpMethod="GET", authorizationType=authorization, **extra)
    apig.put_integration(restApiId=api_id, resourceId=res, httpMethod="GET", type="AWS_PROXY",
                         integrationHttpMethod="POST", uri=uri(fn))
    apig.create_deployment(restApiId=api_id, stageName="dev")
    return api_id, auth_id


def get(api_id: str, headers: dict[str, str] | None = None, path: str = "items") -> requests.Response:
    return requests.get(f"https://{api_id}.execute-api.{REGION}.amazonaws.com/dev/{path}", headers=headers or {},
                        timeout=30)


def lambda_authorizer(aws: lab.Session, kind: str = "TOKEN", ttl: int | None = None, name: str = "authz",
                      allow: bool = True, **extra: Any) -> dict[str, Any]:
    code = AUTHORIZER.replace("/tmp/calls-", f"/tmp/calls-{uuid.uuid4().hex}-")  # a fresh count per test
    arn = lambda_function(aws, name, code, allow=allow)
    spec: dict[str, Any] = {"name": name, "type": kind, "authorizerUri": uri(arn),
                            "identitySource": "method.request.header.Authorization" if kind == "TOKEN"
                            else "method.request.header.who", **extra}
    if ttl is not None:
        spec["authorizerResultTtlInSeconds"] = ttl
    return spec


# -- REST: Lambda TOKEN / REQUEST -------------------------------------------------------------------------------
def test_token_authorizer_allow_deny_unauthorized_and_errors(aws: lab.Session) -> None:
    api_id, _ = rest_api(aws, "CUSTOM", lambda_authorizer(aws, ttl=0))
    ok = get(api_id, {"Authorization": "allow"})
    assert ok.status_code == 200
    assert ok.json() == {"principalId": "user-allow", "calls": 1, "tier": "gold",
                         "integrationLatency": ok.json()["integrationLatency"]}
    deny = get(api_id, {"Authorization": "deny"})
    assert (deny.status_code, deny.json()) == (403, {"message": "User is not authorized to access this resource "
                                                                "with an explicit deny"})
    assert deny.headers["x-amzn-ErrorType"] == "AccessDeniedException"
    implicit = get(api_id, {"Authorization": "nobody"})
    assert (implicit.status_code, implicit.json()) == (403, {"message": "User is not authorized to access this resource"})
    for headers in ({}, {"Authorization": "unauthorized"}):
        refused = get(api_id, headers)
        assert (refused.status_code, refused.json()) == (401, {"message": "Unauthorized"})
        assert refused.headers["x-amzn-ErrorType"] == "UnauthorizedException"
    for token in ("boom", "malformed"):
        broken = get(api_id, {"Authorization": token})
        assert (broken.status_code, broken.json()) == (500, {"message": None})
        assert broken.headers["x-amzn-ErrorType"] == "AuthorizerConfigurationException"


def test_token_authorizer_caches_for_its_ttl_on_the_course_clock(aws: lab.Session) -> None:
    api_id, _ = rest_api(aws, "CUSTOM", lambda_authorizer(aws, name="authz-cached"))  # default TTL: 300 s
    first = get(api_id, {"Authorization": "allow"}).json()
    assert first["calls"] == 1
    assert get(api_id, {"Authorization": "allow"}).json()["calls"] == 1  # cached: not invoked again
    clock.advance(299)
    assert get(api_id, {"Authorization": "allow"}).json()["calls"] == 1
    clock.advance(2)
    assert get(api_id, {"Authorization": "allow"}).json()["calls"] == 2  # expired: invoked again


def test_identity_validation_expression_refuses_without_invoking(aws: lab.Session) -> None:
    api_id, auth_id = rest_api(aws, "CUSTOM", lambda_authorizer(aws, ttl=0, name="authz-regex"))
    apig = aws.client("apigateway")
    apig.update_authorizer(restApiId=api_id, authorizerId=auth_id, patchOperations=[
        {"op": "replace", "path": "/identityValidationExpression", "value": "^a.*"}])
    assert apig.get_authorizer(restApiId=api_id, authorizerId=auth_id)["identityValidationExpression"] == "^a.*"
    assert get(api_id, {"Authorization": "deny"}).status_code == 401  # "deny" does not match ^a.*
    assert get(api_id, {"Authorization": "allow"}).json()["calls"] == 1  # the refused one never ran



def test_create_authorizer_keeps_the_identity_validation_expression(aws: lab.Session) -> None:
    spec = lambda_authorizer(aws, ttl=0, name="authz-create", identityValidationExpression="^a.*")
    api_id, auth_id = rest_api(aws, "CUSTOM", spec)  # moto 5.2.5 drops it: authorizers.PATCHES keeps it
    assert aws.client("apigateway").get_authorizer(restApiId=api_id, authorizerId=auth_id)[
        "identityValidationExpression"] == "^a.*"
    assert get(api_id, {"Authorization": "deny"}).status_code == 401


def test_request_authorizer_keys_its_cache_on_identity_sources(aws: lab.Session) -> None:
    api_id, _ = rest_api(aws, "CUSTOM", lambda_authorizer(aws, "REQUEST", ttl=60, name="authz-req"))
    assert get(api_id).status_code == 401  # identity source missing: not invoked
    assert get(api_id, {"who": "allow"}).json()["calls"] == 1
    assert get(api_id, {"who": "allow", "X-Other": "1"}).json()["calls"] == 1
    assert get(api_id, {"who": "deny"}).status_code == 403
    clock.advance(61)
    assert get(api_id, {"who": "allow"}).json()["calls"] == 3


def test_missing_invoke_permission_is_500(aws: lab.Session) -> None:
    api_id, _ = rest_api(aws, "CUSTOM", lambda_authorizer(aws, name="authz-noperm", allow=False))
    refused = get(api_id, {"Authorization": "allow"})
    assert (refused.status_code, refused.json()) == (500, {"message": None})
    assert refused.headers["x-amzn-ErrorType"] == "AuthorizerConfigurationException"


# -- REST: Cognito ---------------------------------------------------------------------------------------------
def cognito(aws: lab.Session) -> tuple[str, str, dict[str, str]]:
    idp = aws.client("cognito-idp")
    pool = idp.create_user_pool(PoolName="users")["UserPool"]
    client = idp.create_user_pool_client(UserPoolId=pool["Id"], ClientName="web",
                                         ExplicitAuthFlows=["USER_PASSWORD_AUTH"])["UserPoolClient"]["ClientId"]
    idp.admin_create_user(UserPoolId=pool["Id"], Username="ana")
    idp.admin_set_user_password(UserPoolId=pool["Id"], Username="ana", Password="Secret-123!", Permanent=True)
    result = idp.initiate_auth(ClientId=client, AuthFlow="USER_PASSWORD_AUTH",
                               AuthParameters={"USERNAME": "ana", "PASSWORD": "Secret-123!"})["AuthenticationResult"]
    return pool["Arn"], client, result


def test_cognito_authorizer_checks_the_token_and_passes_claims(aws: lab.Session) -> None:
    pool_arn, client, tokens = cognito(aws)
    api_id, _ = rest_api(aws, "COGNITO_USER_POOLS", {"name": "pool", "type": "COGNITO_USER_POOLS",
                                                       "providerARNs": [pool_arn],
                                                       "identitySource": "method.request.header.Authorization"})
    ok = get(api_id, {"Authorization": tokens["IdToken"]})
    assert ok.status_code == 200
    claims = ok.json()["claims"]
    assert (claims["cognito:username"], claims["aud"], claims["token_use"]) == ("ana", client, "id")
    for headers in ({}, {"Authorization": "not-a-jwt"}, {"Authorization": tokens["IdToken"][:-4] + "AAAA"}):
        refused = get(api_id, headers)
        assert (refused.status_code, refused.json()) == (401, {"message": "Unauthorized"})
    clock.advance(3601)  # moto's tokens last one hour
    assert get(api_id, {"Authorization": tokens["IdToken"]}).status_code == 401
    # A token issued now is stamped on the course clock, so it is valid although the wall clock is an hour behind.
    fresh = aws.client("cognito-idp").initiate_auth(
        ClientId=client, AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "ana", "PASSWORD": "Secret-123!"})["AuthenticationResult"]
    assert get(api_id, {"Authorization": fresh["IdToken"]}).status_code == 200


def test_cognito_scopes_need_an_access_token_with_one_of_them(aws: lab.Session) -> None:
    pool_arn, _client, tokens = cognito(aws)
    spec = {"name": "pool", "type": "COGNITO_USER_POOLS", "providerARNs": [pool_arn],
            "identitySource": "method.request.header.Authorization"}
    api_id, _ = rest_api(aws, "COGNITO_USER_POOLS", spec, scopes=["aws.cognito.signin.user.admin"])
    assert get(api_id, {"Authorization": tokens["AccessToken"]}).status_code == 200
    assert get(api_id, {"Authorization": tokens["IdToken"]}).status_code == 401
    other, _ = rest_api(aws, "COGNITO_USER_POOLS", spec, scopes=["orders/read"])
    refused = get(other, {"Authorization": tokens["AccessToken"]})
    assert (refused.status_code, refused.json()) == (401, {"message": "Unauthorized"})


# -- REST: AWS_IAM ---------------------------------------------------------------------------------------------
def signed(url: str, key: str, secret: str, token: str | None = None) -> dict[str, str]:
    request = AWSRequest(method="GET", url=url)
    SigV4Auth(Credentials(key, secret, token), "execute-api", REGION).add_auth(request)
    return dict(request.headers.items())


def test_iam_authorization_checks_signature_and_role_policy(aws: lab.Session) -> None:
    api_id, _ = rest_api(aws, "AWS_IAM")
    url = f"https://{api_id}.execute-api.{REGION}.amazonaws.com/dev/items"
    unsigned = requests.get(url, timeout=30)
    assert (unsigned.status_code, unsigned.json()) == (403, {"message": "Missing Authentication Token"})
    creds = aws.credentials
    ok = requests.get(url, headers=signed(url, creds["AWS_ACCESS_KEY_ID"], creds["AWS_SECRET_ACCESS_KEY"]), timeout=30)
    assert ok.status_code == 200, ok.text
    wrong = requests.get(url, headers=signed(url, creds["AWS_ACCESS_KEY_ID"], "not-the-secret"), timeout=30)
    assert wrong.status_code == 403
    assert wrong.json()["message"].startswith("The request signature we calculated does not match the signature you "
                                              "provided. Check your AWS Secret Access Key and signing method. Consult "
                                              "the service documentation for details.")
    assert wrong.headers["x-amzn-ErrorType"] == "InvalidSignatureException"

    iam_client = aws.client("iam")
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                                     "Action": "sts:AssumeRole"}]}
    role_arn = iam_client.create_role(RoleName="caller", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    keys = iam.credentials_for_role(role_arn, session_name="fn")
    as_role = signed(url, keys["AWS_ACCESS_KEY_ID"], keys["AWS_SECRET_ACCESS_KEY"], keys["AWS_SESSION_TOKEN"])
    denied = requests.get(url, headers=as_role, timeout=30)
    resource = f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{api_id}/dev/GET/items"
    assert (denied.status_code, denied.json()) == (403, {"Message": f"User: arn:aws:sts::{ACCOUNT}:assumed-role/caller/fn "
                                                                    f"is not authorized to perform: execute-api:Invoke on "
                                                                    f"resource: {resource}"})
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "execute-api:Invoke",
                                                      "Resource": f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{api_id}/*"}]}
    iam_client.put_role_policy(RoleName="caller", PolicyName="invoke", PolicyDocument=json.dumps(policy))
    assert requests.get(url, headers=as_role, timeout=30).status_code == 200


# -- HTTP APIs -------------------------------------------------------------------------------------------------
def http_api(aws: lab.Session, authorizer: dict[str, Any], authorization: str, scopes: list[str] | None = None) -> str:
    fn = echo(aws)
    v2 = aws.client("apigatewayv2")
    api_id = v2.create_api(Name="h", ProtocolType="HTTP")["ApiId"]
    auth_id = v2.create_authorizer(ApiId=api_id, **authorizer)["AuthorizerId"]
    integration = v2.create_integration(ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=fn,
                                        PayloadFormatVersion="2.0")["IntegrationId"]
    v2.create_route(ApiId=api_id, RouteKey="GET /items", Target=f"integrations/{integration}",
                    AuthorizationType=authorization, AuthorizerId=auth_id, AuthorizationScopes=scopes or [])
    v2.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
    return api_id


def http_get(api_id: str, headers: dict[str, str] | None = None) -> requests.Response:
    return requests.get(f"https://{api_id}.execute-api.{REGION}.amazonaws.com/items", headers=headers or {}, timeout=30)


def test_http_jwt_authorizer_with_the_embedded_cognito(aws: lab.Session) -> None:
    pool_arn, client, tokens = cognito(aws)
    issuer = f"https://cognito-idp.{REGION}.amazonaws.com/{pool_arn.rsplit('/', 1)[1]}"
    spec = {"Name": "jwt", "AuthorizerType": "JWT", "IdentitySource": ["$request.header.Authorization"],
            "JwtConfiguration": {"Issuer": issuer, "Audience": [client]}}
    api_id = http_api(aws, spec, "JWT")
    ok = http_get(api_id, {"Authorization": f"Bearer {tokens['AccessToken']}"})
    assert ok.status_code == 200, ok.text
    assert ok.json()["jwt"]["claims"]["client_id"] == client
    assert http_get(api_id, {"Authorization": tokens["IdToken"]}).status_code == 200
    missing = http_get(api_id)
    assert (missing.status_code, missing.json()) == (401, {"message": "Unauthorized"})
    other = http_api(aws, {**spec, "JwtConfiguration": {"Issuer": issuer, "Audience": ["someone-else"]}}, "JWT")
    refused = http_get(other, {"Authorization": tokens["IdToken"]})
    assert (refused.status_code, refused.json()) == (401, {"message": "Unauthorized"})
    assert refused.headers["www-authenticate"] == ('Bearer scope="" error="invalid_token" '
                                                   'error_description="the token does not have a valid audience"')
    scoped = http_api(aws, spec, "JWT", scopes=["orders/read"])
    assert http_get(scoped, {"Authorization": tokens["AccessToken"]}).status_code == 403
    clock.advance(3601)
    expired = http_get(api_id, {"Authorization": tokens["AccessToken"]})
    assert expired.status_code == 401
    assert 'error_description="the token has expired"' in expired.headers["www-authenticate"]


@pytest.mark.parametrize("ttl", [0, 300])
def test_http_lambda_authorizer_simple_response(aws: lab.Session, ttl: int) -> None:
    arn = lambda_function(aws, "simple-authz", SIMPLE)
    spec = {"Name": "simple", "AuthorizerType": "REQUEST", "AuthorizerUri": uri(arn),
            "AuthorizerPayloadFormatVersion": "2.0", "EnableSimpleResponses": True,
            "IdentitySource": ["$request.header.Authorization"], "AuthorizerResultTtlInSeconds": ttl}
    api_id = http_api(aws, spec, "CUSTOM")
    ok = http_get(api_id, {"Authorization": "let-me-in"})
    assert ok.status_code == 200, ok.text
    assert ok.json()["lambda"] == {"who": "let-me-in",
                                   "route": f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{api_id}/$default/GET/items"}
    refused = http_get(api_id, {"Authorization": "nope"})
    assert (refused.status_code, refused.json()) == (403, {"message": "Forbidden"})
    missing = http_get(api_id)
    assert (missing.status_code, missing.json()) == (401, {"message": "Unauthorized"})


def test_authorizer_values_reach_mapping_templates_as_context_authorizer(aws: lab.Session) -> None:
    apig = aws.client("apigateway")
    api_id = apig.create_rest_api(name="ctx")["id"]
    root = apig.get_resources(restApiId=api_id)["items"][0]["id"]
    auth_id = apig.create_authorizer(restApiId=api_id, **lambda_authorizer(aws, ttl=0, name="authz-ctx"))["id"]
    apig.put_method(restApiId=api_id, resourceId=root, httpMethod="GET", authorizationType="CUSTOM", authorizerId=auth_id)
    apig.put_integration(restApiId=api_id, resourceId=root, httpMethod="GET", type="MOCK",
                         requestTemplates={"application/json": '{"statusCode": 200}'})
    apig.put_integration_response(restApiId=api_id, resourceId=root, httpMethod="GET", statusCode="200",
                                  responseTemplates={"application/json": '{"who": "$context.authorizer.principalId", '
                                                                         '"tier": "$context.authorizer.tier"}'})
    apig.put_method_response(restApiId=api_id, resourceId=root, httpMethod="GET", statusCode="200")
    apig.create_deployment(restApiId=api_id, stageName="dev")
    answer = get(api_id, {"Authorization": "allow"}, path="")
    assert answer.json() == {"who": "user-allow", "tier": "gold"}


POLICY_V2 = '''
def handler(event, context):
    who = event["headers"].get("authorization", "")
    if who == "boom":
        raise Exception("broken")
    effect = "Allow" if who == "allow" else "Deny"
    return {"principalId": who, "context": {"plan": "pro"},
            "policyDocument": {"Version": "2012-10-17",
                               "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": event["routeArn"]}]}}
'''


def test_http_lambda_authorizer_with_an_iam_policy_and_errors(aws: lab.Session) -> None:
    arn = lambda_function(aws, "policy-authz", POLICY_V2)
    spec = {"Name": "policy", "AuthorizerType": "REQUEST", "AuthorizerUri": uri(arn),
            "AuthorizerPayloadFormatVersion": "2.0", "IdentitySource": ["$request.header.Authorization"]}
    api_id = http_api(aws, spec, "CUSTOM")
    ok = http_get(api_id, {"Authorization": "allow"})
    assert ok.status_code == 200, ok.text
    assert ok.json() == {"lambda": {"plan": "pro", "principalId": "allow"}}
    denied = http_get(api_id, {"Authorization": "deny"})
    assert (denied.status_code, denied.json()) == (403, {"message": "Forbidden"})
    broken = http_get(api_id, {"Authorization": "boom"})
    assert (broken.status_code, broken.json()) == (500, {"message": "Internal Server Error"})


def test_http_api_iam_authorization(aws: lab.Session) -> None:
    fn = echo(aws)
    v2 = aws.client("apigatewayv2")
    api_id = v2.create_api(Name="iam", ProtocolType="HTTP")["ApiId"]
    integration = v2.create_integration(ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=fn,
                                        PayloadFormatVersion="2.0")["IntegrationId"]
    v2.create_route(ApiId=api_id, RouteKey="GET /items", Target=f"integrations/{integration}", AuthorizationType="AWS_IAM")
    v2.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
    url = f"https://{api_id}.execute-api.{REGION}.amazonaws.com/items"
    assert requests.get(url, timeout=30).status_code == 403
    creds = aws.credentials
    ok = requests.get(url, headers=signed(url, creds["AWS_ACCESS_KEY_ID"], creds["AWS_SECRET_ACCESS_KEY"]), timeout=30)
    assert ok.status_code == 200, ok.text
    assert ok.json()["iam"]["userArn"] == f"arn:aws:iam::{ACCOUNT}:root"


KEYED = '''
def handler(event, context):
    return {"principalId": "p", "usageIdentifierKey": event["authorizationToken"],
            "policyDocument": {"Version": "2012-10-17",
                               "Statement": [{"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": "*"}]}}
'''


def test_usage_identifier_key_feeds_an_api_key_source_of_authorizer(aws: lab.Session) -> None:
    fn, authz = echo(aws), lambda_function(aws, "keyed-authz", KEYED)
    apig = aws.client("apigateway")
    api_id = apig.create_rest_api(name="keyed", apiKeySource="AUTHORIZER")["id"]
    root = apig.get_resources(restApiId=api_id)["items"][0]["id"]
    auth_id = apig.create_authorizer(restApiId=api_id, name="k", type="TOKEN", authorizerUri=uri(authz),
                                     identitySource="method.request.header.Authorization",
                                     authorizerResultTtlInSeconds=0)["id"]
    apig.put_method(restApiId=api_id, resourceId=root, httpMethod="GET", authorizationType="CUSTOM",
                    authorizerId=auth_id, apiKeyRequired=True)
    apig.put_integration(restApiId=api_id, resourceId=root, httpMethod="GET", type="AWS_PROXY",
                         integrationHttpMethod="POST", uri=uri(fn))
    apig.create_deployment(restApiId=api_id, stageName="dev")
    key = apig.create_api_key(name="k", value="k" * 30, enabled=True)["id"]
    plan = apig.create_usage_plan(name="p", apiStages=[{"apiId": api_id, "stage": "dev"}])["id"]
    apig.create_usage_plan_key(usagePlanId=plan, keyId=key, keyType="API_KEY")
    assert get(api_id, {"Authorization": "k" * 30}, path="").status_code == 200
    assert get(api_id, {"Authorization": "not-a-key"}, path="").status_code == 403
