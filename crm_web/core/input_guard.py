"""The edge check: every piece of text a request brings in (URL parts, query and form values,
JSON strings, upload names) must be text PostgreSQL can hold. A NUL byte or an unpaired UTF-16
surrogate would be refused by the database driver deep inside a query and reported as "the
database could not complete the request" (503); here it is refused at the door with a 400 that
says what is wrong. The services refuse them too (core.validation.text), for the API and CLI.

Also the request size limits: a body past MAX_CONTENT_LENGTH, or a form of more than
MAX_FORM_PARTS values (Flask's default, 1,000), is answered 413."""

from __future__ import annotations

from flask import Flask, abort, current_app, request

# A create form is a few kilobytes; a CSV import may be a few megabytes.
MAX_CONTENT_LENGTH = 16 * 1024 * 1024
# Endpoints that take a file upload (e.g. "imports.create") and their body limit's config key;
# an area adds itself with allow_upload().
UPLOAD_LIMITS: dict[str, str] = {}
UNSTORABLE_MESSAGE = (
    "The request holds a character that cannot be stored (a NUL byte or a broken Unicode "
    "character){where}. Remove it and try again."
)
TOO_LARGE_MESSAGE = (
    "The request is too large: it sends more data, or more values, than a form of this site "
    "can hold. Send less at a time."
)


def storable(value: str) -> bool:
    """True when PostgreSQL can hold `value` as text: no NUL, nothing that is not UTF-8."""
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate, e.g. "\ud800" from a JSON escape
        return False
    return True


def _first_unstorable(pairs) -> str | None:
    """The name of the first (name, value) pair holding unstorable text, or None."""
    for name, value in pairs:
        if isinstance(name, str) and not storable(name):
            return "?"
        if isinstance(value, str) and not storable(value):
            return str(name)
    return None


def _json_pairs(value, name: str = "body"):
    """(path, value) of every key and string inside a JSON document."""
    stack = [(name, value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, dict):
            for key, inner in item.items():
                yield key, key
                stack.append((f"{path}.{key}", inner))
        elif isinstance(item, list):
            stack.extend((path, inner) for inner in item)
        else:
            yield path, item


def allow_upload(endpoint: str, config_key: str) -> None:
    """Let `endpoint` take a body up to app.config[config_key] bytes instead of the default."""
    UPLOAD_LIMITS[endpoint] = config_key


def refuse_unstorable_input():
    """400 for a request carrying text the database cannot hold (see the module docstring)."""
    if request.endpoint in UPLOAD_LIMITS:
        request.max_content_length = current_app.config[UPLOAD_LIMITS[request.endpoint]]
    sources = [
        (request.view_args or {}).items(),
        request.args.items(multi=True),
        [("path", request.path)],
    ]
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        form = list(request.form.items(multi=True))
        # Werkzeug counts the parts of a multipart form only; a URL-encoded one is held to
        # the same number (10,000 emails in one post is no form a person filled in).
        if len(form) > current_app.config["MAX_FORM_PARTS"]:
            abort(413)
        sources.append(form)
        sources.append((name, file.filename) for name, file in request.files.items(multi=True))
        if request.is_json:
            try:
                body = request.get_json(silent=True)
            except RecursionError:  # "[[[[…" thousands deep: json.loads gives up, not ValueError
                abort(400, description="The JSON body is nested too deeply.")
            sources.append(_json_pairs(body))
    for pairs in sources:
        name = _first_unstorable(pairs)
        if name is not None:
            where = "" if name in ("?", "path", "body") else f" in “{name[:40]}”"
            abort(400, description=UNSTORABLE_MESSAGE.format(where=where))


def init_app(app: Flask) -> None:
    """The size limits (unless configured) and the check, before any view or CSRF check."""
    # Flask's own defaults: no body limit, 1,000 form parts, 500 kB per form value.
    if app.config.get("MAX_CONTENT_LENGTH") is None:
        app.config["MAX_CONTENT_LENGTH"] = MAX_CONTENT_LENGTH
    app.before_request(refuse_unstorable_input)
