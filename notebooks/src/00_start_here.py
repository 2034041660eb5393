# %% [markdown] slideshow={"slide_type": "slide"}
# # 00 · Start here
#
# Welcome to **APIs, AWS Lambda and Amazon API Gateway**, a course you run in JupyterLab. Every cell really
# does what it says: Lambda handlers really execute, requests really travel through a gateway, and a missing
# permission really denies. By default it all runs on *your* machine, offline, with no AWS account.
#
# **Learning objectives**
# - run a notebook cell by cell, and restart it cleanly
# - tell the two backends apart: the embedded AWS (default) and a real account (opt-in)
# - know what `lab_support` does for you, and check that your set-up is complete
#
# **Time**: about 45 minutes
#
# **Prerequisites**: none. Python 3.11+ and the course installed with `make lab` (see the README).

# %% slideshow={"slide_type": "skip"}
import lab_support as lab
aws = lab.start()
lab.use_course_style()
aws

# %% [markdown] slideshow={"slide_type": "-"}
# Before a notebook creates anything, it says what that costs: on a real account `lab.costs` lists the billable
# resources with their prices; here, on the embedded backend, it prints one line.

# %% slideshow={"slide_type": "-"}
lab.costs("00")

# %% [markdown] slideshow={"slide_type": "notes"}
# **Speaker notes.** The set-up cell is skipped in the slides. Run it before presenting (Run ▸ Run All, then
# Alt+R for the slideshow). The printed port changes every run; everything else should match the stored output.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## How the course works
#
# | notebook | you will learn | time |
# |---|---|---|
# | 00 Start here | how to run the course, the two backends, how exercises work | 45 min |
# | 01 What is an API | client and server, HTTP methods, status codes, JSON, Postman | 75 min |
# | 02 Lambda invocation and permissions | who may invoke a function, what it may call, sync vs async, logs | 110 min |
# | 03 Push vs pull | S3 → Lambda (push), SQS and Kinesis → Lambda (pull), batching | 90 min |
# | 04 API Gateway architecture and endpoint types | client → endpoint → method → integration, edge vs regional vs private | 90 min |
# | 05 Integrations | Lambda proxy and non-proxy, HTTP, AWS services, MOCK, VPC link | 115 min |
# | 06 Securing an API | IAM, Cognito and Lambda authorizers, API keys and usage plans, WAF, CORS | 110 min |
# | 07 Releasing and operating an API | stages and Lambda aliases, canary releases, logs, metrics, alarms, X-Ray, CloudTrail | 95 min |
# | 08 WebSocket APIs, and choosing an API type | WebSocket routes, a chat that pushes to clients, REST vs HTTP vs WebSocket | 85 min |
# | 09 Capstone: a serverless bookstore | a CRUD API built, tested, observed, released and torn down | 65 min |
#
# The times are a beginner's pace working alone, computed by `tools/estimate_times.py` from each notebook's
# content: reading at 120 words a minute, 45 s per code cell (90 s with a figure or a form), 8 minutes per
# exercise, 1 minute per "check yourself" box and 5 for the questionnaire, rounded up to 5 minutes.
# Each notebook stands alone: open any of them, then **Kernel ▸ Restart Kernel and Run All Cells**.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Running cells
#
# - **Shift+Enter** runs the current cell and moves to the next one.
# - Cells are meant to run **top to bottom**. If you lose track, use **Kernel ▸ Restart Kernel and Run All Cells**:
#   every notebook is written so that this works, even twice in a row.
# - A cell that creates something (a queue, a function, an API) can be run again: it finds what is already there.
# - Each notebook ends with a **cleanup** cell that deletes what the notebook created.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Two backends, one switch
#
# ```mermaid
# flowchart LR
#     subgraph kernel["your notebook's kernel (one Python process)"]
#         nb["notebook cells<br/>boto3, requests"] --> moto["embedded AWS<br/>(moto, in memory)"]
#         http["HTTP door<br/>127.0.0.1:PORT"] --> moto
#     end
#     worker["Lambda worker processes"] --> http
#     cli["curl · Postman · AWS CLI"] --> http
#     nb -. "LAB_BACKEND=aws" .-> real[("a real AWS account")]
# ```
#
# - **Embedded (default)**: `lab.start()` starts [moto](https://docs.getmoto.org/) inside the kernel. Every
#   `boto3` call goes to an in-memory AWS account; nothing leaves your machine. The same account is also served
#   over HTTP on `127.0.0.1`, so other processes (Lambda workers, curl, Postman) see the same buckets and functions.
# - **A real account (opt-in)**: set `LAB_BACKEND=aws` before starting JupyterLab and the same cells run against
#   AWS. Nothing touches AWS unless you do this.

# %% [markdown] slideshow={"slide_type": "subslide"}
# The session object tells you which backend you are on:

# %% slideshow={"slide_type": "fragment"}
print("backend:   ", aws.backend)
print("region:    ", aws.region)
print("account id:", aws.account_id)
print("HTTP door: ", aws.endpoint_url)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Plain boto3 just works
#
# After `lab.start()` you write ordinary AWS code. Here we create an S3 bucket, tagged with the course tag
# (`course=apigw-lambda-lab`): on a real account, `lab.cleanup()` finds what the course made by that tag. Bucket
# names are global across all AWS accounts, so `aws.unique_name` adds a suffix that is yours (here the account id).

# %% slideshow={"slide_type": "fragment"}
import boto3

s3 = boto3.client("s3")
BUCKET = aws.unique_name("start-here")
where = {} if aws.region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": aws.region}}
s3.create_bucket(Bucket=BUCKET, **where)
s3.put_bucket_tagging(Bucket=BUCKET, Tagging={"TagSet": aws.tag_list})
aws.track(f"bucket {BUCKET}", lambda: s3.delete_bucket(Bucket=BUCKET))

[b["Name"] for b in s3.list_buckets()["Buckets"]]

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### One account, reachable from outside the kernel
#
# A second Python process, given the session's environment (`aws.child_env()`: this session's own random keys,
# the Region and `AWS_ENDPOINT_URL`), sees the same bucket. This is how Lambda handlers, which run in their own
# processes, reach the embedded AWS later in the course.

# %% slideshow={"slide_type": "fragment"}
import os
import subprocess
import sys

other_process = "import boto3; print([b['Name'] for b in boto3.client('s3').list_buckets()['Buckets']])"
result = subprocess.run([sys.executable, "-c", other_process], env={**os.environ, **aws.child_env()},
                        capture_output=True, text=True, timeout=60)
print("the other process sees:", result.stdout.strip())

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercises: how they work
#
# Every notebook has a few exercises. Each ends with `lab.check("NN.k")`, which looks at what really happened
# and says ✅ or ⏳. Each failed check shows one more hint (`lab.hint("NN.k")` shows it without checking).
# In a **Predict** exercise you write down what you expect *before* the check runs the experiment: a wrong
# guess, explained, counts as done. Worked solutions are in the `solutions/` folder; try first.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 00.1 · Predict: a program without the session's keys
#
# Another program on this machine knows the HTTP door's address (`AWS_ENDPOINT_URL`) but not the session's
# keys: it signs its requests with a key of its own. It asks the door for the list of S3 buckets. Does it get
# `"the same buckets"`, `"no buckets"`, or is it `"refused"`? Record your guess, then run the cell: the check
# starts that program and compares.

# %% slideshow={"slide_type": "-"}
# YOUR CODE HERE: one of "the same buckets", "no buckets", "refused"
prediction = ...

lab.check("00.1", prediction=prediction)

# %% [markdown] slideshow={"slide_type": "subslide"}
# From a terminal, the AWS CLI works the same way: `export AWS_ENDPOINT_URL=<the HTTP door above>`, then
# `aws s3 ls`. Without a notebook open, `make serve` (or `python -m lab_support serve --port 4566`) runs the
# embedded AWS on its own.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Nothing leaves your machine
#
# With the embedded backend a **network guard** refuses any connection that is not to this machine. Try to
# reach a web site:

# %% slideshow={"slide_type": "fragment"}
import requests

try:
    requests.get("https://example.com/", timeout=5)
except requests.ConnectionError as err:
    print(lab.explain(err))  # the reason behind requests' wrapping, and what to do

# %% [markdown] slideshow={"slide_type": "notes"}
# **Speaker notes.** This is the promise for students without an account: nothing they run can cost money or
# touch anything outside their laptop. On a real account (`LAB_BACKEND=aws`) the guard is off.

# %% [markdown] slideshow={"slide_type": "subslide"}
# > **🤔 Check yourself.** A Lambda handler you write later in the course calls a public weather API. Here it gets a
# > clear refusal. Why is that a feature of the embedded backend, and what would change on a real account?
# >
# > <details><summary>Answer</summary>
# >
# > Nothing you run here can reach the internet, so nothing can cost money or leak data by accident; the refusal
# > names the guard and how to lift it (`LAB_HANDLER_INTERNET=1`). On a real account the handler runs in AWS, whose
# > Lambda functions reach the internet by default (unless placed in a VPC without a route out).
# > </details>

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What `lab_support` does for you
#
# The notebooks stay about the idea; the plumbing lives in one package, imported the same way everywhere
# (`import lab_support as lab`):
#
# - **`lab.start()` / `lab.reset()` / `lab.cleanup()`**: start the course's AWS, empty it, delete what a
#   notebook created.
# - **a local Lambda runtime**: moto alone cannot run Lambda code without Docker; `lab_support` runs your
#   handlers in worker processes, with AWS's event formats, logs and error messages.
# - **a local API Gateway**: requests to deployed APIs really flow through routes, integrations and mapping
#   templates, and fail with the errors API Gateway returns.
# - **`lab.check("NN.k")`** and **`lab.hint("NN.k")`**: the self-check at the end of each exercise, and its
#   hints, one at a time.
#
# You can read all of it: it is in the `lab_support/` folder next to the notebooks.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Is everything installed?
#
# This cell checks Python and every package the course needs, and says what to do if something is missing.

# %% slideshow={"slide_type": "fragment"}
problems = lab.check_environment(verbose=False)
print("All set: every package the course needs is installed." if not problems else "\n".join(problems))

# %% [markdown] slideshow={"slide_type": "subslide"}
# The versions you have (these differ from machine to machine):

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output"]
# nbval-ignore-output: installed patch versions differ between machines.
lab.check_environment();

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Presenting (for instructors)
#
# Every notebook is also a slide deck (jupyterlab-rise, installed with the course): open a notebook, run all
# cells, then press **Alt+R** (or the ▶ "Render as slides" button). Set-up cells are hidden, fragments appear
# one by one, and the speaker-notes cells are kept out of the slides. `lab.reset()` gives you an empty account
# to start a demo over.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Three buckets, one forgotten
#
# The next cell creates three buckets for a (pretend) photo app, the way a hurried colleague would.

# %% slideshow={"slide_type": "-"}
from lab_support.exercises.nb00 import prepare_00_2

prepare_00_2()

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 00.2 · Diagnose: the bucket the clean-up would miss
#
# On a real account `lab.cleanup()` would delete only two of these buckets and leave the third behind, costing
# money month after month. Find which one and why, then fix it with boto3 so the clean-up would find all three.

# %% slideshow={"slide_type": "-"}
# YOUR CODE HERE

lab.check("00.2")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - Run cells top to bottom; **Restart Kernel and Run All Cells** always gets you back on track.
# - `lab.start()` starts the embedded AWS (default, offline); `LAB_BACKEND=aws` switches to a real account.
# - After `lab.start()`, plain boto3 and requests work; other processes reach the same account with
#   `aws.child_env()`.
# - What the course creates carries the tag `course=apigw-lambda-lab`; `lab.cleanup()` deletes it.
# - `lab.check_environment()` says what is missing; `lab.check` and `lab.hint` guide you through exercises.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## Questionnaire
#
# 1. Which backend does `lab.start()` use when `LAB_BACKEND` is not set, and does anything leave your machine?
# 2. Why does a Lambda handler, running in its own process, see the buckets your notebook created?
# 3. What does the course tag (`course=apigw-lambda-lab`) make possible on a real account?
# 4. A cell fails half-way and you no longer know what ran. What do you do?
# 5. Where do you find a worked solution, and what should you try before reading it?

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Clean up
#
# The last cell of every notebook deletes what the notebook created (on the embedded backend, what it tracked).

# %% slideshow={"slide_type": "-"}
lab.cleanup()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Next
#
# [01 · What is an API](01_what_is_an_api.ipynb): clients and servers, HTTP methods, status codes, JSON.
