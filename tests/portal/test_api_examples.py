"""The examples made from an OpenAPI schema: the method, the path with its parameters, the body
from the request example (or sketched from its schema), in each language's own quoting."""

from __future__ import annotations

import ast
import json

from portal.api_examples import route_examples_from

SCHEMA = {
    "paths": {
        "/api/v1/things/{thing_id}/": {
            "get": {
                "operationId": "things_retrieve",
                "parameters": [{"in": "path", "name": "thing_id", "schema": {"type": "integer"}}],
            },
            "post": {
                "operationId": "things_create",
                "requestBody": {
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}
                },
            },
        },
        "/api/v1/notes/": {
            "post": {
                "operationId": "notes_create",
                "requestBody": {
                    "content": {"application/json": {"examples": {"A": {"value": {"text": "it's \\ fine"}}}}}
                },
            }
        },
    },
    "components": {
        "schemas": {
            "Thing": {
                "type": "object",
                "required": ["name", "amount", "kind", "id"],
                "properties": {
                    "id": {"type": "integer", "readOnly": True},
                    "name": {"type": "string"},
                    "amount": {"type": "string", "format": "decimal"},
                    "kind": {"enum": ["sale", "refund"]},
                    "note": {"type": "string"},
                },
            }
        }
    },
}


def examples() -> dict:
    return {
        (e.method, e.anchor): {s.language: s.code for s in e.filled(base="https://b", key="K").snippets}
        for e in route_examples_from(SCHEMA)
    }


def test_a_path_parameter_gets_a_sample_and_a_get_has_no_body():
    get = examples()[("GET", "things_retrieve")]
    assert get["curl"] == 'curl -X GET "https://b/api/v1/things/1/" \\\n  -H "Authorization: Api-Key K"'
    assert "json=" not in get["python"]
    assert ".get()" in get["java"]


def test_a_body_without_an_example_is_sketched_from_its_required_writable_fields():
    post = examples()[("POST", "things_create")]
    body = ast.literal_eval(post["python"].split("json=", 1)[1].rsplit(",\n    timeout", 1)[0])
    assert body == {"name": "string", "amount": "100.00", "kind": "sale"}


def test_each_language_quotes_the_example_body_its_own_way():
    note = examples()[("POST", "notes_create")]
    shell = note["curl"].split("-d '", 1)[1]
    assert "it'\\''s" in shell  # a single quote closes, escapes and reopens
    assert json.loads(shell.rsplit("'", 1)[0].replace("'\\''", "'")) == {"text": "it's \\ fine"}
    assert '"it\'s \\\\\\\\ fine"' in note["java"]  # the text block doubles the backslash
    assert "'it\\'s \\\\ fine'" in note["python"] or '"it\'s \\\\ fine"' in note["python"]
