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
# **Time**: about 15 minutes
#
# **Prerequisites**: none. Python 3.11+ and the course installed with `make lab` (see the README).

# %% slideshow={"slide_type": "skip"}
import lab_support as lab
aws = lab.start()
lab.use_course_style()
aws

# %% [markdown] slideshow={"slide_type": "notes"}
# **Speaker notes.** The set-up cell is skipped in the slides. Run it before presenting (Run ▸ Run All, then
# Alt+R for the slideshow). The printed port changes every run; everything else should match the stored output.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## How the course works
#
# | notebook | you will learn | time |
# |---|---|---|
# | 00 Start here | how to run the course, the two backends | 15 min |
# | 01 What is an API | client and server, HTTP methods, status codes, JSON, Postman | 30 min |
# | 02 Lambda invocation and permissions | who may invoke a function, what it may call, sync vs async, logs | 45 min |
# | 03 Push vs pull | S3 → Lambda (push), SQS and Kinesis → Lambda (pull), batching | 40 min |
# | 04 API Gateway architecture and endpoint types | client → endpoint → method → integration, edge vs regional vs private | 40 min |
# | 05 Integrations | Lambda proxy and non-proxy, HTTP, AWS services, MOCK, VPC link | 50 min |
# | 06 Securing an API | IAM, Cognito and Lambda authorizers, API keys and usage plans, WAF, CORS | 60 min |
# | 07 Releasing and operating an API | stages and Lambda aliases, canary releases, logs, metrics, alarms, X-Ray, CloudTrail | 60 min |
# | 08 WebSocket APIs, and choosing an API type | WebSocket routes, a chat that pushes to clients, REST vs HTTP vs WebSocket | 50 min |
#
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
# After `lab.start()` you write ordinary AWS code. Here we create an S3 bucket, tagged with the course tag so the
# cleanup cell (and, on a real account, you) can tell what the course made:

# %% slideshow={"slide_type": "fragment"}
import boto3

s3 = boto3.client("s3")
s3.create_bucket(Bucket="start-here-bucket")
s3.put_bucket_tagging(Bucket="start-here-bucket", Tagging={"TagSet": aws.tag_list})
aws.track("bucket start-here-bucket", lambda: s3.delete_bucket(Bucket="start-here-bucket"))

[b["Name"] for b in s3.list_buckets()["Buckets"]]

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### One account, reachable from outside the kernel
#
# A second Python process, given the session's environment (`aws.child_env()`: this session's own random keys,
# the Region and `AWS_ENDPOINT_URL`), sees the same bucket. This is how Lambda handlers, which run in their own
# processes, reach the embedded AWS later in the course. The embedded AWS serves only those keys: another program
# on the machine, without them, is refused as AWS refuses an unknown key.

# %% slideshow={"slide_type": "fragment"}
import os
import subprocess
import sys

other_process = "import boto3; print([b['Name'] for b in boto3.client('s3').list_buckets()['Buckets']])"
result = subprocess.run([sys.executable, "-c", other_process], env={**os.environ, **aws.child_env()},
                        capture_output=True, text=True, timeout=60)
print("the other process sees:", result.stdout.strip())

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
# - **`lab.check("NN.k")`**: the self-check at the end of each exercise.
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
# ### Exercise 00.1 — your first resource
#
# Create an SQS queue named `hello-queue` that carries the course tag. Use a boto3 client
# (`aws.client("sqs")` or `boto3.client("sqs")`) and pass `tags=aws.tags`. Then run the cell: the check looks
# at the embedded account and says whether the queue is there.

# %% slideshow={"slide_type": "-"}
# YOUR CODE HERE

lab.check("00.1")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Clean up
#
# The last cell of every notebook deletes what the notebook created through `lab_support` (tracked resources).

# %% slideshow={"slide_type": "-"}
lab.cleanup()
