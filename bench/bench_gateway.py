"""Request latency through the local API Gateway to a warm Lambda, next to a direct invoke and a plain server.

    python bench/bench_gateway.py [--n 300] [--warmup 30]

One run, one process, the same warm function, four ways to get the same body ``{"ok": true}``:

(a) gateway, loopback HTTP: ``requests`` to ``aws.stage_url(...)``, i.e. real HTTP through the embedded
    server (``/restapis/{id}/{stage}/_user_request_/hello``) → REST API → AWS_PROXY → Lambda;
(b) gateway, in-kernel URL: ``requests`` to ``https://{id}.execute-api.{region}.amazonaws.com/dev/hello``,
    answered inside this process by moto's ``responses`` mock (no socket) → the same REST API;
(c) direct ``boto3`` ``lambda.invoke`` of the same function (warm), no gateway;
(d) a plain stdlib ``http.server.ThreadingHTTPServer`` on 127.0.0.1 (HTTP/1.1, keep-alive) returning the same
    body, called with ``requests``: the floor any Python HTTP server on loopback pays.

(a), (b) and (d) each use one ``requests.Session`` and (c) one boto3 client, for keep-alive fairness: both
loopback servers speak HTTP/1.1 with keep-alive, so (a) and (d) each reuse one TCP connection; the output says
how many connections each opened. The four are timed round-robin (a, b, c, d, a, b, ...) after
a warm-up, so background load on a shared machine falls on all four alike. Prints p50/p99 in ms and each
row's ratios to (d) and to (c).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import threading
from collections.abc import Callable

from stats import pct, timed  # bench/stats.py (the script's folder is on sys.path)

BODY = '{"ok": true}'
AUTHORIZER = (
    "def handler(event, context):\n"
    "    return {'principalId': 'bench', 'policyDocument': {'Version': '2012-10-17', 'Statement': [\n"
    "        {'Action': 'execute-api:Invoke', 'Effect': 'Allow', 'Resource': event['methodArn']}]}}\n"
)
HANDLER = (
    "def handler(event, context):\n"
    "    return {'statusCode': 200, 'headers': {'Content-Type': 'application/json'}, 'body': '{\"ok\": true}'}\n"
)


def sample_interleaved(calls: list[tuple[str, Callable[[], object]]], n: int,
                       warmup: int) -> list[tuple[str, list[float]]]:
    """Warm every call up, then time them round-robin, so background load on a shared machine hits all alike."""
    for _ in range(warmup):
        for _label, fn in calls:
            fn()
    samples: list[list[float]] = [[] for _ in calls]
    for _ in range(n):
        for i, (_label, fn) in enumerate(calls):
            samples[i].append(timed(fn))
    return [(label, samples[i]) for i, (label, _fn) in enumerate(calls)]


def plain_server() -> tuple[str, Callable[[], None]]:
    """(d): a stdlib ``ThreadingHTTPServer`` on loopback (HTTP/1.1, keep-alive) answering ``BODY`` as the Lambda does."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    payload = BODY.encode()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive: one TCP connection for the whole run
        # Headers and body go out in two writes: without TCP_NODELAY, Nagle's algorithm meets the client's
        # delayed ACK and every response waits ~40 ms.
        disable_nagle_algorithm = True

        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def stop() -> None:
        server.shutdown()
        server.server_close()

    return f"http://127.0.0.1:{server.server_address[1]}/hello", stop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=30)
    args = parser.parse_args()

    import requests

    import lab_support as lab

    aws = lab.start()
    stop_plain: Callable[[], None] | None = None
    try:
        fn = lab.create_function("bench-gw-hello", HANDLER)
        arn = fn["FunctionArn"]
        lam = aws.client("lambda")
        with contextlib.suppress(lam.exceptions.ResourceConflictException):
            lam.add_permission(FunctionName="bench-gw-hello", StatementId="apigateway", Action="lambda:InvokeFunction",
                               Principal="apigateway.amazonaws.com",
                               SourceArn=f"arn:aws:execute-api:{aws.region}:{aws.account_id}:*/*")
        apig = aws.client("apigateway")
        api_id = apig.create_rest_api(name="bench-gw", tags=aws.tags)["id"]
        aws.track(f"REST API {api_id}", lambda: apig.delete_rest_api(restApiId=api_id))
        root = apig.get_resources(restApiId=api_id)["items"][0]["id"]
        res = apig.create_resource(restApiId=api_id, parentId=root, pathPart="hello")["id"]
        apig.put_method(restApiId=api_id, resourceId=res, httpMethod="GET", authorizationType="NONE")
        apig.put_integration(restApiId=api_id, resourceId=res, httpMethod="GET", type="AWS_PROXY",
                             integrationHttpMethod="POST",
                             uri=f"arn:aws:apigateway:{aws.region}:lambda:path/2015-03-31/functions/{arn}/invocations")
        # (e): the same route behind a Lambda TOKEN authorizer whose answer is cached (300 s, the default)
        authz = lab.create_function("bench-gw-authz", AUTHORIZER)["FunctionArn"]
        with contextlib.suppress(lam.exceptions.ResourceConflictException):
            lam.add_permission(FunctionName="bench-gw-authz", StatementId="apigateway", Action="lambda:InvokeFunction",
                               Principal="apigateway.amazonaws.com",
                               SourceArn=f"arn:aws:execute-api:{aws.region}:{aws.account_id}:*/*")
        authorizer_id = apig.create_authorizer(
            restApiId=api_id, name="bench", type="TOKEN", identitySource="method.request.header.Authorization",
            authorizerUri=f"arn:aws:apigateway:{aws.region}:lambda:path/2015-03-31/functions/{authz}/invocations")["id"]
        secure = apig.create_resource(restApiId=api_id, parentId=root, pathPart="secure")["id"]
        apig.put_method(restApiId=api_id, resourceId=secure, httpMethod="GET", authorizationType="CUSTOM",
                        authorizerId=authorizer_id)
        apig.put_integration(restApiId=api_id, resourceId=secure, httpMethod="GET", type="AWS_PROXY",
                             integrationHttpMethod="POST",
                             uri=f"arn:aws:apigateway:{aws.region}:lambda:path/2015-03-31/functions/{arn}/invocations")
        # (f): the same route with an API key required, the key in a usage plan of the stage
        keyed = apig.create_resource(restApiId=api_id, parentId=root, pathPart="keyed")["id"]
        apig.put_method(restApiId=api_id, resourceId=keyed, httpMethod="GET", authorizationType="NONE", apiKeyRequired=True)
        apig.put_integration(restApiId=api_id, resourceId=keyed, httpMethod="GET", type="AWS_PROXY",
                             integrationHttpMethod="POST",
                             uri=f"arn:aws:apigateway:{aws.region}:lambda:path/2015-03-31/functions/{arn}/invocations")
        apig.create_deployment(restApiId=api_id, stageName="dev")
        api_key = apig.create_api_key(name="bench-gw-key", enabled=True)
        plan = apig.create_usage_plan(name="bench-gw-plan", apiStages=[{"apiId": api_id, "stage": "dev"}])["id"]
        apig.create_usage_plan_key(usagePlanId=plan, keyId=api_key["id"], keyType="API_KEY")

        loopback_url = aws.stage_url(api_id, "dev", "hello")
        kernel_url = f"https://{api_id}.execute-api.{aws.region}.amazonaws.com/dev/hello"
        plain_url, stop_plain = plain_server()

        sessions = {name: requests.Session() for name in ("a", "b", "d", "e")}
        sessions["e"].headers["Authorization"] = "allow"
        opened: dict[str, int] = {}
        sessions["f"] = requests.Session()
        sessions["f"].headers["x-api-key"] = api_key["value"]

        def get(name: str, url: str) -> Callable[[], object]:
            def call() -> object:
                resp = sessions[name].get(url, timeout=30)
                if resp.status_code != 200 or resp.text != BODY:
                    raise RuntimeError(f"({name}) {url} answered {resp.status_code} {resp.text[:200]!r}")
                return resp
            return call

        def invoke() -> object:
            out = lam.invoke(FunctionName="bench-gw-hello", Payload=b"{}")
            if json.loads(out["Payload"].read()).get("body") != BODY:
                raise RuntimeError("direct invoke returned another body")
            return out

        calls = [("(a) gateway, loopback HTTP", get("a", loopback_url)),
                 ("(b) gateway, in-kernel URL", get("b", kernel_url)),
                 ("(c) direct lambda.invoke", invoke),
                 ("(d) plain loopback server", get("d", plain_url)),
                 ("(e) (b) + cached authorizer", get("e", kernel_url.replace("/hello", "/secure")))]
        calls.append(("(f) (b) + API key, usage plan", get("f", kernel_url.replace("/hello", "/keyed"))))
        rows = sample_interleaved(calls, args.n, args.warmup)
        for name in ("a", "d"):  # how many TCP connections did each Session open in all?
            manager = sessions[name].get_adapter("http://").poolmanager
            # urllib3's RecentlyUsedContainer refuses plain iteration, hence .keys()
            opened[name] = sum(manager.pools[key].num_connections for key in manager.pools.keys())  # noqa: SIM118
    finally:
        if stop_plain is not None:
            stop_plain()
        lab.cleanup()
        lab.stop()

    base_d = rows[3][1]
    base_c = rows[2][1]
    total = args.n + args.warmup
    print(f"n={args.n} per row after {args.warmup} warm-up requests; one requests.Session per HTTP row; "
          f"TCP connections opened for {total} requests: (a) {opened['a']}, (d) {opened['d']}")
    print(f"{'':28} {'p50 ms':>8} {'p99 ms':>8} {'mean ms':>8} {'p50/(d)':>8} {'p99/(d)':>8} {'p50/(c)':>8} {'p99/(c)':>8}")
    for label, samples in rows:
        print(f"{label:28} {pct(samples, .5):8.2f} {pct(samples, .99):8.2f} {statistics.fmean(samples):8.2f} "
              f"{pct(samples, .5) / pct(base_d, .5):8.1f} {pct(samples, .99) / pct(base_d, .99):8.1f} "
              f"{pct(samples, .5) / pct(base_c, .5):8.1f} {pct(samples, .99) / pct(base_c, .99):8.1f}")


    print(f"(e)/(b) p50: {pct(rows[4][1], .5) / pct(rows[1][1], .5):.2f}x (a cached Lambda authorizer; target <= 1.5x)")
    plain_b = next(samples for label, samples in rows if label.startswith("(b)"))
    print(f"(f)/(b) p50: {pct(rows[-1][1], .5) / pct(plain_b, .5):.2f}x (API key + usage plan; target <= 1.5x)")


if __name__ == "__main__":
    main()
