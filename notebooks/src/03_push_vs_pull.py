# %% [markdown] slideshow={"slide_type": "slide"}
# # 03 · Push vs pull
#
# A Lambda function does nothing until something invokes it. Some AWS services **push** events to the function
# (S3 tells Lambda "an object was created"); for others, queues and streams, Lambda itself **pulls**: it polls the
# source and invokes the function with batches of records. This notebook builds both, for real: uploads that
# trigger a function, a queue and a stream that Lambda reads, failures, retries and dead-letter queues.
#
# **Learning objectives**
# - tell push (S3, SNS…) from pull (SQS, Kinesis…: an *event source mapping*), and say who needs which permission
# - connect an S3 bucket to a function: resource-based policy, notification, prefix/suffix filters, the event shape
# - explain what Lambda does when an asynchronous invocation fails: retries, `MaximumRetryAttempts`, destinations
# - connect an SQS queue to a function: execution-role permissions, `BatchSize`, batching window, deletes on
#   success, retries after the visibility timeout, redrive to a dead-letter queue, partial batch responses
# - read a Kinesis stream in order per shard, from `TRIM_HORIZON` or `LATEST`
#
# **Time**: about 90 minutes
#
# **Prerequisites**: [00 · Start here](00_start_here.ipynb); notebook 02 (execution roles, resource-based
# policies, synchronous and asynchronous invocation) helps.

# %% slideshow={"slide_type": "skip"}
import lab_support as lab
aws = lab.start()
lab.use_course_style()
aws

# %% [markdown] slideshow={"slide_type": "subslide"}
# Before a notebook creates anything, it says what that costs: on a real account `lab.costs` lists the billable
# resources with their prices; here, on the embedded backend, it prints one line.

# %% slideshow={"slide_type": "-"}
lab.costs("03")

# %% [markdown] slideshow={"slide_type": "notes"}
# **Speaker notes.** Run all cells before presenting (about 30 s). Handlers really run in worker processes;
# S3, SQS and Kinesis are moto, and the Lambda service's pollers and asynchronous queue are `lab_support`'s.
# AWS's fixed delays (1 and 2 minutes between async retries, the 30 s visibility timeout, batching windows) run
# on a fast clock: `lab.time_scale = 60` AWS seconds per local second. Say so when the retry cell pauses for 3 s.
# Everything a student types is plain boto3 and runs unchanged on a real account (slowly: real minutes).

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Two ways an event reaches a function
#
# The lecture notes: **push mode**, "an external service pushes an event into Lambda and triggers the function
# … e.g. S3 Event Notification … the service that's the source of the event requires rights to invoke the Lambda
# function"; **pull mode**, "services like SQS and Kinesis … Lambda as a service polls them for events and
# invokes the Lambda function."
#
# ```mermaid
# flowchart LR
#     subgraph push["push: the source invokes"]
#         up["you: PutObject"] --> s3[("S3 bucket")]
#         s3 -- "Invoke (async), as s3.amazonaws.com<br/>allowed by the function's resource policy" --> f1["function"]
#     end
#     subgraph pull["pull: Lambda polls"]
#         prod["producer: SendMessage"] --> q[("SQS queue")]
#         esm["event source mapping<br/>(Lambda's poller)"] -- "ReceiveMessage, DeleteMessage<br/>with the function's execution role" --> q
#         esm -- "Invoke (sync), a batch" --> f2["function"]
#     end
# ```
#
# Who needs permission differs: in push mode **the source** must be allowed to invoke the function (its
# *resource-based policy*); in pull mode **the function's execution role** must be allowed to read the source.

# %% [markdown] slideshow={"slide_type": "subslide"}
# > **📅 Update to the lecture notes.** The notes name SQS and Kinesis as the pull sources. AWS now calls the
# > pulling resource an **event source mapping** and lists more sources: Amazon SQS, Amazon Kinesis, Amazon
# > DynamoDB Streams, Amazon MSK, self-managed Apache Kafka, Amazon MQ and Amazon DocumentDB
# > ([Lambda event source mappings](https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventsourcemapping.html)).
# > And "push" comes in two kinds: a service that waits for the answer invokes *synchronously* (API Gateway),
# > one that does not invokes *asynchronously* (S3, SNS): see the table at the end of this notebook, from
# > [Invoking Lambda with events from other AWS services](https://docs.aws.amazon.com/lambda/latest/dg/lambda-services.html).

# %% [markdown] slideshow={"slide_type": "subslide"}
# Plain boto3 clients, and a few helpers from `lab_support` for what is not the lesson:
# `handler_output(name, since)` reads what a function printed (its CloudWatch Logs log group) since `now_ms()`;
# `bucket`, `queue`, `stream` and `execution_role` create (or find) a bucket, an SQS queue, a Kinesis stream, an
# execution role with exactly the given AWS managed policies; `queue_depth` counts a queue's messages;
# `clear_mappings` and `track_mapping` keep re-runs clean. Each tags what it creates and registers it for the
# clean-up.

# %% slideshow={"slide_type": "fragment"}
import json
import time

import boto3


s3, lam, sqs, iam, kinesis = (boto3.client(name) for name in ("s3", "lambda", "sqs", "iam", "kinesis"))
print("clients and helpers ready; AWS seconds per local second:", lab.time_scale)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Push: S3 invokes a function
#
# When an object is created, S3 sends an *event notification* to the function: it calls Lambda's Invoke API
# **asynchronously**, as the service principal `s3.amazonaws.com`. So the function's resource-based policy must
# allow that principal, and S3 checks it when you configure the notification
# ([Process Amazon S3 event notifications with Lambda](https://docs.aws.amazon.com/lambda/latest/dg/with-s3.html)).
#
# ```mermaid
# sequenceDiagram
#     participant You
#     participant S3 as S3 bucket
#     participant L as Lambda service
#     participant F as function nb03-on-upload
#     You->>S3: PutBucketNotificationConfiguration
#     S3->>L: may s3.amazonaws.com invoke nb03-on-upload?
#     You->>S3: PutObject photos/my cat.jpg
#     S3-->>You: 200 OK (does not wait for the function)
#     S3->>L: Invoke, InvocationType=Event, {"Records": [...]}
#     L-->>S3: 202 Accepted (queued)
#     L->>F: handler(event, context)
# ```

# %% [markdown] slideshow={"slide_type": "subslide"}
# The function. A `%%lambda_handler` cell holds a handler's code: JupyterLab highlights it, the kernel checks it
# compiles and keeps it in a variable (`on_upload_code`); Lambda runs it once it is deployed. This one prints the
# event it receives, then the key of each object, decoded.

# %% slideshow={"slide_type": "-"}
# %%lambda_handler on_upload_code
import json
from urllib.parse import unquote_plus


def handler(event, context):
    print(json.dumps(event))                                  # the event exactly as S3 sent it
    for record in event["Records"]:
        key = unquote_plus(record["s3"]["object"]["key"])     # keys arrive URL-encoded
        print(f"new object: {key!r}, {record['s3']['object']['size']} bytes")

# %% [markdown] slideshow={"slide_type": "subslide"}
# The bucket, and the function deployed with `lab.create_function(name, code)`. A re-run starts again from no
# notification and no permission.

# %% slideshow={"slide_type": "-"}
BUCKET = lab.resources.bucket(aws.unique_name("nb03-uploads"))  # bucket names are global on AWS: the suffix keeps it ours
on_upload = lab.create_function("nb03-on-upload", on_upload_code)
s3.put_bucket_notification_configuration(Bucket=BUCKET, NotificationConfiguration={})  # start from none
try:
    lam.remove_permission(FunctionName="nb03-on-upload", StatementId="allow-s3-uploads")
except lam.exceptions.ResourceNotFoundException:
    pass  # first run: there is no permission yet
print(on_upload["FunctionArn"])

# %% [markdown] slideshow={"slide_type": "fragment"}
# Ask S3 to notify the function about every new object. The function's policy does not mention S3 yet:

# %% slideshow={"slide_type": "fragment"}
notification = {"LambdaFunctionConfigurations": [{
    "Id": "every-new-object",
    "LambdaFunctionArn": on_upload["FunctionArn"],
    "Events": ["s3:ObjectCreated:*"],
}]}
try:
    s3.put_bucket_notification_configuration(Bucket=BUCKET, NotificationConfiguration=notification)
except s3.exceptions.ClientError as err:
    print(err.response["Error"]["Code"], "-", err.response["Error"]["Message"])

# %% [markdown] slideshow={"slide_type": "subslide"}
# That is S3's answer on AWS too: it validates the destination by checking that it may invoke the function.
# Grant it with `AddPermission`. `SourceArn` (this bucket) and `SourceAccount` (this account) stop *any* bucket
# from invoking the function through S3, the "confused deputy" problem
# ([resource-based policies for Lambda](https://docs.aws.amazon.com/lambda/latest/dg/access-control-resource-based.html)):

# %% slideshow={"slide_type": "-"}
statement = lam.add_permission(
    FunctionName="nb03-on-upload",
    StatementId="allow-s3-uploads",
    Action="lambda:InvokeFunction",
    Principal="s3.amazonaws.com",
    SourceArn=f"arn:aws:s3:::{BUCKET}",
    SourceAccount=aws.account_id,
)["Statement"]
print(statement)

# %% slideshow={"slide_type": "fragment"}
s3.put_bucket_notification_configuration(Bucket=BUCKET, NotificationConfiguration=notification)
for config in s3.get_bucket_notification_configuration(Bucket=BUCKET)["LambdaFunctionConfigurations"]:
    print(config["Id"], config["Events"], "->", config["LambdaFunctionArn"].split(":")[-1])

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Upload, and read what the function received
#
# `PutObject` returns at once; the function runs a moment later, so we wait (`lab.wait_idle()` for the local
# Lambda, `lab.until` for AWS's log), then read the log. `lab.show(value)` prints a long value's first 15 lines.

# %% slideshow={"slide_type": "-"}
since = lab.lambda_output.now_ms()
s3.put_object(Bucket=BUCKET, Key="photos/my cat.jpg", Body=b"meow")
lab.wait_idle()
lab.until(lambda: len(lab.lambda_output.handler_output("nb03-on-upload", since)) >= 2, what="S3 to invoke nb03-on-upload")
printed = lab.lambda_output.handler_output("nb03-on-upload", since)
event = json.loads(printed[0])
lab.show(event)

# %% [markdown] slideshow={"slide_type": "subslide"}
# The part that matters is at the end, under `s3`: the bucket and the object.

# %% slideshow={"slide_type": "-"}
record = event["Records"][0]
print(record["eventName"], "|", record["s3"]["bucket"]["name"], "|", {
    k: record["s3"]["object"][k] for k in ("key", "size")})
print(printed[1])

# %% [markdown] slideshow={"slide_type": "-"}
# The shape is AWS's
# ([event message structure](https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html)):
# one `Records` entry per object, `eventName` without the `s3:` prefix, the bucket and the object. The key is
# **URL-encoded**, `photos/my+cat.jpg`: a space becomes `+` (and `+` itself `%2B`), while `/` stays. A handler that
# used the key as-is would ask S3 for an object that does not exist; hence `unquote_plus` in the handler.

# %% [markdown] slideshow={"slide_type": "subslide"}
# > **🤔 Check yourself.** When the upload cell ran `put_object`, who waited for the function to finish?
# > And which line of the policy statement above stops another account's bucket from invoking it?
# >
# > <details><summary>Answer</summary>
# >
# > Nobody waited: `put_object` returned before the handler ran; S3 invokes **asynchronously** and Lambda
# > answers it `202 Accepted`. The `SourceAccount` condition (with `SourceArn`, this bucket) ties the
# > permission to this bucket in this account; without them any bucket could use S3 to invoke the function.
# > </details>

# %% [markdown] slideshow={"slide_type": "notes"}
# **Speaker notes.** Point at the policy statement: `Principal` is the *service*, and the two conditions tie it to
# this bucket in this account. On AWS, the console's "Add trigger" writes the same statement.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Filters: only some objects
#
# A notification can be limited to keys that start with a **prefix** and end with a **suffix** (one of each;
# no wildcards) ([event notification filtering](https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-how-to-filtering.html)).
# Only `.jpg` files under `photos/`:

# %% slideshow={"slide_type": "-"}
notification["LambdaFunctionConfigurations"][0]["Filter"] = {"Key": {"FilterRules": [
    {"Name": "prefix", "Value": "photos/"},
    {"Name": "suffix", "Value": ".jpg"},
]}}
s3.put_bucket_notification_configuration(Bucket=BUCKET, NotificationConfiguration=notification)

since = lab.lambda_output.now_ms()
for key in ["photos/dog.jpg", "photos/dog.png", "docs/dog.jpg", "photos/2024/party.jpg"]:
    s3.put_object(Bucket=BUCKET, Key=key, Body=b"...")
lab.wait_idle()
lab.until(lambda: len(lab.lambda_output.handler_output("nb03-on-upload", since)) >= 4, what="S3 to invoke nb03-on-upload twice")
received = sorted(line for line in lab.lambda_output.handler_output("nb03-on-upload", since) if line.startswith("new object"))
print("\n".join(received))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## When a pushed event fails: retries
#
# S3 got its `202` long ago; nobody is waiting for the answer. So when the function fails, **Lambda** retries:
# by default twice more, waiting about **1 minute** before the second attempt and **2 minutes** before the third
# ([error handling for asynchronous invocation](https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html)).
#
# ```mermaid
# sequenceDiagram
#     participant C as caller (S3, SNS, you)
#     participant Q as Lambda's event queue
#     participant F as function
#     C->>Q: Invoke, InvocationType=Event
#     Q-->>C: 202 Accepted
#     Q->>F: attempt 1, fails
#     Note over Q: wait ~1 min
#     Q->>F: attempt 2, fails
#     Note over Q: wait ~2 min
#     Q->>F: attempt 3, fails
#     Note over Q: discard, or send a record to the on-failure destination
# ```
#
# Here AWS's fixed delays run on a fast clock (`lab.time_scale` AWS seconds per local second, 60 by default), so
# the three attempts take about 3 s. The function's own code is never sped up.

# %% [markdown] slideshow={"slide_type": "subslide"}
# A function that always fails, with a role of its own (`execution_role`), invoked asynchronously:

# %% slideshow={"slide_type": "-"}
# %%lambda_handler fails_code
def handler(event, context):
    print(f"attempt for order {event['order']}, request {context.aws_request_id}")
    raise RuntimeError("payment service unavailable")

# %% slideshow={"slide_type": "fragment"}
async_role = lab.resources.execution_role("nb03-async-role", managed=["AWSLambdaBasicExecutionRole"])
lab.create_function("nb03-always-fails", fails_code, role=async_role)
try:
    lam.delete_function_event_invoke_config(FunctionName="nb03-always-fails")  # back to AWS's defaults
except lam.exceptions.ResourceNotFoundException:
    pass

since = lab.lambda_output.now_ms()
response = lam.invoke(FunctionName="nb03-always-fails", InvocationType="Event", Payload=json.dumps({"order": 42}))
print(f"StatusCode: {response['StatusCode']} (queued; the caller does not learn about the error)")

# %% [markdown] slideshow={"slide_type": "subslide"}
# Wait (on AWS really about 3 minutes), then read the log, and the local Lambda's own notes on when it scheduled
# the retries (AWS does not show those):

# %% slideshow={"slide_type": "-"}
def attempts():
    return [line for line in lab.lambda_output.handler_output("nb03-always-fails", since) if line.startswith("attempt")]


lab.wait_idle()
lab.until(lambda: len(attempts()) >= 3, what="Lambda's three attempts (about 3 minutes on AWS)", max_wait=300)
for line in lab.lambda_output.handler_output("nb03-always-fails", since):
    print(line)
for entry in lab.event_sources.timeline("async.retry_scheduled", "nb03-always-fails")[-2:]:
    print("Lambda:", entry["note"])

# %% [markdown] slideshow={"slide_type": "subslide"}
# Three attempts, one request id: it is the same event each time. A failure is silent: the event is simply
# dropped after the last attempt. Two settings change that
# ([configuring asynchronous invocation](https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-configuring.html)):
#
# - `MaximumRetryAttempts` (0–2) and `MaximumEventAgeInSeconds` (60 s – 6 h): how hard Lambda tries;
# - an **on-failure destination** (an SQS queue, SNS topic, Lambda function, EventBridge bus or S3 bucket) that
#   receives an *invocation record* about every event that failed for good
#   ([retain records](https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html)).

# %% [markdown] slideshow={"slide_type": "subslide"}
# No retries, and an SQS queue as the on-failure destination. The execution role sends the record, so it needs
# `sqs:SendMessage` on the queue:

# %% slideshow={"slide_type": "-"}
failed_url, failed_arn = lab.resources.queue("nb03-failed-events")
iam.put_role_policy(RoleName="nb03-async-role", PolicyName="send-failures", PolicyDocument=json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": failed_arn}]}))

lab.retrying(lambda: lam.put_function_event_invoke_config(  # on AWS the new policy takes a moment to apply
    FunctionName="nb03-always-fails", MaximumRetryAttempts=0,
    DestinationConfig={"OnFailure": {"Destination": failed_arn}},
), retry_on=lambda err: "permission" in str(err), what="the role's new permission")
since = lab.lambda_output.now_ms()
lam.invoke(FunctionName="nb03-always-fails", InvocationType="Event", Payload=json.dumps({"order": 43}))
lab.wait_idle()
lab.until(attempts, what="the one attempt")
print(len(attempts()), "attempt (MaximumRetryAttempts=0)")

# %% [markdown] slideshow={"slide_type": "subslide"}
# The invocation record in the destination queue (its first lines; `full=True` shows the stack trace too):

# %% slideshow={"slide_type": "-"}
messages = lab.until(lambda: sqs.receive_message(QueueUrl=failed_url, WaitTimeSeconds=1).get("Messages"),
                     what="the invocation record in nb03-failed-events")
lab.show(json.loads(messages[0]["Body"]))

# %% [markdown] slideshow={"slide_type": "-"}
# `requestPayload` is the original event, `condition` says why Lambda gave up (`RetriesExhausted` or
# `EventAgeExceeded`); further down, `responsePayload` holds the function's error.

# %% [markdown] slideshow={"slide_type": "notes"}
# **Speaker notes.** The record is how you find out, hours later, which order failed and why. Older setups use a
# dead-letter queue on the function (`DeadLetterConfig`, SQS or SNS), which receives only the event with the
# error in message attributes; a destination receives the whole invocation record, and can also be notified on
# success.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Pull: Lambda reads an SQS queue
#
# A queue does not invoke anybody. Instead you create an **event source mapping**: a Lambda resource that polls
# the queue (long polling), gathers messages into a batch, invokes the function **synchronously** with the batch,
# and deletes the messages when the function succeeds
# ([using Lambda with Amazon SQS](https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html)).
#
# ```mermaid
# sequenceDiagram
#     participant P as producer
#     participant Q as SQS queue
#     participant M as event source mapping (Lambda)
#     participant F as function
#     P->>Q: SendMessage ×5
#     loop polling
#         M->>Q: ReceiveMessage (up to BatchSize)
#         Q-->>M: messages (now invisible)
#         M->>F: Invoke (sync) {"Records": [...]}
#         F-->>M: success
#         M->>Q: DeleteMessage ×5
#     end
# ```
#
# Here it is Lambda that calls SQS, **with the function's execution role**.

# %% [markdown] slideshow={"slide_type": "subslide"}
# A worker that prints each batch, with a role that has only the basic logging permissions first:

# %% slideshow={"slide_type": "-"}
# %%lambda_handler order_worker_code
def handler(event, context):
    bodies = [record["body"] for record in event["Records"]]
    print(f"batch of {len(bodies)}: {bodies}")

# %% slideshow={"slide_type": "fragment"}
reader_role = lab.resources.execution_role("nb03-queue-reader", managed=["AWSLambdaBasicExecutionRole"])  # logs only, no SQS
lab.create_function("nb03-order-worker", order_worker_code, role=reader_role)
lab.resources.clear_mappings("nb03-order-worker")
orders_url, orders_arn = lab.resources.queue("nb03-orders")

for n in range(1, 6):  # messages waiting before any mapping exists
    sqs.send_message(QueueUrl=orders_url, MessageBody=f"order {n}")
print("messages waiting:", lab.resources.queue_depth(orders_url))

# %% slideshow={"slide_type": "fragment"}
try:
    lam.create_event_source_mapping(EventSourceArn=orders_arn, FunctionName="nb03-order-worker", BatchSize=10,
                                    Tags=aws.tags)
except lam.exceptions.InvalidParameterValueException as err:
    print(err.response["Error"]["Code"], "-", err.response["Error"]["Message"])

# %% [markdown] slideshow={"slide_type": "subslide"}
# Lambda checks the role when the mapping is created. It needs `sqs:ReceiveMessage`, `sqs:DeleteMessage` and
# `sqs:GetQueueAttributes` on the queue; the AWS managed policy `AWSLambdaSQSQueueExecutionRole` grants them
# ([execution role permissions for SQS](https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html)).

# %% slideshow={"slide_type": "-"}
lab.resources.execution_role("nb03-queue-reader",
                             managed=["AWSLambdaBasicExecutionRole", "AWSLambdaSQSQueueExecutionRole"])
since = lab.lambda_output.now_ms()
mapping = lab.retrying(  # on AWS the role's new policy takes a few seconds to be seen
    lambda: lam.create_event_source_mapping(EventSourceArn=orders_arn, FunctionName="nb03-order-worker", Tags=aws.tags,
                                            BatchSize=10),
    retry_on=lambda err: isinstance(err, lam.exceptions.InvalidParameterValueException),
    what="the role's new SQS permissions")
lab.resources.track_mapping(mapping, "nb03-orders -> nb03-order-worker")
print({k: mapping[k] for k in ("State", "BatchSize", "EventSourceArn")})

# %% slideshow={"slide_type": "subslide"}
def orders_done():  # all five orders in the log (on AWS perhaps in more than one batch), none left
    printed = lab.lambda_output.handler_output("nb03-order-worker", since)
    return sum(line.count("'order ") for line in printed) >= 5 and lab.resources.queue_depth(orders_url) == 0


lab.wait_idle()
lab.until(orders_done, what="the mapping to deliver the five orders")
print("\n".join(lab.lambda_output.handler_output("nb03-order-worker", since)))
print("messages left in the queue:", lab.resources.queue_depth(orders_url))

# %% [markdown] slideshow={"slide_type": "subslide"}
# The five messages that were waiting came in **one** invocation: a batch of up to `BatchSize` (default 10 for
# SQS, up to 10,000). Once the function returned, the mapping deleted them: nobody called `DeleteMessage` in the
# handler. The event has one record per message (`messageId`, `receiptHandle`, `body`, `attributes`,
# `eventSource: aws:sqs`…; [SQS event example](https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html)).

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Batches over time: `BatchSize` and the batching window
#
# Two settings shape the batches
# ([batching behaviour](https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventsourcemapping.html#invocation-eventsourcemapping-batching)):
#
# - `BatchSize`: the **most** records in one invocation, not a target;
# - `MaximumBatchingWindowInSeconds` (0–300 s): how long Lambda may keep gathering before it invokes. With 0
#   (the SQS default) it invokes as soon as it has something.
#
# One experiment, three queues, each with its own function (the same worker code) and mapping:

# %% slideshow={"slide_type": "-"}
lab.skip_on_aws("the experiment reads the local poller's record of its batches (lab.event_sources.timeline), "
                "which AWS does not keep, and runs on the fast clock; on AWS it takes minutes")
SETTINGS = {  # queue and function name: (BatchSize, MaximumBatchingWindowInSeconds)
    "nb03-batch-size-1": (1, 0), "nb03-batch-size-10": (10, 0), "nb03-batch-window-20s": (10, 20)}
queues = {}
for name, (size, window) in SETTINGS.items():
    url, arn = lab.resources.queue(name)
    lab.create_function(name, order_worker_code, role=reader_role)  # one function per queue: they do not compete
    lab.resources.clear_mappings(name)
    lam.invoke(FunctionName=name, Payload=json.dumps({"Records": []}))  # warm up: no cold start in the plot
    m = lam.create_event_source_mapping(Tags=aws.tags, EventSourceArn=arn, FunctionName=name, BatchSize=size,
                                        MaximumBatchingWindowInSeconds=window)
    lab.resources.track_mapping(m, name)
    queues[name] = (url, arn)

# %% [markdown] slideshow={"slide_type": "subslide"}
# A producer sends a burst of 10 messages, then one message every 6 s (AWS time), to all three queues at once:

# %% slideshow={"slide_type": "-"}
lab.skip_on_aws("part of the batching experiment, skipped above")
start = time.time()
sent = [start] * 10  # when each message was sent (the same moment for all three queues)
for url, _ in queues.values():  # a burst of 10
    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": f"burst {i}"} for i in range(10)])
for i in range(10):  # then one every 6 s (AWS time)
    time.sleep(6 / lab.time_scale)
    sent.append(time.time())
    for url, _ in queues.values():
        sqs.send_message(QueueUrl=url, MessageBody=f"single {i}")
lab.wait_idle()
batches = {name: [b for b in lab.event_sources.timeline("sqs.batch", arn) if b["start"] >= start]
           for name, (_, arn) in queues.items()}

# %% slideshow={"slide_type": "fragment"}
lab.skip_on_aws("part of the batching experiment, skipped above")
for name, (size, window) in SETTINGS.items():
    processed = sorted(m for b in batches[name] for m in b["ids"])
    print(f"{name:22} BatchSize={size:<3} window={window:>2} s: {len(processed)} of {len(sent)} processed, "
          f"each once: {len(set(processed)) == len(sent)}, "
          f"none above BatchSize: {max(b['size'] for b in batches[name]) <= size}")

# %% slideshow={"slide_type": "subslide"}
lab.skip_on_aws("part of the batching experiment, skipped above")
import matplotlib.pyplot as plt
fig, axes = plt.subplots(len(SETTINGS), 1, sharex=True, figsize=(11, 7.5))
for ax, (name, (size, window)) in zip(axes, SETTINGS.items(), strict=True):
    ax.bar([(b["start"] - start) * lab.time_scale for b in batches[name]], [b["size"] for b in batches[name]],
           width=1.2, align="edge", label="one invocation")
    ax.plot([(t - start) * lab.time_scale for t in sent], [0] * len(sent), "|", color="C3", markersize=14,
            label="message sent")
    ax.set_title(f"BatchSize {size}, window {window} s: {len(batches[name])} invocations", loc="left")
    ax.set(ylim=(-0.8, 11), ylabel="records")
axes[0].legend(loc="upper right", ncol=2)
axes[-1].set_xlabel("seconds since the first message (AWS time)")
plt.show()

# %% [markdown] slideshow={"slide_type": "subslide"}
# Read it top to bottom:
#
# - **BatchSize 1**: one invocation per message — 20 invocations, the most overhead, the least waiting.
# - **BatchSize 10, no window**: the burst goes in (about) one batch; after that each single message is invoked at
#   once, alone. `BatchSize` is only a maximum.
# - **BatchSize 10, window 20 s**: Lambda waits up to 20 s to fill a batch, so the trickle is processed in fewer,
#   larger batches — at the price of latency (a message may wait up to the window).
#
# Batch composition depends on timing, so it differs slightly from run to run (on AWS as well); totals do not.

# %% [markdown] slideshow={"slide_type": "notes"}
# **Speaker notes.** Trade-off to make explicit: fewer invocations (cost, downstream load) vs latency. With SQS,
# a `BatchSize` above 10 requires a batching window of at least 1 s. Run the cells again: the bars move a
# little, the totals do not. That is also why the stored output prints only totals.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## When a batch fails: visibility timeout and redrive
#
# A mapping never drops messages by itself. When the function fails, the batch is **not** deleted: its messages
# become visible again once the queue's **visibility timeout** has passed since they were received, and are
# received again. Each receive adds one to the message's `ApproximateReceiveCount`. A queue with a *redrive
# policy* names a **dead-letter queue** and a `maxReceiveCount`: when a message's receive count
# exceeds `maxReceiveCount`, SQS moves it to the dead-letter queue
# ([SQS dead-letter queues](https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html);
# the `RedrivePolicy` attribute in [SetQueueAttributes](https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html)).
#
# ```mermaid
# flowchart LR
#     q[("queue")] -- "receive (count + 1)" --> f["function"]
#     f -- "success" --> del["deleted"]
#     f -- "failure" --> wait["invisible until the<br/>visibility timeout ends"] --> q
#     q -- "count would exceed maxReceiveCount" --> dlq[("dead-letter queue")]
# ```

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 03.1 · Predict: how many receives before the dead-letter queue?
#
# A queue whose redrive policy says `"maxReceiveCount": 4`, a function that **always** fails, one message. How
# many times will the function receive that message before SQS moves it to the dead-letter queue? Write your
# answer as a whole number in `prediction`, **then** run the cell: the check builds that queue and function, runs
# the experiment, counts the receives in the function's log, and explains the difference.

# %% slideshow={"slide_type": "-"}
prediction = ...  # YOUR CODE HERE: a whole number

lab.check("03.1", prediction=prediction)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### One bad message fails its whole batch
#
# A job worker that raises an error on a "poison" message, a queue with a dead-letter queue after 3 receives, and
# a **disabled** mapping (`Enabled=False`: it does not poll yet; the messages wait).

# %% slideshow={"slide_type": "-"}
# %%lambda_handler job_worker_code
def handler(event, context):
    for record in event["Records"]:
        print(f"{record['body']!r}: receive #{record['attributes']['ApproximateReceiveCount']}")
        if "poison" in record["body"]:
            raise ValueError(f"cannot process {record['body']!r}")

# %% slideshow={"slide_type": "fragment"}
lab.create_function("nb03-job-worker", job_worker_code, role=reader_role)
lab.resources.clear_mappings("nb03-job-worker")
jobs_dlq_url, jobs_dlq_arn = lab.resources.queue("nb03-jobs-dlq")
jobs_url, jobs_arn = lab.resources.queue("nb03-jobs", VisibilityTimeout=30, RedrivePolicy=json.dumps(
    {"deadLetterTargetArn": jobs_dlq_arn, "maxReceiveCount": 3}))
jobs_mapping = lam.create_event_source_mapping(EventSourceArn=jobs_arn, FunctionName="nb03-job-worker", Tags=aws.tags,
                                               BatchSize=10, Enabled=False)
lab.resources.track_mapping(jobs_mapping, "nb03-jobs -> nb03-job-worker")
sqs.send_message_batch(QueueUrl=jobs_url, Entries=[
    {"Id": str(i), "MessageBody": body} for i, body in enumerate(["job 1", "poison job", "job 2"])])
print("messages waiting:", lab.resources.queue_depth(jobs_url))

# %% [markdown] slideshow={"slide_type": "subslide"}
# Enable the mapping, and watch the batch come back every visibility timeout (30 s on AWS, 0.5 s here):

# %% slideshow={"slide_type": "-"}
def receives():  # what the function printed for each message it received
    printed = lab.lambda_output.handler_output("nb03-job-worker", since)
    return [line for line in printed if ": receive #" in line]


since = lab.lambda_output.now_ms()
lam.update_event_source_mapping(UUID=jobs_mapping["UUID"], Enabled=True)
lab.wait_idle()
lab.until(lambda: "'poison job': receive #3" in receives() and lab.resources.queue_depth(jobs_url) == 0,
          what="three receives, then the dead-letter queue (2 minutes on AWS)", max_wait=240)
print("\n".join(receives()))
print("left in nb03-jobs:", lab.resources.queue_depth(jobs_url))
dead = sqs.receive_message(QueueUrl=jobs_dlq_url, MaxNumberOfMessages=10, WaitTimeSeconds=1)["Messages"]
print("in nb03-jobs-dlq:", sorted(m["Body"] for m in dead))

# %% [markdown] slideshow={"slide_type": "subslide"}
# The handler raised at `poison job`, so the whole batch failed: `job 1` was processed again on every receive, and
# `job 2` never at all. After the third failed receive the next one would have exceeded `maxReceiveCount` (3), so
# SQS moved all three messages to the dead-letter queue, good jobs included.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Partial batch responses
#
# With `FunctionResponseTypes=["ReportBatchItemFailures"]` on the mapping, the function may **return** which
# messages failed instead of raising: `{"batchItemFailures": [{"itemIdentifier": "<messageId>"}, …]}`. Lambda
# deletes the others and only the listed ones come back. An empty list means all succeeded; an exception still
# fails the whole batch
# ([partial batch responses](https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html)).

# %% [markdown] slideshow={"slide_type": "subslide"}
# The set-up for the next exercise: a payments handler that charges each order (an amount of 0 is refused).
# `prepare_03_2` deploys it as `nb03-payments`, with a queue whose dead-letter queue takes a message after 2
# receives, and a mapping with `ReportBatchItemFailures`; it returns the function's execution role.

# %% slideshow={"slide_type": "-"}
# %%lambda_handler payments_code
import json


def charge(order):
    if order["amount"] <= 0:
        raise ValueError(f"order {order['id']}: the amount must be positive")
    print(f"charged order {order['id']}: {order['amount']} EUR")


def handler(event, context):
    for record in event["Records"]:
        charge(json.loads(record["body"]))

# %% slideshow={"slide_type": "fragment"}
from lab_support.exercises.nb03 import prepare_03_2, prepare_03_3

payments_role = prepare_03_2(payments_code)
print("nb03-payments is deployed, with its queue, dead-letter queue and mapping")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 03.2 · Write: retry only the bad message
#
# Today one order with amount 0 fails the whole batch: the good orders before it are charged again on every
# receive, the ones after it never, and all of them end in the dead-letter queue. Change `handler` in the
# `payments_code` cell above (keep `charge` as it is) so that **only the bad order is retried**; run that cell,
# then this one: it deploys your handler and checks by sending three orders, one of them bad, then reading
# the function's log (who was charged how often) and the dead-letter queue.

# %% slideshow={"slide_type": "-"}
# YOUR CODE HERE: edit the payments_code cell above and run it, then run this cell
lab.create_function("nb03-payments", payments_code, role=payments_role)

lab.check("03.2")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The visibility timeout and the function's timeout
#
# While a batch is being processed its messages are invisible, but only for the queue's visibility timeout. If
# the function may run longer than that, a message can become visible again **while it is still being
# processed**, and be received and processed a second time. So the function's timeout must not exceed the queue's
# visibility timeout: Lambda refuses to create (or update) a mapping otherwise, and AWS recommends a visibility
# timeout of **at least six times** the function's timeout, so that Lambda can retry a throttled batch
# ([configuring a queue for Lambda](https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html)).
# Changing the queue or the function *later* is not checked.
#
# The set-up for the next exercise, a shipping team's queue and function as they are today (run it again to get
# back to that state):

# %% slideshow={"slide_type": "fragment"}
prepare_03_3()

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 03.3 · Diagnose: orders shipped twice
#
# The shipping team's function `nb03-shipping` reads the queue `nb03-shipping`. Since last week some orders get
# **two labels**: the logs on AWS show the same `messageId` processed twice, the second time about 30 s after the
# first, with `ApproximateReceiveCount` 2, although the function never failed. Last week someone "only changed a
# setting". Find the cause with boto3 calls, and fix it without making the function's batches shorter. (The
# local Lambda does not show the duplicates: its poller keeps a batch hidden while it runs. The check reads the
# settings, then sends an order through.)

# %% slideshow={"slide_type": "-"}
# YOUR CODE HERE

lab.check("03.3")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Pull from a stream: Kinesis, in order per shard
#
# A Kinesis stream is split into **shards**; a record's partition key decides its shard. The mapping reads each
# shard **in order** and invokes the function with one shard's records at a time; records stay in the stream
# after they are processed (a stream is not a queue)
# ([using Lambda with Kinesis](https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html)).
# `StartingPosition` says where a new mapping begins: `TRIM_HORIZON` (the oldest record still in the stream),
# `LATEST` (only records added from now on) or `AT_TIMESTAMP`.
#
# ```mermaid
# flowchart LR
#     p["put_record<br/>PartitionKey=alice / bob / carol"] --> s0["shard 0"] & s1["shard 1"]
#     s0 --> m1["mapping TRIM_HORIZON"] --> f1["nb03-clicks-from-start"]
#     s1 --> m1
#     s0 --> m2["mapping LATEST"] --> f2["nb03-clicks-from-now"]
#     s1 --> m2
# ```

# %% [markdown] slideshow={"slide_type": "subslide"}
# A stream with two shards and two records per user before any mapping exists, and a handler that prints the
# shard and the records of each batch:

# %% slideshow={"slide_type": "-"}
STREAM = "nb03-clicks"
stream_since = lab.lambda_output.now_ms()
stream_arn = lab.resources.stream(STREAM, shards=2, fresh=True)  # deleted and created again: an empty stream on every run

for user in ["alice", "bob"]:  # two records per user before any mapping exists
    for i in range(2):
        kinesis.put_record(StreamName=STREAM, PartitionKey=user, Data=f"{user} old {i}".encode())

# %% slideshow={"slide_type": "fragment"}
# %%lambda_handler clicks_code
import base64
import json


def handler(event, context):
    shard = event["Records"][0]["eventID"].split(":")[0]      # one shard per invocation
    data = [base64.b64decode(r["kinesis"]["data"]).decode() for r in event["Records"]]
    print(shard, json.dumps(data))

# %% [markdown] slideshow={"slide_type": "subslide"}
# Two functions, one mapping each: one from `TRIM_HORIZON`, one from `LATEST`. A stream mapping needs the
# Kinesis read permissions (`AWSLambdaKinesisExecutionRole`):

# %% slideshow={"slide_type": "-"}
stream_role = lab.resources.execution_role("nb03-stream-reader",
                             managed=["AWSLambdaBasicExecutionRole", "AWSLambdaKinesisExecutionRole"])
for name, position in [("nb03-clicks-from-start", "TRIM_HORIZON"), ("nb03-clicks-from-now", "LATEST")]:
    lab.create_function(name, clicks_code, role=stream_role)
    lab.resources.clear_mappings(name)
    m = lab.retrying(lambda: lam.create_event_source_mapping(Tags=aws.tags,  # a new role takes a moment on AWS
        EventSourceArn=stream_arn, FunctionName=name, StartingPosition=position, BatchSize=100),
        retry_on=lambda err: isinstance(err, lam.exceptions.InvalidParameterValueException), what="the new role")
    lab.resources.track_mapping(m, f"{STREAM} -> {name}")
    lab.until(lambda: lam.get_event_source_mapping(UUID=m["UUID"])["State"] == "Enabled",  # on AWS: Creating first
              what=f"the mapping to {name} to be Enabled")
print("two mappings on", STREAM)

# %% [markdown] slideshow={"slide_type": "subslide"}
# Three new clicks per user, then what each function received, per shard:

# %% slideshow={"slide_type": "-"}
for i in range(3):
    for user in ["alice", "bob", "carol"]:
        kinesis.put_record(StreamName=STREAM, PartitionKey=user, Data=f"{user} new {i}".encode())


def per_shard(name):  # {shard: the records the function got from it, in order}
    received = {}
    for line in lab.lambda_output.handler_output(name, stream_since):
        shard, data = line.split(" ", 1)
        received.setdefault(shard, []).extend(json.loads(data))
    return received


def counts():
    return [sum(map(len, per_shard(name).values())) for name in ("nb03-clicks-from-start", "nb03-clicks-from-now")]


# %% slideshow={"slide_type": "fragment"}
lab.wait_idle()
lab.until(lambda: counts() == [13, 9], what="both functions to get their records (4 + 9, and 9)")
for name in ["nb03-clicks-from-start", "nb03-clicks-from-now"]:
    print(name)
    for shard, records in sorted(per_shard(name).items()):
        print(f"  {shard}: {', '.join(records)}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# - Within a shard the order is the order of `put_record`: `alice` always before `alice`'s later clicks. Across
#   shards there is no order (the two shards are read independently, and in parallel on AWS).
# - `TRIM_HORIZON` also delivered the records written before the mapping existed; `LATEST` did not.
# - A failing batch blocks **its shard** until it succeeds, expires or runs out of `MaximumRetryAttempts`:
#   the price of ordering ([Kinesis error handling](https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html)).

# %% [markdown] slideshow={"slide_type": "subslide"}
# > **🤔 Check yourself.** After processing, SQS deletes the messages but Kinesis keeps the records. Why the
# > difference, and what does it allow here?
# >
# > <details><summary>Answer</summary>
# >
# > A queue hands out work: once a message is done, nobody needs it. A stream is a log that several consumers
# > read, each at its own position, until the records expire. Here two mappings read the same records, one from
# > the start and one from "now".
# > </details>

# %% [markdown] slideshow={"slide_type": "notes"}
# **Speaker notes.** Which shard a key lands on is an MD5 hash of the partition key: the same on AWS.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Every event source, by invocation mode
#
# From AWS's list of services that invoke Lambda
# ([Invoking Lambda with events from other AWS services](https://docs.aws.amazon.com/lambda/latest/dg/lambda-services.html);
# the pull sources from [event source mappings](https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventsourcemapping.html)):
#
# | | push, synchronous | push, asynchronous | pull: event source mapping |
# |---|---|---|---|
# | **who calls Invoke** | the service; it waits | the service; it gets `202` | Lambda's poller, in batches |
# | **errors** | the caller sees them | Lambda retries (2), destinations | retried until success or redrive |
# | **services** | Amazon API Gateway | Amazon S3 | Amazon SQS |
# | | Application Load Balancer | Amazon SNS | Amazon Kinesis |
# | | Amazon Cognito | Amazon SES | Amazon DynamoDB Streams |
# | | Amazon Lex | Amazon EventBridge (buses) | Amazon MSK |
# | | Amazon Connect | Amazon CloudWatch Logs | self-managed Apache Kafka |
# | | Amazon Data Firehose | AWS CloudFormation | Amazon MQ |
# | | Amazon S3 Batch Operations | AWS Config | Amazon DocumentDB |
# | | Amazon VPC Lattice | AWS IoT, AWS CodeCommit | |
# | | | AWS CodePipeline | |
#
# AWS Step Functions and EventBridge Pipes and Scheduler can invoke either way. Permissions follow the mode:
# push needs the function's **resource-based policy** to allow the service; pull needs the function's
# **execution role** to allow reading the source.

# %% [markdown] slideshow={"slide_type": "notes"}
# **Speaker notes.** Tie back to the lecture notes' two questions ("which service may invoke the function?" and
# "which service may the function invoke?"): push answers the first with the resource policy; pull turns it
# around, because Lambda reads the queue with the function's own role.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - **Push**: the source invokes the function. S3 does it asynchronously, as `s3.amazonaws.com`, so the
#   function's **resource-based policy** must allow it (`SourceArn`, `SourceAccount`); keys arrive URL-encoded.
# - A failed **asynchronous** invocation is retried by Lambda (twice by default, about 1 and 2 minutes apart),
#   then dropped, or recorded in an **on-failure destination**.
# - **Pull**: an **event source mapping** polls SQS or a stream with the function's **execution role** and
#   invokes the function synchronously with batches (`BatchSize` is a maximum; a batching window gathers).
# - SQS: a failed batch comes back after the **visibility timeout**; a message whose receive count **exceeds**
#   `maxReceiveCount` moves to the **dead-letter queue**. `batchItemFailures` retries only the failed messages.
# - The queue's visibility timeout must cover the function's timeout (AWS: six times), or messages run twice.
# - Kinesis: in order per shard; records stay in the stream; `TRIM_HORIZON` vs `LATEST`.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## Questionnaire
#
# 1. In push mode, which policy must allow the call, and whose? In pull mode?
# 2. An asynchronous invocation fails every time. With the defaults, how many attempts does Lambda make, and
#    what happens to the event afterwards? What can you configure so it is not lost silently?
# 3. A redrive policy says `"maxReceiveCount": 5`. How many times can a message be received before SQS moves it
#    to the dead-letter queue?
# 4. Why can one poison message cause good messages to be processed twice, and what stops it?
# 5. A function's timeout is 5 minutes. What visibility timeout should its source queue have, and why?
# 6. A new Kinesis mapping starts at `LATEST`. Does it see records written an hour ago?

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Clean up
#
# Deletes the mappings, functions, queues, stream, bucket and roles this notebook created.

# %% slideshow={"slide_type": "-"}
lab.cleanup()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Next
#
# [04 · API Gateway architecture and endpoint types](04_api_gateway_architecture.ipynb): API Gateway, a service
# that invokes Lambda synchronously, and the REST API it puts in front of a function.
