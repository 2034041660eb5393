"""Private REST APIs (embedded.apigateway.private_endpoints): deploy needs a resource policy; the policy decides."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

import lab_support as lab
from lab_support.embedded.apigateway import private_endpoints as pa

VPCE = "vpce-0123456789abcdef0"


def _private_api(aws: lab.Session, policy: dict[str, Any] | None = None) -> str:
    ag = aws.client("apigateway")
    kwargs: dict[str, Any] = {"endpointConfiguration": {"types": ["PRIVATE"], "vpcEndpointIds": [VPCE]}}
    if policy is not None:
        kwargs["policy"] = json.dumps(policy)
    api_id = ag.create_rest_api(name="private-pets", **kwargs)["id"]
    root = ag.get_resources(restApiId=api_id)["items"][0]["id"]
    pets = ag.create_resource(restApiId=api_id, parentId=root, pathPart="pets")["id"]
    ag.put_method(restApiId=api_id, resourceId=pets, httpMethod="GET", authorizationType="NONE")
    ag.put_integration(restApiId=api_id, resourceId=pets, httpMethod="GET", type="MOCK",
                       requestTemplates={"application/json": '{"statusCode": 200}'})
    return api_id


def _vpce_policy(vpce: str = VPCE) -> dict[str, Any]:
    """The usual private-API policy: allow everyone, deny unless through our VPC endpoint."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*"},
            {"Sid": "OnlyThroughOurEndpoint", "Effect": "Deny", "Principal": "*", "Action": "execute-api:Invoke",
             "Resource": "execute-api:/*", "Condition": {"StringNotEquals": {"aws:SourceVpce": vpce}}},
        ],
    }


def test_deploying_a_private_api_without_policy_fails_as_on_aws(aws: lab.Session) -> None:
    api_id = _private_api(aws)
    ag = aws.client("apigateway")
    with pytest.raises(ClientError) as err:
        ag.create_deployment(restApiId=api_id, stageName="prod")
    assert err.value.response["Error"]["Code"] == "BadRequestException"
    assert err.value.response["Error"]["Message"] == pa.DEPLOY_ERROR_MESSAGE
    ag.update_rest_api(restApiId=api_id,
                       patchOperations=[{"op": "replace", "path": "/policy", "value": json.dumps(_vpce_policy())}])
    assert ag.create_deployment(restApiId=api_id, stageName="prod")["id"]


def test_regional_api_deploys_without_policy(aws: lab.Session) -> None:
    ag = aws.client("apigateway")
    api_id = ag.create_rest_api(name="regional", endpointConfiguration={"types": ["REGIONAL"]})["id"]
    root = ag.get_resources(restApiId=api_id)["items"][0]["id"]
    ag.put_method(restApiId=api_id, resourceId=root, httpMethod="GET", authorizationType="NONE")
    ag.put_integration(restApiId=api_id, resourceId=root, httpMethod="GET", type="MOCK")
    assert ag.create_deployment(restApiId=api_id, stageName="prod")["id"]
    assert pa.check_request(api_id, stage="prod", method="GET", path="/", headers={}) is None


def test_policy_evaluation(aws: lab.Session) -> None:
    api_id = _private_api(aws, _vpce_policy())
    ok, reason = pa.private_request_allowed(api_id, VPCE, stage="prod", method="GET", path="/pets")
    assert ok, reason
    ok, reason = pa.private_request_allowed(api_id, "vpce-0ther", stage="prod", method="GET", path="/pets")
    assert not ok and reason.startswith("explicit deny by OnlyThroughOurEndpoint")
    ok, reason = pa.private_request_allowed(api_id, None, stage="prod", method="GET", path="/pets")
    assert not ok and "VPC endpoint" in reason


def test_resource_scoping_vpc_condition_and_implicit_deny(aws: lab.Session) -> None:
    policy = {"Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "execute-api:*",
                             "Resource": "execute-api:/prod/GET/pets*",
                             "Condition": {"StringEquals": {"aws:SourceVpc": "vpc-1111"}}}]}
    api_id = _private_api(aws, policy)
    allowed = pa.private_request_allowed
    assert allowed(api_id, VPCE, stage="prod", method="GET", path="/pets", source_vpc="vpc-1111")[0]
    assert not allowed(api_id, VPCE, stage="prod", method="GET", path="/pets", source_vpc="vpc-2222")[0]
    ok, reason = allowed(api_id, VPCE, stage="prod", method="POST", path="/pets", source_vpc="vpc-1111")
    assert not ok and "implicit deny" in reason
    assert not allowed(api_id, VPCE, stage="test", method="GET", path="/pets", source_vpc="vpc-1111")[0]


def test_check_request_reads_headers_and_builds_aws_403(aws: lab.Session) -> None:
    api_id = _private_api(aws, _vpce_policy())
    alias_host = f"{api_id}-{VPCE}.execute-api.{aws.region}.amazonaws.com"
    assert pa.check_request(api_id, stage="prod", method="GET", path="/pets", headers={"Host": alias_host}) is None
    assert pa.check_request(api_id, stage="prod", method="GET", path="/pets",
                            headers={"x-lab-source-vpce": VPCE, "x-apigw-api-id": api_id}) is None
    status, headers, body = pa.check_request(api_id, stage="prod", method="GET", path="/pets",
                                             headers={"X-Lab-Source-Vpce": "vpce-0ther"})  # type: ignore[misc]
    arn = f"arn:aws:execute-api:{aws.region}:{aws.account_id}:{api_id}/prod/GET/pets"
    assert status == 403 and headers["x-amzn-ErrorType"] == "AccessDeniedException"
    assert json.loads(body) == {"Message": "User: anonymous is not authorized to perform: execute-api:Invoke "
                                           f"on resource: {arn} with an explicit deny"}
    # an alias host for an endpoint that is not associated with the API does not exist on AWS
    other_alias = f"{api_id}-vpce-0ther.execute-api.{aws.region}.amazonaws.com"
    assert pa.check_request(api_id, stage="prod", method="GET", path="/pets", headers={"Host": other_alias})


def test_explicit_and_implicit_deny_read_differently(aws: lab.Session) -> None:
    """API Gateway appends " with an explicit deny" only when a Deny statement matched (here the usual
    StringNotEquals aws:SourceVpce one); no statement allowing the call is an implicit deny, without it."""
    policy = _vpce_policy()
    policy["Statement"][0]["Resource"] = "execute-api:/prod/GET/*"  # the Allow covers GET only
    api_id = _private_api(aws, policy)
    arn = f"arn:aws:execute-api:{aws.region}:{aws.account_id}:{api_id}/prod/%s/pets"
    message = f"User: anonymous is not authorized to perform: execute-api:Invoke on resource: {arn}"

    explicit = pa.check_request(api_id, stage="prod", method="GET", path="/pets",
                                headers={"X-Lab-Source-Vpce": "vpce-0ther"})
    assert explicit is not None
    assert json.loads(explicit[2]) == {"Message": message % "GET" + " with an explicit deny"}
    ok, reason = pa.private_request_allowed(api_id, "vpce-0ther", stage="prod", method="GET", path="/pets")
    assert not ok and reason.startswith("explicit deny by OnlyThroughOurEndpoint")

    implicit = pa.check_request(api_id, stage="prod", method="POST", path="/pets", headers={"X-Lab-Source-Vpce": VPCE})
    assert implicit is not None
    assert json.loads(implicit[2]) == {"Message": message % "POST"}
    ok, reason = pa.private_request_allowed(api_id, VPCE, stage="prod", method="POST", path="/pets")
    assert not ok and "implicit deny" in reason


def test_source_from_headers() -> None:
    src = pa.source_from_headers({"Host": "abc123-vpce-0def.execute-api.us-east-1.amazonaws.com:443"})
    assert src == {"api_id": "abc123", "vpce_id": "vpce-0def", "vpc_id": None, "via": "alias-host"}
    assert pa.source_from_headers({"Host": "127.0.0.1:8080"})["via"] is None


def test_parse_policy_accepts_escaped_json() -> None:
    policy = _vpce_policy()
    assert pa.parse_policy(json.dumps(json.dumps(policy))) == policy
    assert pa.parse_policy(json.dumps(policy).replace('"', '\\"')) == policy


def test_explain_private_on_real_account() -> None:
    text = pa.explain_private_on_real_account()
    assert "https://aws.amazon.com/privatelink/pricing/" in text and "resource policy" in text


# -- end to end through the local gateway (lab_support/gateway/rest.py calls check_request) -------------
E2E_VPCE = "vpce-123"


def _deployed_mock_api(aws: lab.Session, name: str, endpoint: dict[str, Any], policy: dict[str, Any] | None) -> str:
    """An API with GET /pets (MOCK, 200 {"pets": []}) deployed to stage "prod"."""
    ag = aws.client("apigateway")
    kwargs: dict[str, Any] = {"endpointConfiguration": endpoint}
    if policy is not None:
        kwargs["policy"] = json.dumps(policy)
    api_id = ag.create_rest_api(name=name, **kwargs)["id"]
    root = ag.get_resources(restApiId=api_id)["items"][0]["id"]
    pets = ag.create_resource(restApiId=api_id, parentId=root, pathPart="pets")["id"]
    ag.put_method(restApiId=api_id, resourceId=pets, httpMethod="GET", authorizationType="NONE")
    ag.put_integration(restApiId=api_id, resourceId=pets, httpMethod="GET", type="MOCK",
                       requestTemplates={"application/json": '{"statusCode": 200}'})
    ag.put_method_response(restApiId=api_id, resourceId=pets, httpMethod="GET", statusCode="200")
    ag.put_integration_response(restApiId=api_id, resourceId=pets, httpMethod="GET", statusCode="200",
                                responseTemplates={"application/json": '{"pets": []}'})
    ag.create_deployment(restApiId=api_id, stageName="prod")
    return api_id


def _kernel_url(aws: lab.Session, api_id: str, path: str = "pets", host: str | None = None) -> str:
    return f"https://{host or api_id}.execute-api.{aws.region}.amazonaws.com/prod/{path}"


def test_gateway_enforces_private_api_policy(aws: lab.Session) -> None:
    import requests

    api_id = _deployed_mock_api(aws, "private-e2e", {"types": ["PRIVATE"], "vpcEndpointIds": [E2E_VPCE]},
                                _vpce_policy(E2E_VPCE))
    arn = f"arn:aws:execute-api:{aws.region}:{aws.account_id}:{api_id}/prod/GET/pets"

    # Not through a VPC endpoint: the three doors all answer AWS's 403.
    for url, headers in ((_kernel_url(aws, api_id), {}),
                         (aws.stage_url(api_id, "prod", "pets"), {}),
                         (f"{aws.gateway_url}/prod/pets", {"Host": f"{api_id}.execute-api.{aws.region}.amazonaws.com"})):
        r = requests.get(url, headers=headers, timeout=30)
        assert r.status_code == 403, url
        assert r.headers["x-amzn-ErrorType"] == "AccessDeniedException"
        assert r.json() == {"Message": "User: anonymous is not authorized to perform: execute-api:Invoke on "
                                       f"resource: {arn}"}
    # Through another VPC endpoint: the Deny statement matches.
    r = requests.get(_kernel_url(aws, api_id), headers={"X-Lab-Source-Vpce": "vpce-456"}, timeout=30)
    assert r.status_code == 403 and r.json()["Message"].endswith(" with an explicit deny")

    # Through vpce-123: the header (kernel and loopback doors) or the alias host name.
    r = requests.get(_kernel_url(aws, api_id), headers={"X-Lab-Source-Vpce": E2E_VPCE}, timeout=30)
    assert (r.status_code, r.json()) == (200, {"pets": []})
    r = requests.get(aws.stage_url(api_id, "prod", "pets"), headers={"X-Lab-Source-Vpce": E2E_VPCE}, timeout=30)
    assert (r.status_code, r.json()) == (200, {"pets": []})
    r = requests.get(_kernel_url(aws, api_id, host=f"{api_id}-{E2E_VPCE}"), timeout=30)
    assert (r.status_code, r.json()) == (200, {"pets": []})
    r = requests.get(f"{aws.gateway_url}/prod/pets", headers={"Host": f"{api_id}-{E2E_VPCE}.execute-api."
                                                                       f"{aws.region}.amazonaws.com"}, timeout=30)
    assert (r.status_code, r.json()) == (200, {"pets": []})
    # An alias name for an endpoint that is not associated with the API does not exist on AWS.
    r = requests.get(_kernel_url(aws, api_id, host=f"{api_id}-vpce-456"), timeout=30)
    assert r.status_code == 403


def test_gateway_leaves_regional_api_alone(aws: lab.Session) -> None:
    import requests

    api_id = _deployed_mock_api(aws, "regional-e2e", {"types": ["REGIONAL"]}, None)
    for headers in ({}, {"X-Lab-Source-Vpce": E2E_VPCE}):
        r = requests.get(_kernel_url(aws, api_id), headers=headers, timeout=30)
        assert (r.status_code, r.json()) == (200, {"pets": []})
    r = requests.get(aws.stage_url(api_id, "prod", "pets"), timeout=30)
    assert (r.status_code, r.json()) == (200, {"pets": []})


def test_gateway_applies_a_regional_api_resource_policy(aws: lab.Session) -> None:
    """Resource policies work on public APIs too: here one denies a source IP range."""
    import requests

    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*"},
        {"Effect": "Deny", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*",
         "Condition": {"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}}},
    ]}
    api_id = _deployed_mock_api(aws, "regional-policy", {"types": ["REGIONAL"]}, policy)
    r = requests.get(aws.stage_url(api_id, "prod", "pets"), timeout=30)
    assert r.status_code == 403 and r.json()["Message"].endswith(" with an explicit deny")
