# %% [markdown] slideshow={"slide_type": "slide"}
# # 01 · What is an API
#
# Before API Gateway and Lambda, the thing they serve: an **API** a client calls over HTTP. This notebook
# runs a small, real REST service for "notes" on your machine and talks to it the way every later
# notebook talks to API Gateway: with `requests`, with curl, with a form, and with Postman.
#
# **Learning objectives**
# - say what an API is, and which part the client and the server play
# - read a request (method, URL, headers, body) and a response (status, headers, body)
# - use GET to read, POST to insert, PUT to update and DELETE to delete (and PATCH to change a field)
# - explain the status codes 200, 201, 204, 400, 404, 405 (and 415, 422) and what to do about each
# - tell safe methods from idempotent ones, citing RFC 9110, and predict what repeating a request does
# - fix a request the server refuses, by reading the answer it gives
# - replay the same calls from curl, from a request-builder form and from a Postman collection
#
# **Time**: about 75 minutes
#
# **Prerequisites**: [00 · Start here](00_start_here.ipynb). No HTTP knowledge needed.

# %% slideshow={"slide_type": "skip"}
import lab_support as lab
aws = lab.start()
lab.use_course_style()
aws

# %% [markdown] slideshow={"slide_type": "-"}
# Before a notebook creates anything, it says what that costs: on a real account `lab.costs` lists the billable
# resources with their prices (this notebook creates none); here, on the embedded backend, it prints one line.

# %% slideshow={"slide_type": "-"}
lab.costs("01")

# %% [markdown] slideshow={"slide_type": "notes"}
# **Speaker notes.** Run all cells before presenting. Nothing here needs AWS yet: the notes service is a plain
# Python web service in a background thread of the kernel, on `127.0.0.1` and a random port: the stored outputs
# show the port of the run that stored them, and yours differs. Every call is real, so you can improvise: change a
# title, send a broken body, and the answer comes back live. If a student asks "where is the server?": it is
# `lab_support/course/services/notes.py`, about 450 lines, meant to be read.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What is an API?
#
# The lecture notes put it this way:
#
# > API stands for Application Programming Interface, that allows two applications to talk to each other. …
# > The Request and Response of some data passed between two applications, client/server happens via API.
#
# Two roles:
#
# - the **client** asks: a mobile app, a web page, a script, this notebook;
# - the **server** answers: it owns the data and decides what a request may do.
#
# On the web the conversation is **HTTP**: the client sends a *request* (a method such as `GET`, a URL, headers,
# maybe a body) and gets back exactly one *response* (a status code, headers, maybe a body). An API written in
# this style, one URL per thing ("resource") and the HTTP methods as verbs, is called **RESTful**, after REST,
# the architectural style of the web ([Fielding, 2000, ch. 5](https://ics.uci.edu/~fielding/pubs/dissertation/rest_arch_style.htm)).
# Keep the style apart from **API Gateway's REST API**, a product named after it (notebook 04): API Gateway's
# REST API product and its HTTP API product both serve RESTful APIs
# ([Choose between REST APIs and HTTP APIs](https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-vs-rest.html)).

# %% [markdown] slideshow={"slide_type": "subslide"}
# Our server is a service for notes. A note is a small JSON object, `{"id": 1, "title": "buy milk", "done": false}`.
# Creating one, then reading it back, goes like this:
#
# ```mermaid
# sequenceDiagram
#     participant C as Client (this notebook)
#     participant S as Server (notes service on 127.0.0.1)
#     C->>S: POST /notes  {"title": "water the plants"}
#     Note right of S: stores note 1
#     S-->>C: 201 Created, Location: /notes/1, {"id": 1, ...}
#     C->>S: GET /notes/1
#     S-->>C: 200 OK, {"id": 1, "title": "water the plants", "done": false}
#     C->>S: GET /notes/99
#     S-->>C: 404 Not Found, {"message": "There is no note 99.", ...}
# ```
#
# Start the server. `notes.reset()` empties it, so the ids below are 1, 2, 3… every time you run the notebook.

# %% slideshow={"slide_type": "fragment"}
notes = lab.start_notes_service()
notes.reset()
notes

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Anatomy of a request and a response
#
# | request | example | response | example |
# |---|---|---|---|
# | **method**: what to do | `GET` | **status code** and reason: how it went | `200 OK` |
# | **URL**: scheme, host, port, path, query | `http://127.0.0.1:PORT/notes?done=true` | **headers**: about the body | `Content-Type: application/json` |
# | **headers**: about the request | `Content-Type: application/json` | **body**: the data | `[{"id": 1, …}]` |
# | **body** (POST, PUT, PATCH): the data | `{"title": "buy milk"}` | | |
#
# In Python the client is the `requests` library. Here is the simplest call, reading the list of notes; the
# line printed first is the same request as a **curl** command, which you can paste into a terminal
# (bash or zsh; on Windows use Git Bash or WSL, whose quoting is the same).

# %% slideshow={"slide_type": "subslide"}
import requests

url = f"{notes.url}/notes"
print(lab.curl_line("GET", url))
response = requests.get(url)
response.status_code, response.headers["Content-Type"], response.json()

# %% [markdown] slideshow={"slide_type": "fragment"}
# Status 200, a JSON body, and an empty list: there are no notes yet. `lab.show(response)` prints a response as
# it travelled: status line, the headers worth reading (`response.headers` has them all, including `Date`
# and `Server`), a blank line, the body.

# %% slideshow={"slide_type": "-"}
lab.show(response)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## POST to insert
#
# The lecture notes list four methods: **GET** (to read), **POST** (to insert data), **PUT** (to update data)
# and **DELETE** (to delete data). From here on `lab.send(method, path, json)` does the three steps at once:
# print the curl line, send the request with `requests`, show the response.
#
# POST sends a body: `json=` turns a Python dict into JSON and adds the header `Content-Type: application/json`.

# %% slideshow={"slide_type": "subslide"}
r = lab.send("POST", "/notes", {"title": "water the plants"})

# %% [markdown] slideshow={"slide_type": "subslide"}
# **201 Created**, not just 200: a new resource exists, and the **Location** header says where
# ([RFC 9110 §15.3.2](https://www.rfc-editor.org/rfc/rfc9110#name-201-created)). The server chose the id.
# A second note:

# %% slideshow={"slide_type": "-"}
r = lab.send("POST", "/notes", {"title": "read chapter 3"})
r.headers["Location"]

# %% [markdown] slideshow={"slide_type": "slide"}
# ## GET to read
#
# `GET /notes` lists every note; `GET /notes/{id}` reads one. A **query string** (after `?`) refines a GET
# without changing the path: `?done=true` keeps the notes that are done.

# %% slideshow={"slide_type": "subslide"}
r = lab.send("GET", "/notes/1")

# %% slideshow={"slide_type": "subslide"}
r = lab.send("GET", "/notes")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## PUT to update
#
# PUT sends the **whole** new version of the note to its URL and the server stores exactly that
# ([RFC 9110 §9.3.4](https://www.rfc-editor.org/rfc/rfc9110#name-put)). Mark note 1 as done:

# %% slideshow={"slide_type": "subslide"}
r = lab.send("PUT", "/notes/1", {"title": "water the plants", "done": True})

# %% [markdown] slideshow={"slide_type": "fragment"}
# "Whole" matters: a field you leave out is not kept, it gets its default. Send only a title and `done` goes
# back to `false`:

# %% slideshow={"slide_type": "-"}
r = lab.send("PUT", "/notes/1", {"title": "water the plants (and the garden)"})

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### PATCH: change only some fields
#
# Not in the lecture's four, but common: **PATCH** sends only the changes
# ([RFC 5789](https://www.rfc-editor.org/rfc/rfc5789)). The title stays as it was:

# %% slideshow={"slide_type": "fragment"}
r = lab.send("PATCH", "/notes/1", {"done": True})

# %% slideshow={"slide_type": "subslide"}
r = lab.send("GET", "/notes?done=true")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## DELETE to delete
#
# A successful DELETE has nothing to say: **204 No Content**, no body at all
# ([RFC 9110 §15.3.5](https://www.rfc-editor.org/rfc/rfc9110#name-204-no-content)). Reading the note
# afterwards gives **404 Not Found**, with a body that says what to do.

# %% slideshow={"slide_type": "subslide"}
r = lab.send("DELETE", "/notes/2")

# %% slideshow={"slide_type": "fragment"}
r = lab.send("GET", "/notes/2")

# %% [markdown] slideshow={"slide_type": "subslide"}
# > **🤔 Check yourself.** You want to mark note 1 as done, and send `PUT /notes` (no id) with the whole note.
# > Which status do you expect, and which header tells you what to do instead?
# >
# > <details><summary>Answer</summary>
# >
# > **405 Method Not Allowed**: the path `/notes` exists but does not accept PUT. Its **Allow** header lists the
# > methods it does accept (GET, HEAD, OPTIONS, POST): a PUT goes to the note's own URL, `/notes/1`.
# > </details>

# %% [markdown] slideshow={"slide_type": "fragment"}
# > **🤔 Check yourself.** And `PUT /notes/1` with `{"title": "water the plants", "done": "true"}`?
# >
# > <details><summary>Answer</summary>
# >
# > **422 Unprocessable Content**: the body is valid JSON, but `"true"` is a string, not the JSON boolean `true`.
# > The service's answer names the field, so the client knows what to change.
# > </details>

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Status codes: when things go wrong
#
# The first digit says who should act: **2xx** it worked, **4xx** the client should change the request,
# **5xx** the server failed ([RFC 9110 §15](https://www.rfc-editor.org/rfc/rfc9110#name-status-codes);
# [MDN's list](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Status)).
#
# | code | reason | the notes service sends it when | RFC 9110 |
# |---|---|---|---|
# | 200 | OK | a GET, PUT or PATCH worked | [§15.3.1](https://www.rfc-editor.org/rfc/rfc9110#name-200-ok) |
# | 201 | Created | a POST created a note (see Location) | [§15.3.2](https://www.rfc-editor.org/rfc/rfc9110#name-201-created) |
# | 204 | No Content | a DELETE worked; also OPTIONS | [§15.3.5](https://www.rfc-editor.org/rfc/rfc9110#name-204-no-content) |
# | 400 | Bad Request | the body is not JSON, or not an object | [§15.5.1](https://www.rfc-editor.org/rfc/rfc9110#name-400-bad-request) |
# | 404 | Not Found | the path or the note does not exist | [§15.5.5](https://www.rfc-editor.org/rfc/rfc9110#name-404-not-found) |
# | 405 | Method Not Allowed | the path exists, the method does not (see Allow) | [§15.5.6](https://www.rfc-editor.org/rfc/rfc9110#name-405-method-not-allowed) |
# | 415 | Unsupported Media Type | the body is not sent as `application/json` | [§15.5.16](https://www.rfc-editor.org/rfc/rfc9110#name-415-unsupported-media-type) |
# | 422 | Unprocessable Content | valid JSON, but a field is missing or wrong | [§15.5.21](https://www.rfc-editor.org/rfc/rfc9110#name-422-unprocessable-content) |
#
# Each mistake below is made on purpose, live. A trailing comma is not allowed in JSON, and the answer says where:

# %% slideshow={"slide_type": "subslide"}
r = lab.send("POST", "/notes", data='{"title": "buy bread",}', headers={"Content-Type": "application/json"})

# %% [markdown] slideshow={"slide_type": "subslide"}
# The same body without the `Content-Type` header (the classic curl mistake: `-d` alone sends
# `application/x-www-form-urlencoded`, and `requests` with `data=` sends none):

# %% slideshow={"slide_type": "-"}
r = lab.send("POST", "/notes", data='{"title": "buy bread"}')

# %% [markdown] slideshow={"slide_type": "subslide"}
# Valid JSON, wrong content: `done` must be a JSON boolean, not the string `"yes"`.

# %% slideshow={"slide_type": "-"}
r = lab.send("POST", "/notes", {"title": "buy bread", "done": "yes"})

# %% [markdown] slideshow={"slide_type": "subslide"}
# A typo in the path (`/note`), then a method the path does not accept: the **Allow** header lists what it does
# accept ([RFC 9110 §10.2.1](https://www.rfc-editor.org/rfc/rfc9110#name-allow)).

# %% slideshow={"slide_type": "-"}
r = lab.send("GET", "/note")

# %% slideshow={"slide_type": "subslide"}
r = lab.send("DELETE", "/notes")

# %% [markdown] slideshow={"slide_type": "fragment"}
# A client can also just ask: **OPTIONS** answers with the Allow header and no body.

# %% slideshow={"slide_type": "-"}
r = lab.send("OPTIONS", "/notes/1")

# %% [markdown] slideshow={"slide_type": "slide"}
# ### Exercise 01.1 · Fix: a request the service refuses
#
# A colleague's script should create the note "book the dentist" (not done), but the service refuses it. Run the
# cell: the check shows what the service answered. Fix the request (in the cell itself) until the service answers
# **201 Created**. There may be more than one thing wrong: read each answer (`lab.show(response)` shows it all).

# %% slideshow={"slide_type": "-"}
# YOUR CODE HERE: fix this request
body = "{'title': 'book the dentist', 'done': False}"
response = requests.post(f"{notes.url}/notes", data=body)

lab.check("01.1", response)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Safe and idempotent methods
#
# Two properties decide what a client (or a proxy between it and the server) may do with a request, such as
# send it again after a timeout:
#
# - **safe**: the client does not ask for any change on the server. GET, HEAD, OPTIONS and TRACE are safe
#   ([RFC 9110 §9.2.1](https://www.rfc-editor.org/rfc/rfc9110#name-safe-methods); MDN: [Safe](https://developer.mozilla.org/en-US/docs/Glossary/Safe/HTTP)).
# - **idempotent**: sending the request twice leaves the server as sending it once. Every safe method is, and so
#   are PUT and DELETE ([RFC 9110 §9.2.2](https://www.rfc-editor.org/rfc/rfc9110#name-idempotent-methods);
#   MDN: [Idempotent](https://developer.mozilla.org/en-US/docs/Glossary/Idempotent)).
#
# An idempotent request can be retried after a timeout without thinking twice.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 01.2 · Predict: the same requests, twice
#
# The check will send these four requests, in this order, to the notes service:
#
# 1. `POST /notes` with `{"title": "pay rent"}`
# 2. the same `POST /notes` again
# 3. `DELETE /notes/{id}`, with the id the service gave the **first** note
# 4. the same `DELETE` again
#
# Predict the four status codes, and how many of the two "pay rent" notes exist afterwards. Record both, then
# run the cell: the check sends the requests and compares.

# %% slideshow={"slide_type": "-"}
# YOUR CODE HERE: replace each ... with your prediction
prediction = {"statuses": [..., ..., ..., ...],  # four status codes, in order
              "notes_left": ...}                 # how many of the two "pay rent" notes are left

lab.check("01.2", prediction=prediction)

# %% [markdown] slideshow={"slide_type": "slide"}
# ### POST twice, DELETE twice
#
# The same experiment by hand. Watch a POST sent twice:

# %% slideshow={"slide_type": "subslide"}
before = len(notes.notes)
ids = [requests.post(f"{notes.url}/notes", json={"title": "call the bank"}).json()["id"] for _ in range(2)]
print(f"two identical POSTs: {len(notes.notes) - before} new notes, ids {ids}")
[n for n in notes.notes if n["title"] == "call the bank"]

# %% [markdown] slideshow={"slide_type": "fragment"}
# Idempotence is about the **state** on the server, not about the answer: the second DELETE of the same note gets
# 404, but afterwards the note is gone either way.

# %% slideshow={"slide_type": "-"}
first = requests.delete(f"{notes.url}/notes/{ids[-1]}")
second = requests.delete(f"{notes.url}/notes/{ids[-1]}")
print(f"first DELETE: {first.status_code}, second DELETE: {second.status_code}")
[n["id"] for n in notes.notes]

# %% [markdown] slideshow={"slide_type": "subslide"}
# > **🤔 Check yourself.** Is PATCH idempotent? Think of `{"done": true}`, then of a patch format that says
# > "add 1 to a counter".
# >
# > <details><summary>Answer</summary>
# >
# > Not in general: RFC 5789 defines PATCH as neither safe nor idempotent. Setting `done` to `true` twice leaves
# > the same note (idempotent in effect), but "add 1" applied twice adds 2. A client may retry a PATCH only when
# > it knows the patch is idempotent ([RFC 5789 §2](https://www.rfc-editor.org/rfc/rfc5789#section-2)).
# > </details>

# %% [markdown] slideshow={"slide_type": "slide"}
# ## A request builder
#
# Tools such as Postman give a form instead of code: a method, a URL, a body, a Send button. Here is a small one
# inside the notebook (open the notebook in JupyterLab to use it). A broken JSON body is caught before anything
# is sent.

# %% slideshow={"slide_type": "subslide"}
builder = lab.request_builder(notes.url)
builder

# %% [markdown] slideshow={"slide_type": "fragment"}
# The form can be driven from code too, which is how this notebook (and its tests) use it without a browser:

# %% slideshow={"slide_type": "-"}
builder.method.value = "POST"
builder.path.value = "/notes"
builder.body.value = '{"title": "from the form"}'
builder.send_button.click()
print(builder.status.value)
builder.last_headers, builder.last_body

# %% slideshow={"slide_type": "fragment"}
builder.body.value = '{"title": from the form}'
builder.send_button.click()
print(builder.last_status)
print(builder.last_error)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Postman
#
# > **📅 Update to the lecture notes.** The notes end with "Download PostMan" and a link to the download page.
# > Postman still works (and is free for one person), but you do not have to build the requests by hand:
# > this course generates a **Postman Collection v2.1** file for the notes service, one request per call with a
# > test that checks its status code. In Postman choose **Import** and pick
# > `data/notes.postman_collection.json` (Postman's guide: [Import data into Postman](https://learning.postman.com/docs/getting-started/importing-and-exporting/importing-data/)).
# > The same file runs without Postman in its command-line runner, `newman run data/notes.postman_collection.json`.
#
# The collection sends every request to `{{baseUrl}}`, a collection variable set to `http://127.0.0.1:8000`.
# Either start the service on that port (`lab.stop_notes_service(); notes = lab.start_notes_service(8000)`), or
# in Postman open the collection's **Variables** tab and set `baseUrl` to the URL below.

# %% slideshow={"slide_type": "subslide"}
print("baseUrl for this kernel:", notes.url)
collection = lab.notes_collection(notes.url)
print(collection["info"]["schema"])
for item in collection["item"]:
    print(f'{item["request"]["method"]:<7} {item["request"]["url"]["raw"]:<28} {item["name"]}')

# %% [markdown] slideshow={"slide_type": "fragment"}
# Each request carries a small test script in JavaScript, which Postman runs after the response arrives. The one
# for "Create a note" also stores the new id in the variable `noteId` for the requests after it:

# %% slideshow={"slide_type": "-"}
print("\n".join(collection["item"][1]["event"][0]["script"]["exec"]))

# %% [markdown] slideshow={"slide_type": "subslide"}
# `lab_support.course.postman.run_collection` replays a collection in order, as Postman's Collection Runner would, and
# reports each test:

# %% slideshow={"slide_type": "-"}
from lab_support.course.postman import run_collection

for result in run_collection(collection):
    verdict = "pass" if result.passed else "FAIL"
    print(f"{verdict}  {result.status}  {result.method:<6} {result.name}")

# %% [markdown] slideshow={"slide_type": "notes"}
# **Speaker notes.** If students have Postman installed, import the file live and run it with the Collection
# Runner: the same 12 green tests. The generator (`lab_support/course/postman.py`) takes any list of calls, so later
# notebooks produce collections for the APIs they deploy to API Gateway.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Every call, in one figure
#
# The service logged every request this notebook sent (`notes.log`). Counted by method and status code:

# %% slideshow={"slide_type": "subslide"}
from collections import Counter

counts = Counter((call.method, call.status) for call in notes.log)
methods = [m for m in ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS") if any(k[0] == m for k in counts)]
statuses = sorted({status for _method, status in counts})
print(f"{len(notes.log)} requests; status codes seen: {statuses}")

# %% slideshow={"slide_type": "subslide"}
import matplotlib.pyplot as plt

from lab_support.course.http import status_text

fig, ax = plt.subplots(figsize=(12, 5), layout="constrained")
bottom = [0] * len(methods)
for status in statuses:
    heights = [counts[(m, status)] for m in methods]
    ax.bar(methods, heights, bottom=bottom, label=status_text(status))
    bottom = [b + h for b, h in zip(bottom, heights)]
ax.set(title="Requests sent in this notebook", xlabel="method", ylabel="requests")
ax.legend(title="status", loc="upper left", bbox_to_anchor=(1.01, 1))
plt.show()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - An API is how a client and a server talk; on the web, a request and a response over HTTP. REST is the
#   style (one URL per resource, methods as verbs); API Gateway's REST API is a product named after it.
# - The lecture's four methods: GET reads, POST inserts (201 + Location), PUT replaces (200), DELETE deletes (204);
#   PATCH changes some fields.
# - Status codes tell who should act: 2xx fine, 4xx fix the request (the body says how), 5xx the server failed.
# - GET, HEAD, OPTIONS and TRACE are safe; those plus PUT and DELETE are idempotent; POST is neither.
#   Idempotence is about the state on the server, not the response.
# - Every call here is also a curl line, a form, and a Postman request.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## Questionnaire
#
# 1. Name the four parts of an HTTP request and the three parts of a response.
# 2. A POST answers 201. Which header tells the client where the new resource is?
# 3. Which status does a client get for a body that is not JSON, for JSON sent without
#    `Content-Type: application/json`, and for valid JSON with a wrong field?
# 4. Why may a client retry a PUT after a timeout, but not a POST?
# 5. What is the difference between REST and API Gateway's REST API?

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Clean up
#
# Stop the notes service (it frees its port; `lab.start_notes_service()` starts a fresh one) and remove what this
# notebook created.

# %% slideshow={"slide_type": "-"}
lab.stop_notes_service()
lab.cleanup()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Next
#
# [02 · Lambda invocation and the permissions model](02_lambda_invocation_and_permissions.ipynb): the code that
# will sit behind such an API, who may invoke it, and what it may call.
