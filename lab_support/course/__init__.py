"""Course helpers: the same calls on the embedded backend and on a real account (plain boto3 and HTTP).

* :mod:`.resources`: re-runnable create-or-get of roles, queues, buckets, tables, streams;
* :mod:`.functions`: ``create_function`` and ``lambda_zip``;
* :mod:`.api_builders`: find-or-create REST and HTTP APIs, resources, Lambda permissions;
* :mod:`.http`: notebook 01's HTTP helpers (curl lines, ``send``, ``show``, the request builder);
* :mod:`.postman`, :mod:`.openapi`: Postman collections and OpenAPI export;
* :mod:`.endpoint_types`: the edge vs regional latency model; :mod:`.figures`: the course's plot style;
* :mod:`.lambda_output`: reading Invoke responses and logs; :mod:`.envcheck`: notebook 00's check.

Nothing here imports :mod:`lab_support.embedded` (an import-linter contract checks it).
"""
