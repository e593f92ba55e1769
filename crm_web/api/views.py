"""The API's routes: the same handful for every resource (api/resources.py), each parsing the
request, calling one service and answering JSON; errors are problem details (api/problems.py)."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, current_app, g, jsonify, render_template, request, url_for

from crm_web.accounts.services import get_user
from crm_web.api import bulk, limits, openapi
from crm_web.api.auth import api_actor, api_token, authenticate_request
from crm_web.api.catalog import RESOURCES
from crm_web.api.idempotency import idempotent
from crm_web.api.problems import ApiProblem
from crm_web.api.resources import Resource, history
from crm_web.api.revalidation import CACHE_CONTROL, entity_tags
from crm_web.core.errors import ConflictError, ValidationError

bp = Blueprint("api", __name__, url_prefix="/api/v1")
# The human side: the OpenAPI document read through Swagger UI (static/vendor/).
docs_bp = Blueprint("api_docs", __name__, url_prefix="/api")
KINDS = "any(" + ",".join(f"'{name}'" for name in RESOURCES) + ")"
MAX_LIMIT = 200
DEFAULT_LIMIT = 50
# `page` walks this many rows at most; past them the client follows the `next` cursor, which
# costs the same at any depth (a deep page would cost what an OFFSET does).
MAX_PAGE_ROWS = 1000


def declares(action: str | None):
    """Says which POLICY action a route stands for (tests/accounts/test_permissions walks
    them); the token check itself is the blueprint's before_request, the rules the services'."""

    def mark(view):
        view.required_action = action
        return view

    return mark


@bp.before_request
def _authenticate():
    if request.endpoint != "api.openapi_document":
        authenticate_request(_probe())
        limits.count_request(g.api_token.id)


def _probe():
    """For a GET of one record whose resource offers it, the statement reading the record
    (its versions alone on a revalidation), run in the token's: one round trip a call."""
    if request.endpoint != "api.detail" or request.method not in ("GET", "HEAD"):
        return None
    resource = RESOURCES[request.view_args["kind"]]
    if resource.probe is None:
        return None
    revalidating = bool(request.headers.get("If-None-Match"))
    return resource.probe(request.view_args["record_id"], revalidating)


@bp.after_request
def _rate_headers(response):
    response.headers.update(limits.rate_headers())
    return response


@bp.errorhandler(ApiProblem)
def _problem(exc: ApiProblem):
    return exc.response


def _resource(kind: str) -> Resource:
    return RESOURCES[kind]


def _record_response(body: dict, etag: str, status: int = 200, **headers):
    response = jsonify(body)
    response.status_code = status
    response.headers["ETag"] = etag
    response.headers["Cache-Control"] = CACHE_CONTROL
    response.headers.update(headers)
    return response


def _int_arg(name: str, default: int, lowest: int, highest: int | None = None) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        value = lowest - 1
    if value < lowest or (highest is not None and value > highest):
        top = f" and {highest}" if highest is not None else " or more"
        raise ValidationError({name: [f"Must be a whole number between {lowest}{top}."]})
    return value


@bp.get(f"/<{KINDS}:kind>")
@declares("records.read")
def index(kind):
    """A page of records: `search`, `status`, `sort`, `limit` (≤ 200), then `page` or the
    `cursor` of the `next` link."""
    limit = _int_arg("limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    page = _int_arg("page", 1, 1)
    _check_choices(_resource(kind))
    if (page - 1) * limit >= MAX_PAGE_ROWS:  # the page would start past them
        raise ApiProblem(
            400,
            "page_too_deep",
            f"`page` reaches only the first {MAX_PAGE_ROWS} records: follow the `next` link "
            "(a cursor) to go further.",
        )
    if request.args.get("cursor"):
        page = 1  # a cursor says where the page starts
    rows, cursor = _resource(kind).page(request.args, page * limit, api_actor())
    rows = rows[(page - 1) * limit :]
    next_url = _next_url(kind, cursor, limit) if cursor else None
    response = jsonify({"data": rows, "limit": limit, "next": next_url})
    if next_url:
        response.headers["Link"] = f'<{next_url}>; rel="next"'
    return response


def _check_choices(resource: Resource) -> None:
    """422 for a list filter outside its choices (status=active|archived, …)."""
    for param in resource.params if resource.params is not None else openapi.RECORD_PARAMS:
        choices = param["schema"].get("enum")
        value = request.args.get(param["name"])
        if choices and value not in (None, "", *choices):
            raise ValidationError({param["name"]: [f"Must be one of: {', '.join(choices)}."]})


def _next_url(kind: str, cursor: str, limit: int) -> str:
    args = {k: v for k, v in request.args.items() if k not in ("page", "cursor", "limit")}
    args.update(limit=limit, cursor=cursor)
    return url_for(".index", kind=kind, _external=True) + "?" + urlencode(args)


def _body() -> dict:
    body = request.get_json(silent=True)
    if not request.is_json:
        raise ApiProblem(415, "unsupported_media_type", "Send the record as application/json.")
    if not isinstance(body, dict):
        raise ApiProblem(400, "bad_json", "The body must be a JSON object.")
    return body


def _writes(resource: Resource, body: dict, full: bool) -> dict:
    """The fields to write: on PUT every writable field (what is left out is cleared), on
    POST and PATCH those sent. Fields the client read back are ignored; others are refused."""
    unknown = set(body) - set(resource.writable) - resource.read_only
    if unknown:
        raise ValidationError({name: ["This field does not exist."] for name in sorted(unknown)})
    writable = resource.writable
    if request.method != "POST":
        writable = {k: v for k, v in writable.items() if k not in resource.create_only}
    sent = {k: v for k, v in body.items() if k in writable}
    if full:
        return {name: sent.get(name, empty) for name, empty in writable.items()}
    return sent


@bp.post(f"/<{KINDS}:kind>")
@declares("records.create")
@idempotent
def create(kind):
    """Create a record; 201 with it and its Location."""
    resource = _resource(kind)
    data = _writes(resource, _body(), full=False)
    if resource.checks_duplicates:
        record = resource.create(data, api_actor(), refuse_duplicates=not _allow_duplicate())
    else:
        record = resource.create(data, api_actor())
    body, etag = resource.read(record.id, api_actor())
    location = url_for(".detail", kind=kind, record_id=record.id, _external=True)
    return _record_response(body, etag, 201, Location=location)


def _allow_duplicate() -> bool:
    """`?allow_duplicate=true`: the client confirms the record is not the one a 409 named."""
    return request.args.get("allow_duplicate", "").lower() in ("1", "true")


@bp.get(f"/<{KINDS}:kind>/<record_id>")
@declares("records.read")
def detail(kind, record_id):
    """One record; 304 when If-None-Match names its ETag."""
    resource = _resource(kind)
    known = entity_tags(request.headers.get("If-None-Match"))
    if resource.probe is not None:
        # The token's statement read the record already (_probe): no second round trip.
        found = g.api_probed
        if known:
            etag = resource.etag_probed(found, record_id, api_actor())
            if etag in known:
                return _not_modified(etag)
        else:
            return _record_response(*resource.read_probed(found, record_id, api_actor()))
    if known and resource.etag is not None:
        # A revalidation reads the versions alone: an unchanged record is neither loaded nor
        # serialised.
        etag = resource.etag(record_id, api_actor())
        if etag in known:
            return _not_modified(etag)
    body, etag = resource.read(record_id, api_actor())
    if etag in known:
        return _not_modified(etag)
    return _record_response(body, etag)


def _not_modified(etag: str):
    """304: no body, the ETag and caching advice a 200 would carry."""
    return current_app.response_class(
        status=304, headers={"ETag": etag, "Cache-Control": CACHE_CONTROL}
    )


def _offered(operation) -> None:
    if operation is None:
        raise ApiProblem(405, "method_not_allowed", "This resource does not offer that.")


def _checked_version(resource: Resource, record_id) -> int:
    """The version If-Match says the client changes: 428 without one, 412 (with the record as
    it is now) when it is stale."""
    current, etag = resource.read(record_id, api_actor())
    header = request.headers.get("If-Match")
    if not header:
        raise ApiProblem(
            428,
            "precondition_required",
            "Send If-Match with the ETag of the record you read, so no change is lost.",
        )
    tags = entity_tags(header)
    if "*" not in tags and etag not in tags:
        raise _stale(current, etag)
    return current.get("version")


def _stale(current: dict, etag: str) -> ApiProblem:
    return ApiProblem(
        412,
        "stale_etag",
        "The record changed since you read it: `current` is the record as it is now.",
        {"ETag": etag},
        current=current,
    )


def _write(resource: Resource, record_id, change):
    """Run `change(expected_version)`; a change made meanwhile (the version moved between
    the check and the lock) is a 412 as well."""
    version = _checked_version(resource, record_id)
    try:
        change(version)
    except ConflictError:
        current, etag = resource.read(record_id, api_actor())
        raise _stale(current, etag) from None
    body, etag = resource.read(record_id, api_actor())
    return _record_response(body, etag)


@bp.route(f"/<{KINDS}:kind>/<record_id>", methods=["PUT", "PATCH"])
@declares("records.update")
def update(kind, record_id):
    """PUT replaces the writable fields, PATCH changes those sent. If-Match required."""
    resource = _resource(kind)
    _offered(resource.update)
    data = _writes(resource, _body(), full=request.method == "PUT")
    flags = {"refuse_duplicates": not _allow_duplicate()} if resource.checks_duplicates else {}
    return _write(
        resource, record_id, lambda v: resource.update(record_id, data, api_actor(), v, **flags)
    )


@bp.delete(f"/<{KINDS}:kind>/<record_id>")
@declares("records.archive_own")
def archive(kind, record_id):
    """Archive (the seed's DELETE): the record leaves lists and can be restored. If-Match.
    Tasks, notes, stages and custom fields have no archive: they are deleted (204)."""
    resource = _resource(kind)
    if resource.delete is not None:
        version = _checked_version(resource, record_id)
        resource.delete(record_id, api_actor(), version, request.args)
        return "", 204
    return _write(resource, record_id, lambda v: resource.archive(record_id, api_actor(), v))


@bp.post(f"/<{KINDS}:kind>/<record_id>/restore")
@declares("records.archive_own")
@idempotent
def restore(kind, record_id):
    """Bring an archived record back. If-Match."""
    resource = _resource(kind)
    _offered(resource.restore)
    return _write(resource, record_id, lambda v: resource.restore(record_id, api_actor(), v))


@bp.get(f"/<{KINDS}:kind>/<record_id>/history")
@declares("audit.read")
def record_history(kind, record_id):
    """A record's changes, newest first, 50 a page (`cursor`). Managers and admins."""
    return jsonify(history(_resource(kind), record_id, api_actor(), request.args.get("cursor")))


@bp.post(f"/<any({','.join(bulk.BULK_KINDS)}):kind>/bulk")
@declares("records.create")
@idempotent
def bulk_create(kind):
    """Queue up to 10,000 records (JSON array or NDJSON); 202 with the job's URL."""
    bulk_id = bulk.submit(kind, api_actor(), api_token().id)
    location = url_for(".job", job_id=bulk_id, _external=True)
    response = jsonify({**bulk.status(bulk_id, api_actor()), "url": location})
    response.status_code = 202
    response.headers["Location"] = location
    return response


@bp.get("/jobs/<job_id>")
@declares("records.read")
def job(job_id):
    """A bulk job's progress and per-item results (created ids, or errors by index)."""
    location = url_for(".job", job_id=job_id, _external=True)
    return jsonify({**bulk.status(job_id, api_actor()), "url": location})


@bp.get("/users/me")
@declares("profile.update")
def me():
    """Who the token acts as, and the token itself."""
    user = get_user(api_actor().id)
    token = api_token()
    return jsonify(
        {
            "id": str(user.id),
            "email": user.email,
            "name": user.name,
            "role": user.role,
            "time_zone": user.time_zone,
            "token": {
                "id": str(token.id),
                "name": token.name,
                "scope": token.scope,
                "expires_at": token.expires_at.isoformat() if token.expires_at else None,
            },
        }
    )


@bp.get("/openapi.json")
@declares(None)
def openapi_document():
    """The OpenAPI 3.1 description of this API, built from RESOURCES (open to all)."""
    return jsonify(openapi.document(url_for(".index", kind="customers").rsplit("/", 1)[0]))


@docs_bp.get("/docs")
@declares(None)
def page():
    """The API's reference, from /api/v1/openapi.json (open to all, as the document is)."""
    return render_template("api/docs.html")
