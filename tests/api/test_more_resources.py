"""Tasks, notes, pipeline stages and custom fields through the API: the same services, rules
and permissions as the pages; they have no archive, so DELETE deletes them."""

from __future__ import annotations

from tests.api.test_api import auth, token_for
from tests.support import make_contact, make_note, make_task, make_user

PROBLEM = "application/problem+json"


def _etag(client, url, headers):
    return client.get(url, headers=headers).headers["ETag"]


def test_tasks_crud_on_a_contact_with_if_match(client, session):
    rep, _, secret = token_for("rep")
    headers = auth(secret)
    contact = make_contact(first_name="Tess", last_name="Tasker")
    created = client.post(
        "/api/v1/tasks",
        json={
            "description": "Call back about the renewal",
            "due_date": "2030-05-01",
            "due_time": "14:30",
            "entity_type": "contact",
            "entity_id": str(contact.id),
        },
        headers=headers,
    )
    assert created.status_code == 201, created.json
    task = created.json
    assert task["status"] == "open" and task["assignee_id"] == str(rep.id)
    assert task["due_date"] == "2030-05-01" and task["due_at"]
    url = f"/api/v1/tasks/{task['id']}"
    assert created.headers["Location"].endswith(url)

    listed = client.get(
        f"/api/v1/tasks?entity_type=contact&entity_id={contact.id}", headers=headers
    )
    assert [t["description"] for t in listed.json["data"]] == ["Call back about the renewal"]

    assert client.patch(url, json={"status": "closed"}, headers=headers).status_code == 428
    closed = client.patch(
        url, json={"status": "closed"}, headers={**headers, "If-Match": created.headers["ETag"]}
    )
    assert closed.status_code == 200, closed.json
    assert closed.json["status"] == "closed"
    stale = client.patch(
        url, json={"status": "open"}, headers={**headers, "If-Match": created.headers["ETag"]}
    )
    assert stale.status_code == 412 and stale.json["current"]["status"] == "closed"
    open_only = client.get(
        f"/api/v1/tasks?entity_id={contact.id}&status=open", headers=headers
    ).json["data"]
    assert open_only == []

    bad = client.post("/api/v1/tasks", json={"description": ""}, headers=headers)
    assert bad.status_code == 422 and "description" in bad.json["errors"]

    gone = client.delete(url, headers={**headers, "If-Match": closed.headers["ETag"]})
    assert gone.status_code == 204
    assert client.get(url, headers=headers).status_code == 404


def test_a_rep_cannot_change_a_colleagues_task_and_a_viewer_cannot_add_one(client, session):
    colleague = make_user("rep")
    contact = make_contact()
    task = make_task("contact", contact.id, by=colleague.as_actor(), assignee_id=colleague.id)
    _, _, rep_secret = token_for("rep")
    url = f"/api/v1/tasks/{task.id}"
    etag = _etag(client, url, auth(rep_secret))
    refused = client.patch(
        url, json={"status": "closed"}, headers=auth(rep_secret, **{"If-Match": etag})
    )
    assert refused.status_code == 403 and refused.mimetype == PROBLEM
    refused = client.delete(url, headers=auth(rep_secret, **{"If-Match": etag}))
    assert refused.status_code == 403
    assert client.get(url, headers=auth(rep_secret)).json["status"] == "open"

    _, _, viewer_secret = token_for("viewer")
    assert client.get(url, headers=auth(viewer_secret)).status_code == 200
    made = client.post("/api/v1/tasks", json={"description": "Sneaky"}, headers=auth(viewer_secret))
    assert made.status_code == 403


def test_notes_crud_and_their_record_is_fixed_once_made(client, session):
    _, _, secret = token_for("rep")
    headers = auth(secret)
    contact, other = make_contact(), make_contact()
    created = client.post(
        "/api/v1/notes",
        json={"content": "Met at the fair", "entity_type": "contact", "entity_id": str(contact.id)},
        headers=headers,
    )
    assert created.status_code == 201, created.json
    url = f"/api/v1/notes/{created.json['id']}"
    put = client.put(
        url,
        json={"content": "Met at the spring fair", "entity_id": str(other.id)},
        headers={**headers, "If-Match": created.headers["ETag"]},
    )
    assert put.status_code == 200, put.json
    assert put.json["content"] == "Met at the spring fair"
    assert put.json["entity_id"] == str(contact.id)
    nowhere = client.post(
        "/api/v1/notes",
        json={"content": "x", "entity_type": "contact", "entity_id": str(make_user().id)},
        headers=headers,
    )
    assert nowhere.status_code == 422 and "entity_id" in nowhere.json["errors"]
    make_note("contact", other.id, content="Elsewhere")
    listed = client.get(f"/api/v1/notes?entity_id={contact.id}", headers=headers).json["data"]
    assert [n["content"] for n in listed] == ["Met at the spring fair"]
    deleted = client.delete(url, headers={**headers, "If-Match": put.headers["ETag"]})
    assert deleted.status_code == 204
    assert client.get(url, headers=headers).status_code == 404


def test_pipeline_stages_are_read_by_all_and_written_by_admins(client, session):
    _, _, rep_secret = token_for("rep")
    _, _, admin_secret = token_for("admin")
    stages = client.get("/api/v1/pipeline-stages", headers=auth(rep_secret)).json["data"]
    assert [s["name"] for s in stages][:1] == ["Lead"]
    assert [s["position"] for s in stages] == sorted(s["position"] for s in stages)
    body = {"name": "Pilot", "default_probability": 55}
    assert (
        client.post("/api/v1/pipeline-stages", json=body, headers=auth(rep_secret)).status_code
        == 403
    )
    made = client.post("/api/v1/pipeline-stages", json=body, headers=auth(admin_secret))
    assert made.status_code == 201, made.json
    assert made.json["position"] > stages[-1]["position"]
    url = f"/api/v1/pipeline-stages/{made.json['id']}"
    renamed = client.patch(
        url,
        json={"name": "Paid pilot"},
        headers=auth(admin_secret, **{"If-Match": made.headers["ETag"]}),
    )
    assert renamed.status_code == 200 and renamed.json["name"] == "Paid pilot"
    clash = client.patch(
        url,
        json={"name": "Lead"},
        headers=auth(admin_secret, **{"If-Match": renamed.headers["ETag"]}),
    )
    assert clash.status_code == 422 and "name" in clash.json["errors"]
    deleted = client.delete(
        url, headers=auth(admin_secret, **{"If-Match": renamed.headers["ETag"]})
    )
    assert deleted.status_code == 204
    names = [
        s["name"]
        for s in client.get("/api/v1/pipeline-stages", headers=auth(rep_secret)).json["data"]
    ]
    assert "Paid pilot" not in names


def test_custom_fields_are_read_by_all_created_and_deleted_by_admins(client, session):
    _, _, rep_secret = token_for("rep")
    _, _, admin_secret = token_for("admin")
    body = {
        "name": "tier",
        "label": "Tier",
        "entity_type": "contact",
        "field_type": "enum",
        "enum_values": ["gold", "silver"],
    }
    assert (
        client.post("/api/v1/custom-fields", json=body, headers=auth(rep_secret)).status_code == 403
    )
    made = client.post("/api/v1/custom-fields", json=body, headers=auth(admin_secret))
    assert made.status_code == 201, made.json
    assert made.json["enum_values"] == ["gold", "silver"]
    listed = client.get("/api/v1/custom-fields?entity_type=contact", headers=auth(rep_secret))
    assert "tier" in [d["name"] for d in listed.json["data"]]
    assert (
        client.get("/api/v1/custom-fields?entity_type=deal", headers=auth(rep_secret)).json["data"]
        == []
    )

    contact = client.post(
        "/api/v1/contacts",
        json={"first_name": "Goldie", "last_name": "Hawn", "custom_fields": {"tier": "gold"}},
        headers=auth(admin_secret),
    )
    assert contact.json["custom_fields"] == {"tier": "gold"}
    wrong = client.post(
        "/api/v1/contacts",
        json={"first_name": "Tin", "last_name": "Man", "custom_fields": {"tier": "tin"}},
        headers=auth(admin_secret),
    )
    assert wrong.status_code == 422

    url = f"/api/v1/custom-fields/{made.json['id']}"
    assert client.patch(url, json={"label": "x"}, headers=auth(admin_secret)).status_code == 405
    etag = made.headers["ETag"]
    assert client.delete(url, headers=auth(rep_secret, **{"If-Match": etag})).status_code == 403
    assert client.delete(url, headers=auth(admin_secret, **{"If-Match": etag})).status_code == 204
    again = client.get(f"/api/v1/contacts/{contact.json['id']}", headers=auth(admin_secret))
    assert again.json["custom_fields"] == {}


def test_the_openapi_document_describes_the_new_resources(client):
    document = client.get("/api/v1/openapi.json").json
    paths = document["paths"]
    for name in ("tasks", "notes", "pipeline-stages", "custom-fields"):
        assert f"/{name}" in paths and f"/{name}/{{record_id}}" in paths
    assert "204" in paths["/tasks/{record_id}"]["delete"]["responses"]
    assert "patch" not in paths["/custom-fields/{record_id}"]
    assert "/tasks/{record_id}/restore" not in paths
