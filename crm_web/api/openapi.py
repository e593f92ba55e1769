"""The OpenAPI 3.1 document, built from RESOURCES at request time, so it cannot drift from the
routes. apispec assembles it: it is small, kept, writes 3.1, and needs no schema library of its
own (the services keep the one set of validation rules, so the API has no second set in
marshmallow or pydantic to describe); the record schemas are JSON Schema (2020-12, which 3.1
uses as is), written beside the serializers they describe."""

from __future__ import annotations

from apispec import APISpec

from crm_web.api.bulk import BULK_KINDS
from crm_web.api.catalog import RESOURCES

STRING = {"type": "string"}
NULLABLE_STRING = {"type": ["string", "null"]}
ID = {"type": "string", "format": "uuid"}
NULLABLE_ID = {"type": ["string", "null"], "format": "uuid"}
TIME = {"type": ["string", "null"], "format": "date-time"}
STRINGS = {"type": "array", "items": STRING}
OBJECT = {"type": "object", "additionalProperties": True}
ADDRESS = {
    "type": ["object", "null"],
    "properties": {k: STRING for k in ("street", "city", "state", "postal_code", "country")},
}
COMMON = {
    "owner_id": {"type": ["string", "null"], "format": "uuid"},
    "custom_fields": {**OBJECT, "description": "Custom field values keyed by field key."},
    "status": {"enum": ["active", "archived"]},
    "archived_at": TIME,
    "created_at": TIME,
    "updated_at": TIME,
    "version": {"type": "integer"},
}
PROPERTIES = {
    "contacts": {
        "id": ID,
        "first_name": STRING,
        "last_name": STRING,
        "job_title": NULLABLE_STRING,
        "emails": STRINGS,
        "phones": STRINGS,
        "company_id": {"type": ["string", "null"], "format": "uuid"},
        "company_name": NULLABLE_STRING,
        "owner_name": NULLABLE_STRING,
        **COMMON,
    },
    "companies": {
        "id": ID,
        "name": STRING,
        "website": NULLABLE_STRING,
        "phone": NULLABLE_STRING,
        "industry": NULLABLE_STRING,
        "address": ADDRESS,
        "owner_name": NULLABLE_STRING,
        "contact_count": {"type": ["integer", "null"]},
        **COMMON,
    },
    "deals": {
        "id": ID,
        "title": STRING,
        "company_id": ID,
        "contact_id": {"type": ["string", "null"], "format": "uuid"},
        "value": {"type": "string", "description": 'A decimal amount, e.g. "1200.00".'},
        "currency": STRING,
        "stage": STRING,
        "probability": {"type": "integer", "minimum": 0, "maximum": 100},
        "close_date": {"type": ["string", "null"], "format": "date"},
        **COMMON,
    },
    "customers": {
        "id": ID,
        "name": STRING,
        "first_name": STRING,
        "last_name": STRING,
        "job_title": NULLABLE_STRING,
        "emails": STRINGS,
        "phones": STRINGS,
        "company": {
            "type": ["object", "null"],
            "properties": {"id": ID, "name": STRING, "address": ADDRESS},
        },
        **COMMON,
    },
}
DATE = {"type": ["string", "null"], "format": "date"}
STAMPS = {"created_at": TIME, "updated_at": TIME, "version": {"type": "integer"}}
ATTACHED = {"entity_type": {"enum": ["contact", "company", "deal", None]}, "entity_id": NULLABLE_ID}
PROPERTIES.update(
    {
        "tasks": {
            "id": ID,
            "description": STRING,
            "due_date": DATE,
            "due_time": {**NULLABLE_STRING, "description": "HH:MM on the token user's clock."},
            "due_at": TIME,
            "status": {"enum": ["open", "closed"]},
            "priority": {"enum": ["low", "normal", "high"]},
            "assignee_id": NULLABLE_ID,
            "assigned_to": NULLABLE_STRING,
            **ATTACHED,
            **STAMPS,
        },
        "notes": {"id": ID, "content": STRING, **ATTACHED, **STAMPS},
        "pipeline-stages": {
            "id": ID,
            "name": STRING,
            "position": {"type": "integer"},
            "default_probability": {"type": "integer", "minimum": 0, "maximum": 100},
            "is_won": {"type": "boolean"},
            "is_lost": {"type": "boolean"},
            **STAMPS,
        },
        "custom-fields": {
            "id": ID,
            "name": STRING,
            "label": STRING,
            "entity_type": {"enum": ["contact", "company", "deal"]},
            "field_type": {"enum": ["text", "number", "date", "enum", "boolean"]},
            "enum_values": {"type": ["array", "null"], "items": STRING},
            "required": {"type": "boolean"},
            "created_at": TIME,
        },
    }
)
# The records' list filters (each resource may name its own: Resource.params).
RECORD_PARAMS = (
    {"name": "search", "in": "query", "schema": STRING},
    {"name": "status", "in": "query", "schema": {"enum": ["active", "archived"]}},
)
DESCRIPTIONS = {
    "customers": "A customer is a contact seen with its company's name and address, and a "
    "`status`: `active`, or `archived` once archived (DELETE archives). `search` matches "
    "company name, contact name and email, best matches first. Writes take the contact's "
    "fields, `company_id` and `status`.",
    "contacts": "People.",
    "companies": "Organisations.",
    "deals": "Opportunities moving through the pipeline stages.",
}
PROBLEM = {
    "type": "object",
    "properties": {
        "type": STRING,
        "title": STRING,
        "status": {"type": "integer"},
        "detail": STRING,
        "errors": {"type": "object", "additionalProperties": STRINGS},
        "current": OBJECT,
        "duplicates": {
            "type": "array",
            "items": ID,
            "description": "On a 409 duplicate: the ids of the live records it would repeat.",
        },
    },
    "required": ["type", "title", "status"],
}


def _problem(description: str) -> dict:
    return {
        "description": description,
        "content": {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        },
    }


RETRY_AFTER = {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."}}
ERRORS = {
    "400": _problem("Text the database cannot hold (e.g. a NUL), or a malformed request."),
    "401": _problem("No token, or a revoked or expired one, or its user is inactive."),
    "403": _problem("The role or the token's scope does not allow it."),
    "429": {
        **_problem("Past the token's rate limit: wait `Retry-After` seconds."),
        "headers": RETRY_AFTER,
    },
}
# A body's answers besides the operation's own.
BODY_ERRORS = {
    "413": _problem("The body is larger than the limit (16 MB)."),
    "415": _problem("The body is not application/json."),
}
IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
    "description": "A retried request with the same key (and the same token and body) gets the "
    "first answer back (`Idempotent-Replayed: true`) instead of doing the work again; kept 24 h. "
    "The same key with another body: 422; while the first is still running: 409.",
}
ALLOW_DUPLICATE = {
    "name": "allow_duplicate",
    "in": "query",
    "schema": {"type": "string", "enum": ["true", "false"]},
    "description": "A record with another live record's email or phone (contacts), or name or "
    "web domain (companies), is refused with 409 naming it in `duplicates`; `true` saves it "
    'anyway (the pages\' "Create anyway" and "Save anyway").',
}
DUPLICATE_ERRORS = {
    "409": _problem(
        "Another live record has this email, phone, name or web domain (`duplicates` holds "
        "its id; repeat with `allow_duplicate=true` to create it anyway), or a request with "
        "this Idempotency-Key is still running."
    ),
}
IDEMPOTENT_ERRORS = {
    "409": _problem("A request with this Idempotency-Key is still running."),
    "422": _problem("Not valid, or the Idempotency-Key was used for another request."),
}
LIMITS = (
    "\n\n**Limits.** Each token may make 600 requests in a fixed window of 60 seconds, "
    "unless the server's operator set other figures (`CRM_API_RATE_LIMIT`, "
    "`CRM_API_RATE_WINDOW`), counted in the database, so every server process shares one "
    "count; past it the answer is 429 with `Retry-After`. Every answer to a valid token carries "
    "`RateLimit-Limit` (this server's limit), `RateLimit-Remaining` and `RateLimit-Reset`. Bodies "
    "are capped at `MAX_CONTENT_LENGTH` (16 MB): 413. Lists give at most 200 records a page "
    "(`limit`, 50 by default) and `page` reaches the first 1,000 records; then follow `next`. "
    "A bulk request holds at most 10,000 records."
)


def _json(schema: dict, description: str = "OK", headers: dict | None = None) -> dict:
    response = {"description": description, "content": {"application/json": {"schema": schema}}}
    if headers:
        response["headers"] = headers
    return response


ETAG = {"ETag": {"schema": STRING, "description": "The record's version, for If-Match."}}
IF_MATCH = {"name": "If-Match", "in": "header", "required": True, "schema": STRING}


def _operations(name: str) -> tuple[dict, dict, dict]:
    ref = {"$ref": f"#/components/schemas/{name}"}
    write = {"$ref": f"#/components/schemas/{name}Write"}
    body = {"required": True, "content": {"application/json": {"schema": write}}}
    record_id = {"name": "record_id", "in": "path", "required": True, "schema": ID}
    tags = [name]
    stale = {
        "404": _problem("No such record, or not visible."),
        "412": _problem("If-Match is stale; `current` holds the record as it is now."),
        "428": _problem("If-Match is missing."),
        "422": _problem("Some fields are not valid: `errors` names them."),
        **ERRORS,
    }
    resource = RESOURCES[name]
    filters = list(resource.params) if resource.params is not None else [*RECORD_PARAMS]
    if resource.sorts:
        filters.append({"name": "sort", "in": "query", "schema": {"enum": list(resource.sorts)}})
        filters.append({"name": "dir", "in": "query", "schema": {"enum": ["asc", "desc"]}})
    list_params = [
        *filters,
        {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}},
        {
            "name": "limit",
            "in": "query",
            "schema": {"type": "integer", "minimum": 1, "maximum": 200},
        },
        {"name": "cursor", "in": "query", "schema": STRING},
    ]
    page = {
        "type": "object",
        "properties": {
            "data": {"type": "array", "items": ref},
            "limit": {"type": "integer"},
            "next": {"type": ["string", "null"], "description": "The next page (a cursor)."},
        },
    }
    collection = {
        "get": {
            "tags": tags,
            "summary": f"List {name}",
            "parameters": list_params,
            "responses": {
                "200": _json(page, headers={"Link": {"schema": STRING}}),
                "400": _problem("`page` too deep: follow the `next` cursor."),
                "422": _problem("A bad `limit`, `page` or `status`."),
                **ERRORS,
            },
        },
        "post": {
            "tags": tags,
            "summary": f"Create one of the {name}",
            "parameters": [IDEMPOTENCY_KEY]
            + ([ALLOW_DUPLICATE] if resource.checks_duplicates else []),
            "requestBody": body,
            "responses": {
                "201": _json(ref, "Created", ETAG),
                **BODY_ERRORS,
                **IDEMPOTENT_ERRORS,
                **(DUPLICATE_ERRORS if resource.checks_duplicates else {}),
                **ERRORS,
            },
        },
    }
    item = {
        "get": {
            "tags": tags,
            "summary": "Read one (If-None-Match → 304)",
            "responses": {
                "200": _json(ref, headers=ETAG),
                "304": {"description": "Not modified"},
                "404": _problem("No such record, or not visible."),
                **ERRORS,
            },
        },
        "put": {
            "tags": tags,
            "summary": "Replace the writable fields",
            "parameters": [IF_MATCH],
            "requestBody": body,
            "responses": {"200": _json(ref, headers=ETAG), **stale, **BODY_ERRORS},
        },
        "patch": {
            "tags": tags,
            "summary": "Change the fields sent",
            "parameters": [IF_MATCH],
            "requestBody": body,
            "responses": {"200": _json(ref, headers=ETAG), **stale},
        },
        "delete": {
            "tags": tags,
            "summary": "Archive (restore with POST …/restore)",
            "parameters": [IF_MATCH],
            "responses": {"200": _json(ref, headers=ETAG), **stale},
        },
    }
    if resource.update is None:
        del item["put"], item["patch"]
    elif resource.checks_duplicates:
        for method in ("put", "patch"):
            item[method]["parameters"].append(ALLOW_DUPLICATE)
            item[method]["responses"]["409"] = _problem(
                "Another live record has this email, phone, name or web domain (`duplicates` "
                "holds its id; repeat with `allow_duplicate=true` to save it anyway)."
            )
    if resource.delete is not None:
        item["delete"] = {
            "tags": tags,
            "summary": "Delete for good",
            "parameters": [IF_MATCH]
            + (
                [{"name": "move_to", "in": "query", "schema": STRING}]
                if name == "pipeline-stages"
                else []
            ),
            "responses": {"204": {"description": "Deleted"}, **stale},
        }
    extra = {
        "restore": {
            "post": {
                "tags": tags,
                "summary": "Restore an archived record",
                "parameters": [IF_MATCH, IDEMPOTENCY_KEY],
                "responses": {"200": _json(ref, headers=ETAG), **stale},
            },
        },
        "history": {
            "get": {
                "tags": tags,
                "summary": "The record's changes, newest first (managers and admins)",
                "parameters": [{"name": "cursor", "in": "query", "schema": STRING}],
                "responses": {
                    "200": _json(OBJECT),
                    "404": _problem("No such record, or not visible."),
                    **ERRORS,
                },
            },
        },
    }
    if resource.restore is None:
        del extra["restore"]
    return collection, item, extra, [record_id]


BULK_JOB = {
    "type": "object",
    "properties": {
        "id": ID,
        "url": STRING,
        "resource": STRING,
        "status": {"enum": ["queued", "running", "finished"]},
        "total": {"type": "integer"},
        "processed": {"type": "integer"},
        "created": {"type": "integer"},
        "failed": {"type": "integer"},
        "created_at": TIME,
        "finished_at": TIME,
        "results": {
            "type": "array",
            "description": "One per item processed, by its index in the request: the id of "
            "the record made, or the item's errors ({field: [messages]}).",
            "items": {
                "type": "object",
                "properties": {
                    "index": {"type": "integer"},
                    "id": ID,
                    "errors": {"type": "object", "additionalProperties": STRINGS},
                },
                "required": ["index"],
            },
        },
    },
}


def _bulk_operations(name: str) -> dict:
    write = {"$ref": f"#/components/schemas/{name}Write"}
    records = {"type": "array", "items": write, "minItems": 1, "maxItems": 10_000}
    return {
        "post": {
            "tags": [name],
            "summary": f"Create up to 10,000 {name} in the background",
            "description": 'A JSON array of records (or `{"records": [...]}`), or NDJSON '
            "(`application/x-ndjson`, one record a line). Each is held to the rules of a "
            "single POST; bad ones do not stop the others. Answers 202 at once, with the "
            "job's URL in `Location`: poll it for progress and per-item results.",
            "parameters": [IDEMPOTENCY_KEY],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": records},
                    "application/x-ndjson": {"schema": STRING},
                },
            },
            "responses": {
                "202": _json(
                    {"$ref": "#/components/schemas/BulkJob"},
                    "Queued",
                    {"Location": {"schema": STRING, "description": "The job's URL."}},
                ),
                **BODY_ERRORS,
                "413": _problem("More than 10,000 records, or a body past the size limit."),
                **IDEMPOTENT_ERRORS,
                **ERRORS,
            },
        }
    }


def document(base: str) -> dict:
    spec = APISpec(
        title="crm_web API",
        version="1",
        openapi_version="3.1.0",
        info={
            "description": "Records of the CRM as JSON. Authenticate with a personal token "
            "(`Authorization: Bearer …`, made on your profile page); errors are RFC 9457 "
            "problem details; every record has an ETag, and PUT, PATCH and DELETE need it in "
            "If-Match." + LIMITS
        },
        servers=[{"url": base}],
    )
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    spec.components.schema("Problem", PROBLEM)
    for name, resource in RESOURCES.items():
        properties = PROPERTIES[name]
        spec.components.schema(name, {"type": "object", "properties": properties})
        writable = {k: properties.get(k, {}) for k in resource.writable}
        spec.components.schema(f"{name}Write", {"type": "object", "properties": writable})
        spec.tag({"name": name, "description": DESCRIPTIONS.get(name) or resource.description})
        collection, item, extra, by_id = _operations(name)
        spec.path(path=f"/{name}", operations=collection)
        spec.path(path=f"/{name}/{{record_id}}", operations=item, parameters=by_id)
        for suffix, operations in extra.items():
            path = f"/{name}/{{record_id}}/{suffix}"
            spec.path(path=path, operations=operations, parameters=by_id)
    spec.components.schema("BulkJob", BULK_JOB)
    for name in BULK_KINDS:
        spec.path(path=f"/{name}/bulk", operations=_bulk_operations(name))
    spec.tag({"name": "jobs", "description": "Bulk jobs: their progress and per-item results."})
    spec.path(
        path="/jobs/{job_id}",
        operations={
            "get": {
                "tags": ["jobs"],
                "summary": "A bulk job's progress and results (its sender only)",
                "parameters": [{"name": "job_id", "in": "path", "required": True, "schema": ID}],
                "responses": {
                    "200": _json({"$ref": "#/components/schemas/BulkJob"}),
                    "404": _problem("No such job, or not yours."),
                    **ERRORS,
                },
            }
        },
    )
    me = {"type": "object", "properties": {"id": ID, "email": STRING, "name": STRING}}
    spec.path(
        path="/users/me",
        operations={"get": {"summary": "Who the token acts as", "responses": {"200": _json(me)}}},
    )
    document = spec.to_dict()
    document["security"] = [{"bearer": []}]
    return document
