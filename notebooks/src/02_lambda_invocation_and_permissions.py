# %% [markdown] slideshow={"slide_type": "slide"}
# # 02 · Lambda invocation and the permissions model
#
# The lecture asks two questions about every Lambda function: **which service is allowed to invoke it?** and
# **once invoked, which services is it in turn allowed to call?** This notebook answers both by trying: a real
# function is refused, then allowed; its code is denied, then granted. Then it invokes functions every way the
# Invoke API allows, reads their logs, ships versions behind an alias, and breaks functions the ways students do.
#
# **Learning objectives**
# - tell a function's *resource-based policy* (who may invoke it) from its *execution role* (what it may call)
# - grant a service permission to invoke a function with `add_permission`, scoped by `SourceArn`/`SourceAccount`
# - give a function's code exactly the permissions it needs, and read the `AccessDenied` error when it lacks them
# - invoke synchronously (`RequestResponse`), asynchronously (`Event`) and as a dry run (`DryRun`)
# - recognise a cold start in the logs, and read START / END / REPORT lines from CloudWatch Logs
# - publish versions, route an alias between two of them, and invoke a qualifier
# - diagnose the common failures: exception, timeout, import error, missing handler, non-JSON result, exit,
#   out of memory, oversized payload, a role Lambda cannot assume; fix a proxy response that gives 502
#
# **Time**: about 110 minutes
#
# **Prerequisites**: [00 · Start here](00_start_here.ipynb); a little Python. [01 · What is an API](01_what_is_an_api.ipynb)
# helps for the API Gateway exercise.

# %% slideshow={"slide_type": "skip"}
import lab_support as lab
aws = lab.start()
lab.use_course_style()
aws

# %% [markdown] slideshow={"slide_type": "subslide"}
# Before a notebook creates anything, it says what that costs: on a real account `lab.costs` lists the billable
# resources with their prices; here, on the embedded backend, it prints one line.

# %% slideshow={"slide_type": "-"}
lab.costs("02")

# %% [markdown] slideshow={"slide_type": "notes"}
# **Speaker notes.** Run all cells before presenting (about 15 s). Every function here really runs, in its own
# worker process, and every denial comes from a real policy evaluation, so you can improvise: remove a
# permission, change a handler, and re-run. Request ids and ports are random: yours differ from those in the
# stored outputs. Durations and memory in REPORT lines are printed as `…` because they change every run.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Two questions, two policies
#
# The lecture's permissions model slide asks:
#
# > Which service is allowed to invoke a Lambda function?
# >
# > Once invoked, which service is a Lambda function in turn allowed to invoke?
#
# AWS answers each with a different kind of policy
# ([Managing permissions in AWS Lambda](https://docs.aws.amazon.com/lambda/latest/dg/lambda-permissions.html)):
#
# ```mermaid
# flowchart LR
#     s3["Amazon S3<br/>s3.amazonaws.com"] -- "lambda:InvokeFunction" --> rbp
#     apigw["API Gateway<br/>apigateway.amazonaws.com"] -- "lambda:InvokeFunction" --> rbp
#     subgraph fn["Lambda function"]
#         rbp{{"resource-based policy<br/>who may invoke me?"}} --> code["handler code"]
#         code --> role{{"execution role<br/>what may I call?"}}
#     end
#     role -- "s3:PutObject" --> bucket[("S3 bucket")]
#     role -- "dynamodb:PutItem" --> table[("DynamoDB table")]
#     role -- "logs:PutLogEvents" --> logs[("CloudWatch Logs")]
# ```

# %% [markdown] slideshow={"slide_type": "subslide"}
# - **Resource-based policy** (left half): attached to the *function*; each statement names a principal (a service
#   such as `s3.amazonaws.com`, or an account) and usually the source that may invoke
#   ([access-control-resource-based](https://docs.aws.amazon.com/lambda/latest/dg/access-control-resource-based.html)).
#   You add statements with `add_permission`.
# - **Execution role** (right half): an IAM role *Lambda assumes* to run the code; its policies decide every AWS call
#   the handler makes ([lambda-intro-execution-role](https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html)).
#
# Two ways are not in either: **you**, calling `invoke` with your own credentials, need only an identity policy on
# your user or role (as an administrator of this account, the kernel has one); and services that **poll** (SQS,
# Kinesis, notebook 03) read with the function's *execution role*, not a resource policy.

# %% [markdown] slideshow={"slide_type": "subslide"}
# The clients used throughout: plain boto3, so every cell below also runs unchanged on a real account
# (`LAB_BACKEND=aws`). `lab.lambda_output` only formats responses: `show_invocation` prints an Invoke response,
# `tidy` masks the numbers that change every run, `now_ms` is CloudWatch Logs' clock. `lab.resources` creates
# (or finds) what the lessons need around them (a bucket, a role, a table), tagged and tracked for the cleanup
# cell, so every cell can be run again. A handler is written in a cell that starts `%%lambda_handler NAME`:
# the cell keeps the code in the variable `NAME` (the kernel does not run it; Lambda does), and
# `lab.create_function(function_name, NAME)` deploys it.

# %% slideshow={"slide_type": "fragment"}
import contextlib
import json

import boto3


lam = boto3.client("lambda")
iam = boto3.client("iam")
s3 = boto3.client("s3")
sts = boto3.client("sts")

print("the kernel calls AWS as:", sts.get_caller_identity()["Arn"])

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Who may invoke a function? The resource-based policy
#
# An S3 bucket should call a function for every upload (the lecture's "push" example):
#
# ```mermaid
# sequenceDiagram
#     participant You as You (kernel)
#     participant S3 as Amazon S3
#     participant L as Lambda: nb02-on-upload
#     You->>S3: PutBucketNotificationConfiguration (call nb02-on-upload)
#     S3->>L: may s3.amazonaws.com invoke you, for this bucket?
#     L-->>S3: no statement allows it
#     S3-->>You: 400 InvalidArgument
#     You->>L: AddPermission (Principal s3.amazonaws.com, SourceArn = the bucket)
#     You->>S3: PutBucketNotificationConfiguration again
#     S3-->>You: 200 OK
#     You->>S3: PutObject photos/cat.jpg
#     S3->>L: Invoke (event: ObjectCreated:Put)
# ```
#
# First the function and the bucket. `lab.create_function` zips the source and calls `lambda.create_function` (or
# `update_function_code` when the function exists, so the cell can be run again), with a role that may only write
# logs. `lab.resources.bucket` creates the bucket unless it exists; bucket names are global on AWS, so
# `aws.unique_name` adds a suffix that is this account's (here the account id).

# %% slideshow={"slide_type": "subslide"}
# %%lambda_handler on_upload_code
def handler(event, context):
    for record in event["Records"]:
        print(f"new object: s3://{record['s3']['bucket']['name']}/{record['s3']['object']['key']}")
    return {"records": len(event["Records"])}

# %% slideshow={"slide_type": "fragment"}
fn = lab.create_function("nb02-on-upload", on_upload_code)
with contextlib.suppress(lam.exceptions.ResourceNotFoundException):  # start with no statement (re-runs)
    lam.remove_permission(FunctionName="nb02-on-upload", StatementId="s3-invoke")

BUCKET = lab.resources.bucket(aws.unique_name("nb02-uploads"))
print(fn["FunctionName"], fn["Runtime"], fn["Handler"])
print("role:", fn["Role"])

# %% [markdown] slideshow={"slide_type": "subslide"}
# Ask S3 to call the function for every new object. S3 checks **at configuration time** that the function's policy
# lets `s3.amazonaws.com` invoke it, and refuses otherwise:

# %% slideshow={"slide_type": "fragment"}
notification = {"LambdaFunctionConfigurations": [
    {"Id": "on-upload", "LambdaFunctionArn": fn["FunctionArn"], "Events": ["s3:ObjectCreated:*"]}]}
try:
    s3.put_bucket_notification_configuration(Bucket=BUCKET, NotificationConfiguration=notification)
except s3.exceptions.ClientError as err:
    print(err.response["Error"]["Code"], "—", err.response["Error"]["Message"])

# %% [markdown] slideshow={"slide_type": "subslide"}
# The fix is one statement in the function's resource-based policy. `SourceArn` limits it to *this* bucket and
# `SourceAccount` to this account: without them any bucket, in any account, that knew the function's ARN could
# invoke it ([Tutorial: Using an Amazon S3 trigger](https://docs.aws.amazon.com/lambda/latest/dg/with-s3-example.html)
# [confused deputy](https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html)).

# %% slideshow={"slide_type": "fragment"}
added = lam.add_permission(
    FunctionName="nb02-on-upload",
    StatementId="s3-invoke",
    Action="lambda:InvokeFunction",
    Principal="s3.amazonaws.com",
    SourceArn=f"arn:aws:s3:::{BUCKET}",
    SourceAccount=aws.account_id,
)
s3.put_bucket_notification_configuration(Bucket=BUCKET, NotificationConfiguration=notification)
print("notification configured for", BUCKET)

# %% [markdown] slideshow={"slide_type": "subslide"}
# `get_policy` returns the whole policy as a JSON string. The statement reads: *Allow* the *service* S3 to call
# *lambda:InvokeFunction* on *this function*, on *condition* that the source is this bucket in this account.

# %% slideshow={"slide_type": "fragment"}
policy = json.loads(lam.get_policy(FunctionName="nb02-on-upload")["Policy"])
lab.show(policy["Statement"][0])

# %% [markdown] slideshow={"slide_type": "subslide"}
# Now an upload really invokes the function. S3 invokes **asynchronously**: `put_object` returns at once, and the
# function's log shows the event a moment later (`wait_for_log_events` polls `logs.filter_log_events`).

# %% slideshow={"slide_type": "fragment"}
since = lab.lambda_output.now_ms()
s3.put_object(Bucket=BUCKET, Key="photos/cat.jpg", Body=b"not really a cat")
for line in lab.lambda_output.wait_for_log_events("nb02-on-upload", since_ms=since, pattern='"new object"'):
    print(line)

# %% [markdown] slideshow={"slide_type": "subslide"}
# A statement id is unique within a policy. Running the same `add_permission` again is refused with **409
# ResourceConflictException**: remove the statement first (`remove_permission`), or pick a new id
# ([AddPermission errors](https://docs.aws.amazon.com/lambda/latest/api/API_AddPermission.html#API_AddPermission_Errors)).

# %% slideshow={"slide_type": "fragment"}
try:
    lam.add_permission(FunctionName="nb02-on-upload", StatementId="s3-invoke", Action="lambda:InvokeFunction",
                       Principal="s3.amazonaws.com", SourceArn=f"arn:aws:s3:::{BUCKET}", SourceAccount=aws.account_id)
except lam.exceptions.ResourceConflictException as err:
    print(err.response["ResponseMetadata"]["HTTPStatusCode"], err.response["Error"]["Code"])
    print(err.response["Error"]["Message"])

# %% [markdown] slideshow={"slide_type": "notes"}
# **Speaker notes.** Point at the two conditions in the policy. In the console, the same statement appears under
# Configuration ▸ Permissions ▸ Resource-based policy statements.

# %% [markdown] slideshow={"slide_type": "subslide"}
# > **🤔 Check yourself.** You leave out `SourceArn` and `SourceAccount`. Who can now make `nb02-on-upload` run?
# >
# > <details><summary>Answer</summary>
# >
# > Any S3 bucket, in any AWS account, whose owner knows (or guesses) the function's ARN and points a
# > notification at it: S3 is allowed to invoke on anyone's behalf. AWS calls this the *confused deputy* problem;
# > `SourceArn` and `SourceAccount` pin the permission to your bucket in your account.
# > </details>

# %% [markdown] slideshow={"slide_type": "slide"}
# ## API Gateway as the caller
#
# API Gateway is the other big caller of Lambda functions (notebooks 04 and 05). With a **Lambda proxy
# integration** it hands the whole HTTP request to the function as the event, and turns what the function returns
# into the HTTP response: a dict with `statusCode`, `headers` and `body`, where `body` is a **string**
# ([proxy output format](https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html#api-gateway-simple-proxy-for-lambda-output-format)).
#
# ```mermaid
# flowchart LR
#     client["requests.get(url)"] --> api["REST API nb02-greeter-api<br/>GET /hello, stage prod"]
#     api -- "Invoke as apigateway.amazonaws.com<br/>SourceArn arn:aws:execute-api:…/prod/GET/hello" --> fn["nb02-greeter"]
# ```

# %% slideshow={"slide_type": "subslide"}
# %%lambda_handler greeter_code
import json


def handler(event, context):
    name = (event.get("queryStringParameters") or {}).get("name", "world")
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"},
            "body": json.dumps({"message": f"Hello, {name}!"})}

# %% [markdown] slideshow={"slide_type": "subslide"}
# `greeter_api()` builds the REST API around it (`GET /hello`, deployed to a *stage* called `prod`: a named,
# callable version of the API, notebook 04) and leaves the function's policy empty. API Gateway answers **500**:
# the policy does not let `apigateway.amazonaws.com` invoke the function (the execution log says "Invalid
# permissions on Lambda function").

# %% slideshow={"slide_type": "-"}
import requests

from lab_support.exercises.nb02 import greeter_api

lab.create_function("nb02-greeter", greeter_code)
api_id = greeter_api()
url = aws.stage_url(api_id, "prod", "hello")
lab.show(requests.get(url))

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The ARN of an API call
#
# When API Gateway invokes a function, the `SourceArn` is the ARN of the method being called
# ([Invoking Lambda with API Gateway](https://docs.aws.amazon.com/lambda/latest/dg/services-apigateway.html)):
#
# `arn:aws:execute-api:{region}:{account}:{api_id}/{stage}/{METHOD}/{resource path}`
#
# For this API: `…:{api_id}/prod/GET/hello`. A `*` stands for any value of one part: `{api_id}/*/GET/hello`
# lets every stage of *this* API call `GET /hello`, and nothing else.

# %% slideshow={"slide_type": "fragment"}
source_arn = f"arn:aws:execute-api:{aws.region}:{aws.account_id}:{api_id}/*/GET/hello"
lam.add_permission(FunctionName="nb02-greeter", StatementId="apigateway-get-hello",
                   Action="lambda:InvokeFunction", Principal="apigateway.amazonaws.com", SourceArn=source_arn)
lab.show(requests.get(url + "?name=Ada"))

# %% [markdown] slideshow={"slide_type": "subslide"}
# A colleague wrote version 2 of the greeter: it greets in the language `?lang=` asks for.

# %% slideshow={"slide_type": "-"}
# %%lambda_handler greeter_v2
import json

GREETINGS = {"en": "Hello", "fr": "Bonjour", "de": "Hallo"}


def handler(event, context):
    query = event.get("queryStringParameters") or {}
    greeting = GREETINGS.get(query.get("lang", "en"), "Hello")
    body = {"message": f"{greeting}, {query.get('name', 'world')}!"}
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": body}

# %% [markdown] slideshow={"slide_type": "fragment"}
# ### Exercise 02.1 · Fix: a greeter that answers 502
#
# Once version 2 is deployed (the cell below does it), `GET /hello` answers **502 Bad Gateway**. Fix the
# handler in the `%%lambda_handler greeter_v2` cell above (keep the new feature), run that cell again, then the
# next one: it deploys your code and checks `GET /hello?name=Ada&lang=fr` through the API.

# %% slideshow={"slide_type": "-"}
# YOUR CODE HERE: fix the cell above, run it, then this one
lab.create_function("nb02-greeter", greeter_v2)

lab.check("02.1")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What may the function call? The execution role
#
# Lambda assumes the function's **execution role** for each execution environment and hands the code temporary
# credentials for it; boto3 in the handler picks them up from the environment. So the code can do exactly what the
# role's policies allow, and nothing the kernel's (administrator) credentials allow.
#
# ```mermaid
# flowchart LR
#     kernel["kernel<br/>(your credentials)"] -- "s3:PutObject ✔" --> bucket[("nb02-uploads-…")]
#     fn["nb02-notes-writer<br/>assumed-role/nb02-writer-role"] -- "s3:PutObject ✘ then ✔" --> bucket
#     fn -- "dynamodb:PutItem ✘" --> table[("nb02-notes table")]
# ```
#
# A role Lambda can assume has a **trust policy** naming `lambda.amazonaws.com`, and, to write its logs, the
# permissions of the managed policy `AWSLambdaBasicExecutionRole`. This cell creates one that can do nothing else:
# `lab.resources.execution_role` creates the role (trusting `lambda.amazonaws.com`) or finds it, and sets exactly
# the policies it is given, so running the cell again strips whatever was added later.

# %% slideshow={"slide_type": "subslide"}
LOGS_ONLY = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"], "Resource": "*"}]}

writer_role = lab.resources.execution_role("nb02-writer-role", inline={"logs": LOGS_ONLY})  # one inline policy, nothing else
writer_role

# %% [markdown] slideshow={"slide_type": "subslide"}
# A function that saves a note to S3 (`{"to": "s3"}`) or to a DynamoDB table (`{"to": "dynamodb"}`) and says who
# it is:

# %% slideshow={"slide_type": "fragment"}
# %%lambda_handler writer_code
import os

import boto3


def handler(event, context):
    who = boto3.client("sts").get_caller_identity()["Arn"]
    if event["to"] == "s3":
        key = f"notes/{event['id']}.txt"
        boto3.client("s3").put_object(Bucket=os.environ["BUCKET"], Key=key, Body=event["text"].encode())
        return {"who": who, "saved": f"s3://{os.environ['BUCKET']}/{key}"}
    item = {"id": {"S": event["id"]}, "text": {"S": event["text"]}}
    boto3.client("dynamodb").put_item(TableName="nb02-notes", Item=item)
    return {"who": who, "saved": f"dynamodb nb02-notes id={event['id']}"}

# %% [markdown] slideshow={"slide_type": "subslide"}
# The table (`lab.resources.table` creates it or finds it), and the function, deployed with the logs-only role:

# %% slideshow={"slide_type": "-"}
lab.resources.table("nb02-notes", key="id")
writer = lab.create_function("nb02-notes-writer", writer_code, role=writer_role,
                             Environment={"Variables": {"BUCKET": BUCKET}})
writer["Role"]

# %% [markdown] slideshow={"slide_type": "subslide"}
# The handler tries to write to S3. The call reaches S3 **signed with the role's credentials**, and S3 refuses:
# error code `AccessDenied`, naming the assumed role (`assumed-role/<role>/<function name>`), the action and the
# object. The handler does not catch it, so the invocation fails (`FunctionError: Unhandled`):

# %% slideshow={"slide_type": "fragment"}
response = lam.invoke(FunctionName="nb02-notes-writer", Payload=json.dumps({"to": "s3", "id": "1", "text": "hi"}))
lab.lambda_output.show_invocation(response)

# %% [markdown] slideshow={"slide_type": "fragment"}
# DynamoDB says the same thing with its own error code, `AccessDeniedException`; boto3 has no class of that name
# for DynamoDB, so the handler sees a plain `ClientError`. The message format is shared by all services
# ([Troubleshoot access denied error messages](https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html)).

# %% slideshow={"slide_type": "-"}
response = lam.invoke(FunctionName="nb02-notes-writer", Payload=json.dumps({"to": "dynamodb", "id": "1", "text": "hi"}))
lab.lambda_output.show_invocation(response)

# %% [markdown] slideshow={"slide_type": "subslide"}
# The bucket is not locked: the **kernel's** own calls use your credentials, not the function's role, and are
# unaffected.

# %% slideshow={"slide_type": "fragment"}
s3.put_object(Bucket=BUCKET, Key="notes/from-the-kernel.txt", Body=b"written by you")
print("the kernel wrote:", [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix="notes/")["Contents"]])

# %% [markdown] slideshow={"slide_type": "subslide"}
# Grant exactly what the code needs: `s3:PutObject`, on the `notes/` prefix of this bucket. The next invocation
# works; DynamoDB is still refused, because nothing grants `dynamodb:PutItem` (least privilege).
# On a real account a new policy can take a few seconds to apply (IAM is eventually consistent): re-run the
# invoke cell if it is still denied.

# %% slideshow={"slide_type": "fragment"}
iam.put_role_policy(RoleName="nb02-writer-role", PolicyName="write-notes", PolicyDocument=json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{BUCKET}/notes/*"}],
}))
lab.lambda_output.show_invocation(lam.invoke(FunctionName="nb02-notes-writer", Payload=json.dumps({"to": "s3", "id": "1", "text": "hi"})))

# %% slideshow={"slide_type": "fragment"}
lab.lambda_output.show_invocation(lam.invoke(FunctionName="nb02-notes-writer", Payload=json.dumps({"to": "dynamodb", "id": "1", "text": "hi"})))

# %% [markdown] slideshow={"slide_type": "notes"}
# **Speaker notes.** Stress the asymmetry: the *same* bucket accepts the kernel's write and refuses the function's.
# Permissions follow the caller's credentials, and inside Lambda those are the execution role's. The
# error message names the assumed-role ARN, which is exactly what to search for in the IAM console. On AWS the
# managed policy `AWSLambdaBasicExecutionRole` gives the same logs-only rights as the inline `logs` policy here.

# %% [markdown] slideshow={"slide_type": "subslide"}
# > **🤔 Check yourself.** The kernel can write to the bucket and the function cannot, although both run in the
# > same account. Why?
# >
# > <details><summary>Answer</summary>
# >
# > Each call is checked against the credentials that signed it. The kernel signs with yours (an administrator
# > here); the handler signs with the temporary credentials of the role Lambda assumed for it, and that role's
# > policies allowed only logs until `write-notes` was added.
# > </details>

# %% [markdown] slideshow={"slide_type": "slide"}
# ## A guestbook that cannot write
#
# The next cell prepares a guestbook: a table `nb02-guestbook` and a function `nb02-guestbook` that puts one item
# per invocation, with its own role `nb02-guestbook-role`. Its author says the role "has the DynamoDB permission".
# It fails all the same:

# %% slideshow={"slide_type": "-"}
from lab_support.exercises.nb02 import prepare_02_2

guestbook_table_arn = prepare_02_2()
print("table:", guestbook_table_arn)
lab.lambda_output.show_invocation(lam.invoke(FunctionName="nb02-guestbook", Payload=json.dumps({"name": "ada", "message": "hello"})))

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 02.2 · Diagnose: a guestbook that may not write
#
# Find out why the guestbook is refused, although its role has a DynamoDB policy, and fix the **role** (not the
# function), granting no more than the code needs. Read the error message part by part, then the role's policies.
# The check invokes the function and looks for its item in the table.

# %% slideshow={"slide_type": "-"}
# YOUR CODE HERE

lab.check("02.2")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Three ways to invoke: RequestResponse, Event, DryRun
#
# The `InvocationType` of the [Invoke API](https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html):
#
# | InvocationType | what happens | status code | payload back |
# |---|---|---|---|
# | `RequestResponse` (default) | runs now, you wait for the result | 200 | the handler's return value (or the error) |
# | `Event` | queued; Lambda runs it soon, retrying on errors | 202 | none |
# | `DryRun` | checks the parameters and your permission, runs nothing | 204 | none |
#
# ```mermaid
# sequenceDiagram
#     participant C as caller
#     participant L as Lambda
#     participant H as handler
#     C->>L: Invoke (RequestResponse)
#     L->>H: event
#     H-->>L: return value
#     L-->>C: 200 + payload
#     C->>L: Invoke (Event)
#     L-->>C: 202 (queued)
#     L->>H: event, later
# ```
#
# The function used from here on counts its invocations in a module-level variable:

# %% slideshow={"slide_type": "subslide"}
# %%lambda_handler hello_code
invocations = 0  # module level: runs once per execution environment (at the cold start)


def handler(event, context):
    global invocations
    invocations += 1
    name = event.get("name", "world")
    print(f"Hello, {name}!")
    return {"greeting": f"Hello, {name}!", "invocations_in_this_environment": invocations,
            "version": context.function_version}

# %% slideshow={"slide_type": "fragment"}
lab.create_function("nb02-hello", hello_code)["FunctionArn"]

# %% slideshow={"slide_type": "subslide"}
response = lam.invoke(FunctionName="nb02-hello", InvocationType="RequestResponse", Payload=json.dumps({"name": "Ada"}))
lab.lambda_output.show_invocation(response)

# %% [markdown] slideshow={"slide_type": "fragment"}
# `Event` returns **202** at once with an empty payload; the handler's output only shows up in its log:

# %% slideshow={"slide_type": "-"}
since = lab.lambda_output.now_ms()
response = lam.invoke(FunctionName="nb02-hello", InvocationType="Event", Payload=json.dumps({"name": "Grace"}))
lab.lambda_output.show_invocation(response)
print("later, in the log:", lab.lambda_output.wait_for_log_events("nb02-hello", since_ms=since, pattern='"Hello, Grace"'))

# %% [markdown] slideshow={"slide_type": "fragment"}
# `DryRun` answers **204** and runs nothing: a cheap way to check that a function exists and that you may invoke it.

# %% slideshow={"slide_type": "-"}
lab.lambda_output.show_invocation(lam.invoke(FunctionName="nb02-hello", InvocationType="DryRun", Payload=b"{}"))

# %% [markdown] slideshow={"slide_type": "subslide"}
# So far the function worked. This one always fails:

# %% slideshow={"slide_type": "-"}
# %%lambda_handler failing_code
def handler(event, context):
    raise RuntimeError(f"the payment service is down, cannot take order {event['order']}")

# %% slideshow={"slide_type": "-"}
lab.create_function("nb02-failing", failing_code)["State"]

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 02.3 · Predict: a failing function, called two ways
#
# A caller invokes `nb02-failing` with `{"order": 42}`, once with `RequestResponse` and once with `Event`. What
# does the caller get back each time: a status code (`200`, `202`, `204`, `500`), or an `"exception"` raised by
# boto3? Record both, then run the cell: the check makes the two calls and compares.

# %% slideshow={"slide_type": "-"}
# YOUR CODE HERE: replace each ... with your prediction
prediction = {"RequestResponse": ..., "Event": ...}

lab.check("02.3", prediction=prediction)

# %% [markdown] slideshow={"slide_type": "subslide"}
# > **📅 Update to the lecture notes.** The notes list push and pull modes but not the invocation types, and the
# > payload quotas they carry have changed: a synchronous request or response may be up to **6 MB**, an
# > asynchronous (`Event`) request up to **1 MB** (256 KB until 2025; the deprecated `InvokeAsync` API still
# > has the old limit). See [Invoke](https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html) and
# > [Lambda quotas](https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html).

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Cold and warm starts, and the logs
#
# Lambda runs a function in an **execution environment**. The first invocation creates one (a **cold start**:
# start the runtime, import the module, run module-level code: the *Init* phase); later invocations reuse it while
# it is **warm**, so module-level state survives between them
# ([execution environment lifecycle](https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html)).
# Changing the code or configuration retires the old environments, so the next invocation is cold again.
# `LogType="Tail"` returns the last 4 KB of the invocation's log with the response:

# %% slideshow={"slide_type": "subslide"}
# a configuration change (here a new environment variable) retires the warm environments
lab.create_function("nb02-hello", hello_code, Environment={"Variables": {"GREETING_STYLE": "friendly"}})
for name in ["Ada", "Grace", "Linus"]:
    response = lam.invoke(FunctionName="nb02-hello", Payload=json.dumps({"name": name}), LogType="Tail")
    print(lab.lambda_output.read_payload(response))
    print("   ", next(line for line in lab.lambda_output.log_tail(response).splitlines() if line.startswith("REPORT")))

# %% [markdown] slideshow={"slide_type": "fragment"}
# The counter goes 1, 2, 3: one environment served all three. Only the first **REPORT** line carries an
# `Init Duration`, the time of the cold start ([Python logging](https://docs.aws.amazon.com/lambda/latest/dg/python-logging.html)).
# Since 1 August 2025 the Init phase is billed for every function; before, it was free for functions packaged
# as ZIP files on managed runtimes, such as this one
# ([AWS Lambda standardizes billing for INIT Phase](https://aws.amazon.com/blogs/compute/aws-lambda-standardizes-billing-for-init-phase/)).

# %% [markdown] slideshow={"slide_type": "subslide"}
# Every invocation writes to the log group `/aws/lambda/<function name>` in CloudWatch Logs, one stream per
# execution environment: `START`, whatever the handler printed, `END`, and the `REPORT` line
# ([Lambda function logs](https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs.html)). Read
# them with `logs.filter_log_events`, here for the last invocation's request id:

# %% slideshow={"slide_type": "fragment"}
logs = boto3.client("logs")
request_id = response["ResponseMetadata"]["RequestId"]  # the last invocation above: the same id as in its logs
events = logs.filter_log_events(logGroupName="/aws/lambda/nb02-hello", filterPattern=f'"{request_id}"')["events"]
for event in events:
    print(lab.lambda_output.tidy(event["message"]))

# %% [markdown] slideshow={"slide_type": "notes"}
# **Speaker notes.** The response's `x-amzn-RequestId` header (boto3's `ResponseMetadata.RequestId`) is the
# invocation's request id, the one on its START, END and REPORT lines.

# %% [markdown] slideshow={"slide_type": "subslide"}
# > **🤔 Check yourself.** Besides the counter, what belongs at module level, and what must never live there?
# >
# > <details><summary>Answer</summary>
# >
# > Whatever is expensive and can be reused while the environment is warm: clients (`boto3.client(...)`),
# > database connections, loaded configuration or models. Never per-request data (the caller's identity, the
# > order being processed): the next request, maybe another user's, runs in the same environment and would see it.
# > </details>

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Versions and aliases
#
# `publish_version` freezes the current code and configuration as a numbered, immutable **version**; an **alias**
# is a named pointer to a version, optionally sending a share of the traffic to a second one
# ([versions](https://docs.aws.amazon.com/lambda/latest/dg/configuration-versions.html),
# [aliases](https://docs.aws.amazon.com/lambda/latest/dg/configuration-aliases.html),
# [weighted aliases](https://docs.aws.amazon.com/lambda/latest/dg/configuring-alias-routing.html)).
#
# ```mermaid
# flowchart LR
#     caller["invoke nb02-hello:live"] --> alias{{"alias live"}}
#     alias -- "80 %" --> v1["version 1<br/>Hello"]
#     alias -- "20 %" --> v2["version 2<br/>Howdy"]
#     latest["$LATEST<br/>(editable)"] -. "publish_version" .-> v2
# ```

# %% slideshow={"slide_type": "subslide"}
v1 = lam.publish_version(FunctionName="nb02-hello", Description="says Hello")["Version"]
lab.create_function("nb02-hello", hello_code.replace("Hello, ", "Howdy, "))  # new code in $LATEST
v2 = lam.publish_version(FunctionName="nb02-hello", Description="says Howdy")["Version"]

routing = {"AdditionalVersionWeights": {v2: 0.2}}  # 20 % to version 2, the rest to version 1
try:
    alias = lam.create_alias(FunctionName="nb02-hello", Name="live", FunctionVersion=v1, RoutingConfig=routing)
except lam.exceptions.ResourceConflictException:  # already there (cell run again)
    alias = lam.update_alias(FunctionName="nb02-hello", Name="live", FunctionVersion=v1, RoutingConfig=routing)
print(f"versions {v1} and {v2}; alias {alias['Name']} -> {alias['FunctionVersion']}, routing {alias['RoutingConfig']}")

# %% [markdown] slideshow={"slide_type": "fragment"}
# A **qualifier** picks what to run: a version, an alias, or `$LATEST` (the default).

# %% slideshow={"slide_type": "-"}
for qualifier in [v1, v2, "$LATEST"]:
    response = lam.invoke(FunctionName="nb02-hello", Qualifier=qualifier, Payload=json.dumps({"name": "Ada"}))
    print(f"{qualifier:>8}: {lab.lambda_output.read_payload(response)['greeting']}  (ExecutedVersion {response['ExecutedVersion']})")

# %% [markdown] slideshow={"slide_type": "subslide"}
# Invoking the alias 100 times: each invocation picks a version at random, with the alias's weights, and
# `ExecutedVersion` says which one ran. The counts vary from run to run around 80 / 20.

# %% slideshow={"slide_type": "fragment"} tags=["nbval-ignore-output"]
# nbval-ignore-output: weighted routing is random, so the counts change every run.
from collections import Counter

served = Counter(
    lam.invoke(FunctionName="nb02-hello", Qualifier="live", Payload=b"{}")["ExecutedVersion"] for _ in range(100))
print(f"version {v1}: {served[v1]} invocations, version {v2}: {served[v2]} (weights 0.8 / 0.2)")

# %% slideshow={"slide_type": "subslide"}
import matplotlib.pyplot as plt

fig, ax = plt.subplots(figsize=(8, 4.5), layout="constrained")
ax.bar([f"version {v1}\n(weight 0.8)", f"version {v2}\n(weight 0.2)"], [served[v1], served[v2]], color=["C0", "C1"])
ax.axhline(80, color="C0", linestyle="--", linewidth=1.5)
ax.axhline(20, color="C1", linestyle="--", linewidth=1.5)
ax.set(title="100 invocations of nb02-hello:live", ylabel="invocations served")
plt.show()

# %% [markdown] slideshow={"slide_type": "notes"}
# **Speaker notes.** This is a canary release: shift the weight step by step (`update_alias`) and watch errors, then
# point the alias at version 2 alone. Callers (API Gateway, S3, event source mappings) should use the alias ARN, so
# a release never touches them. Permissions can be granted per alias too: `add_permission(..., Qualifier="live")`.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Concurrency and throttling
#
# Each execution environment handles **one request at a time**, so a function's *concurrency* is the number of
# requests it is handling right now. An account has 1,000 concurrent executions per Region by default, shared by
# all its functions; **reserved concurrency** (`put_function_concurrency`) sets aside some of them for one
# function and is also its ceiling ([Lambda function scaling](https://docs.aws.amazon.com/lambda/latest/dg/lambda-concurrency.html),
# [reserved concurrency](https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html)).
# Past the ceiling Lambda **throttles**: a synchronous caller gets **429 `TooManyRequestsException`** at once; an
# asynchronous event is kept and retried for up to 6 hours
# ([asynchronous error handling](https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html)).

# %% slideshow={"slide_type": "subslide"}
# %%lambda_handler slow_code
import time


def handler(event, context):
    time.sleep(1)  # one request keeps the only environment busy for a second
    print(f"done {event['n']}")
    return "done"

# %% slideshow={"slide_type": "fragment"}
if aws.backend == "aws" and (lab.resources.unreserved_concurrency() or 1000) <= 10:
    lab.skip_on_aws("Lambda keeps 10 concurrent executions unreserved, and new accounts often have only 10 in all")
lab.create_function("nb02-slow", slow_code, Timeout=5)
lam.put_function_concurrency(FunctionName="nb02-slow", ReservedConcurrentExecutions=1)["ReservedConcurrentExecutions"]

# %% [markdown] slideshow={"slide_type": "subslide"}
# Two synchronous calls at the same moment. botocore retries a 429 by itself, so this client is told not to:

# %% slideshow={"slide_type": "-"}
from concurrent.futures import ThreadPoolExecutor

from botocore.config import Config

no_retries = aws.client("lambda", config=Config(retries={"total_max_attempts": 1}))

# %% slideshow={"slide_type": "-"}
def call_slow(n):
    try:
        return lab.lambda_output.read_payload(no_retries.invoke(FunctionName="nb02-slow", Payload=json.dumps({"n": n})))
    except no_retries.exceptions.TooManyRequestsException as err:
        return f"{err.response['ResponseMetadata']['HTTPStatusCode']} {err.response['Error']['Code']} ({err.response['Reason']})"


with ThreadPoolExecutor(2) as pool:
    print(*sorted(pool.map(call_slow, [1, 2]), reverse=True), sep="\n")  # which of the two wins varies

# %% [markdown] slideshow={"slide_type": "subslide"}
# An asynchronous event that arrives while the function is busy is not lost: it waits and runs when the environment
# is free.

# %% slideshow={"slide_type": "-"}
import time

since = lab.lambda_output.now_ms()
with ThreadPoolExecutor(1) as pool:
    busy = pool.submit(call_slow, 3)  # keeps the environment busy for a second
    time.sleep(0.2)
    print("Event while busy:", lam.invoke(FunctionName="nb02-slow", InvocationType="Event",
                                          Payload=json.dumps({"n": 4}))["StatusCode"])
    print("synchronous call:", busy.result())
lab.wait_idle()
ran = lab.until(lambda: lab.lambda_output.wait_for_log_events("nb02-slow", since_ms=since, pattern='"done 4"', timeout=0),
                what="the queued event's log line")
print("the event ran later:", ran != [])

# %% [markdown] slideshow={"slide_type": "slide"}
# ## When things go wrong
#
# Each failure below is made on purpose, once, as it happens to students, followed by an invocation that works.
# Errors raised *by your function* still give **200**; the response has `FunctionError: Unhandled` and an error
# object as payload ([Python errors](https://docs.aws.amazon.com/lambda/latest/dg/python-exceptions.html),
# [troubleshooting invocation](https://docs.aws.amazon.com/lambda/latest/dg/troubleshooting-invocation.html)).
# Errors in the *request* (payload too large, a role Lambda cannot assume) are refused before anything runs, as
# exceptions in the caller.
#
# | what went wrong | `errorType` / error code | the environment afterwards |
# |---|---|---|
# | the handler raises | the exception's class, e.g. `ValueError` | kept (warm) |
# | it runs longer than `Timeout` | `Sandbox.Timedout` | replaced |
# | the handler module cannot be imported | `Runtime.ImportModuleError` | replaced |
# | the handler function does not exist | `Runtime.HandlerNotFound` | replaced |
# | the return value is not JSON-serialisable | `Runtime.MarshalError` | kept |
# | the process exits (`sys.exit`) | `Runtime.ExitError` | replaced |
# | it uses more than `MemorySize` | `Runtime.OutOfMemory` | replaced |
# | the request payload is over 6 MB | `RequestEntityTooLargeException` (413) | nothing ran |
# | the role does not trust Lambda | `InvalidParameterValueException` at create | no function |
#
# One function does it all, with a 1-second timeout and 128 MB, the smallest memory size Lambda allows
# ([memory](https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html)). It reports whether it ran in
# a fresh environment:

# %% slideshow={"slide_type": "subslide"}
# %%lambda_handler moody_code
import datetime, sys, time
fresh = True  # module level: True only for the first invocation in an environment

def handler(event, context):
    global fresh
    cold, fresh = fresh, False
    what = event.get("do", "ok")
    if what == "raise":
        raise ValueError(f"cannot handle {event}")
    time.sleep(5 if what == "sleep" else 0)
    if what == "exit":
        sys.exit(1)
    hog = "x" * (256 * 1024 * 1024) if what == "hog" else ""  # 256 MB of text in a 128 MB function
    return {"now": datetime.datetime.now()} if what == "datetime" else {"ok": True, "fresh_environment": cold}

# %% slideshow={"slide_type": "fragment"}
lab.create_function("nb02-moody", moody_code, Timeout=1, MemorySize=128)


def call(event, **kwargs):
    """Invoke nb02-moody with `event` and print the response."""
    lab.lambda_output.show_invocation(lam.invoke(FunctionName="nb02-moody", Payload=json.dumps(event), **kwargs))


call({"do": "ok"})

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### An unhandled exception
#
# The payload carries `errorMessage`, `errorType` and `stackTrace`; the same lines are in the log. The environment
# survives: the next invocation is warm (`fresh_environment: false`).

# %% slideshow={"slide_type": "fragment"}
call({"do": "raise"}, LogType="Tail")
print("\nnext:")
call({"do": "ok"})

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### A timeout
#
# After `Timeout` seconds (1 s here; 3 s by default, 900 s at most) Lambda stops the invocation. The log gets
# "Task timed out after 1.00 seconds" and the REPORT line `Status: timeout`; the environment is replaced.

# %% slideshow={"slide_type": "fragment"}
call({"do": "sleep"}, LogType="Tail")
print("\nnext:")
call({"do": "ok"})

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### A result that is not JSON
#
# The return value travels back as JSON. A `datetime` is not JSON-serialisable: the handler ran to the end, but
# the runtime cannot send its result.

# %% slideshow={"slide_type": "fragment"}
call({"do": "datetime"})
print("\nnext:")
call({"do": "ok"})

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### A handler that exits the process, and one that runs out of memory
#
# `sys.exit()` ends the runtime itself: Lambda reports `Runtime.ExitError` with the exit status. A function that
# uses more memory than its `MemorySize` is killed: `Runtime.OutOfMemory`, "signal: killed". Both need a new
# environment.

# %% slideshow={"slide_type": "fragment"}
call({"do": "exit"})
print("\nnext:")
call({"do": "ok"})

# %% slideshow={"slide_type": "subslide"}
call({"do": "hog"}, LogType="Tail")
print("\nnext:")
call({"do": "ok"})

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### A payload over the quota
#
# A synchronous request may carry at most 6 MB (6,291,456 bytes). Lambda refuses a larger one before anything
# runs, with **413 RequestEntityTooLargeException** ([Invoke errors](https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html#API_Invoke_Errors)):

# %% slideshow={"slide_type": "fragment"}
too_big = json.dumps({"do": "ok", "padding": "x" * (6 * 1024 * 1024)})
print(f"payload: {len(too_big):,} bytes")
try:
    lam.invoke(FunctionName="nb02-moody", Payload=too_big)
except lam.exceptions.ClientError as err:
    print(err.response["ResponseMetadata"]["HTTPStatusCode"], err.response["Error"]["Code"], "—", err.response["Error"]["Message"])
print("\nnext:")
call({"do": "ok"})

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The handler setting points at nothing
#
# `Handler` is `module.function`. Name a module that is not in the package, and the Init phase fails with
# `Runtime.ImportModuleError`; name a function the module does not have, and it fails with
# `Runtime.HandlerNotFound`. (A missing third-party package, say `import requests`, gives the same
# `ImportModuleError`: Lambda's Python runtime includes boto3 but not `requests`.)

# %% slideshow={"slide_type": "fragment"}
# %%lambda_handler good_code
def handler(event, context):
    return {"ok": True}

# %% slideshow={"slide_type": "-"}
lab.create_function("nb02-broken", good_code, handler="main.handler")  # the file in the zip is app.py
lab.lambda_output.show_invocation(lam.invoke(FunctionName="nb02-broken", Payload=b"{}"))


# %% slideshow={"slide_type": "subslide"}
def set_handler(handler):
    lam.update_function_configuration(FunctionName="nb02-broken", Handler=handler)
    lam.get_waiter("function_updated_v2").wait(FunctionName="nb02-broken")


set_handler("app.lambda_handler")  # the module is right, the function name is not
lab.lambda_output.show_invocation(lam.invoke(FunctionName="nb02-broken", Payload=b"{}"))
print("\nfixed (app.handler):")
set_handler("app.handler")
lab.lambda_output.show_invocation(lam.invoke(FunctionName="nb02-broken", Payload=b"{}"))

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### A role Lambda cannot assume
#
# The execution role must **trust** `lambda.amazonaws.com`. A role made for EC2 is refused when the function is
# created ([execution role](https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html)):

# %% slideshow={"slide_type": "fragment"}
ec2_role = lab.resources.execution_role("nb02-ec2-role", inline={"logs": LOGS_ONLY}, trust_service="ec2.amazonaws.com")
print(json.dumps(iam.get_role(RoleName="nb02-ec2-role")["Role"]["AssumeRolePolicyDocument"]["Statement"][0]))
with contextlib.suppress(lam.exceptions.ResourceNotFoundException):
    lam.delete_function(FunctionName="nb02-misconfigured")  # start without it (re-runs)
try:
    lam.create_function(FunctionName="nb02-misconfigured", Runtime="python3.13", Role=ec2_role, Handler="app.handler",
                        Code={"ZipFile": lab.lambda_zip(good_code)}, Tags=aws.tags)
except lam.exceptions.InvalidParameterValueException as err:
    print(err.response["Error"]["Code"], "—", err.response["Error"]["Message"])

# %% [markdown] slideshow={"slide_type": "subslide"}
# Fix the trust policy, and the same function is created and runs (`lab.create_function` retries for a few
# seconds on a real account, where a changed trust policy takes a moment to apply):

# %% slideshow={"slide_type": "-"}
TRUST_LAMBDA = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
iam.update_assume_role_policy(RoleName="nb02-ec2-role", PolicyDocument=json.dumps(TRUST_LAMBDA))
lab.create_function("nb02-misconfigured", good_code, role=ec2_role)
lab.lambda_output.show_invocation(lam.invoke(FunctionName="nb02-misconfigured", Payload=b"{}"))

# %% [markdown] slideshow={"slide_type": "notes"}
# **Speaker notes.** On AWS the same errors appear in the console's Test tab and in CloudWatch Logs; the local
# runtime copies their wording from the AWS Python runtime interface client. Use the check-yourself box below
# before each "next" call when presenting: ask the room first.

# %% [markdown] slideshow={"slide_type": "subslide"}
# > **🤔 Check yourself.** After which of the failures above was the next invocation a cold start
# > (`fresh_environment: true`), and why?
# >
# > <details><summary>Answer</summary>
# >
# > After the timeout, the exit and the out-of-memory kill: the process was stopped or died, so Lambda replaced
# > the environment. After the exception and the marshal error the runtime caught the problem and the process
# > lived on (warm). The 413 never reached the function, so its environment stayed warm too.
# > </details>

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - **Who may invoke** a function: its resource-based policy. `add_permission` with a service `Principal`, scoped by
#   `SourceArn` (for API Gateway `arn:aws:execute-api:{region}:{account}:{api_id}/{stage}/{METHOD}/{path}`).
# - **What the function may call**: its execution role, which must trust `lambda.amazonaws.com`. A missing
#   permission is an `AccessDenied`/`AccessDeniedException` naming the role, the action and the resource.
# - A Lambda proxy response is `statusCode`, `headers` and a string `body`; anything else is a 502.
# - `RequestResponse` → 200 and the result (or `FunctionError`); `Event` → 202, runs later; `DryRun` → 204.
# - A cold start runs module-level code once per environment and shows as `Init Duration` (billed since
#   1 August 2025).
# - Versions are immutable; aliases point at one, or split traffic between two.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## Questionnaire
#
# 1. S3 should invoke your function for uploads to one bucket. Which policy do you change, with which call, and
#    which two conditions keep other buckets out?
# 2. Your handler calls `s3.put_object` and gets `AccessDenied`, although you can upload to that bucket from
#    your laptop. Why, and what do you change?
# 3. Write the `SourceArn` that lets every stage of API `a1b2c3` call `POST /orders` in account 111122223333,
#    Region eu-west-1.
# 4. A function behind a Lambda proxy integration returns `{"statusCode": 200, "body": {"ok": true}}`. What does
#    the client get, and how do you fix it?
# 5. A synchronous invoke answers `StatusCode: 200`. Did the function succeed?
# 6. Which of these replace the execution environment: an exception, a timeout, `sys.exit()`, running out of memory?

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Clean up
#
# Deletes what this notebook created (functions, roles, the bucket, the tables, the API) and the functions' log
# groups, which Lambda created for them.

# %% slideshow={"slide_type": "-"}
for group in logs.describe_log_groups(logGroupNamePrefix="/aws/lambda/nb02-")["logGroups"]:
    logs.delete_log_group(logGroupName=group["logGroupName"])
lab.cleanup()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Next
#
# [03 · Push vs pull](03_push_vs_pull.ipynb): S3 and SNS push events to functions, SQS and Kinesis are polled,
# and what happens to an asynchronous event that keeps failing.
