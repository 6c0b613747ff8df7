"""Copy-ready calls of every open API route in curl, Python (requests) and Java (OkHttp), made
from the OpenAPI schema: its method, path, path parameters and the first request example of its
body (else a body sketched from the body's schema).

The schema is generated once per process (seconds of work); the examples are kept with two
markers, the site and the key, filled in for each page (``RouteExample.filled``). Whose key is
filled in is the view's business (portal.api): never a key to anyone but its partner's members.
"""

from __future__ import annotations

import functools
import json
import pprint
from dataclasses import dataclass

from django.utils.translation import get_language
from drf_spectacular.generators import SchemaGenerator

BASE = "\x00BASE\x00"
KEY = "\x00KEY\x00"
METHODS = ("get", "post", "put", "patch", "delete")


@dataclass(frozen=True)
class Snippet:
    language: str  # "curl", "python", "java"
    label: str
    code: str


@dataclass(frozen=True)
class RouteExample:
    method: str
    path: str
    summary: str
    anchor: str
    snippets: tuple[Snippet, ...]

    def filled(self, *, base: str, key: str) -> RouteExample:
        snippets = tuple(
            Snippet(s.language, s.label, s.code.replace(BASE, base).replace(KEY, key)) for s in self.snippets
        )
        return RouteExample(self.method, self.path, self.summary, self.anchor, snippets)


def _resolve(schema: dict, node: dict) -> dict:
    seen = 0
    while "$ref" in node and seen < 20:
        name = node["$ref"].rsplit("/", 1)[-1]
        node = schema["components"]["schemas"].get(name, {})
        seen += 1
    return node


def _sketch(schema: dict, node: dict, depth: int = 0):
    """A plausible value of a JSON schema node (only when the route has no request example)."""
    node = _resolve(schema, node)
    if depth > 6:
        return None
    for key in ("example", "default"):
        if key in node:
            return node[key]
    if node.get("enum"):
        return node["enum"][0]
    for combined in ("allOf", "oneOf", "anyOf"):
        if node.get(combined):
            return _sketch(schema, node[combined][0], depth + 1)
    kind = node.get("type")
    if kind == "object" or "properties" in node:
        required = set(node.get("required", ()))
        props = node.get("properties", {})
        return {
            name: _sketch(schema, sub, depth + 1)
            for name, sub in props.items()
            if name in required and not sub.get("readOnly")
        }
    if kind == "array":
        return [_sketch(schema, node.get("items", {}), depth + 1)]
    if kind == "integer":
        return 1
    if kind == "number":
        return 1.0
    if kind == "boolean":
        return True
    if node.get("format") == "decimal" or node.get("pattern", "").startswith("^-?\\d"):
        return "100.00"
    if node.get("format") == "date":
        return "2026-11-30"
    if node.get("format") == "date-time":
        return "2026-11-30T10:00:00+08:00"
    return "string"


def _body(schema: dict, operation: dict):
    content = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if content is None:
        return None
    for example in (content.get("examples") or {}).values():
        if "value" in example:
            return example["value"]
    return _sketch(schema, content.get("schema", {}))


def _path(schema: dict, path: str, operation: dict) -> str:
    for parameter in operation.get("parameters", ()):
        if parameter.get("in") != "path":
            continue
        node = _resolve(schema, parameter.get("schema", {}))
        sample = parameter.get("example", node.get("example"))
        if sample is None:
            sample = 1 if node.get("type") == "integer" else "example"
        path = path.replace("{" + parameter["name"] + "}", str(sample))
    return path


def _curl(method: str, url: str, body) -> str:
    lines = [f'curl -X {method} "{url}"', f'  -H "Authorization: Api-Key {KEY}"']
    if body is not None:
        text = json.dumps(body, indent=2, ensure_ascii=False).replace("'", "'\\''")
        lines += ['  -H "Content-Type: application/json"', f"  -d '{text}'"]
    return " \\\n".join(lines)


def _python(method: str, url: str, body) -> str:
    out = ["import requests", "", f"response = requests.{method.lower()}(", f'    "{url}",']
    out.append(f'    headers={{"Authorization": "Api-Key {KEY}"}},')
    if body is not None:
        literal = pprint.pformat(body, indent=1, width=88, sort_dicts=False).replace("\n", "\n    ")
        out.append(f"    json={literal},")
    out += ["    timeout=30,", ")", "print(response.status_code, response.json())"]
    return "\n".join(out)


def _java(method: str, url: str, body) -> str:
    out = [
        "import okhttp3.*;",
        "",
        "OkHttpClient client = new OkHttpClient();",
    ]
    if body is not None:
        text = json.dumps(body, indent=2, ensure_ascii=False).replace("\\", "\\\\").replace('"""', '\\"""')
        out += ['String json = """', text, '""";']
        call = f'.{method.lower()}(RequestBody.create(json, MediaType.get("application/json")))'
    else:
        call = ".get()" if method == "GET" else f'.method("{method}", null)'
    out += [
        "Request request = new Request.Builder()",
        f'    .url("{url}")',
        f'    .header("Authorization", "Api-Key {KEY}")',
        f"    {call}",
        "    .build();",
        "try (Response response = client.newCall(request).execute()) {",
        '    System.out.println(response.code() + " " + response.body().string());',
        "}",
    ]
    return "\n".join(out)


def route_examples_from(schema: dict) -> tuple[RouteExample, ...]:
    """Every operation of ``schema`` with its three snippets (markers for the site and key)."""
    examples = []
    for path, operations in sorted(schema.get("paths", {}).items()):
        for method in METHODS:
            operation = operations.get(method)
            if operation is None:
                continue
            upper = method.upper()
            url = BASE + _path(schema, path, operation)
            body = _body(schema, operation)
            examples.append(
                RouteExample(
                    method=upper,
                    path=path,
                    summary=operation.get("summary") or operation.get("description", "").split("\n", 1)[0],
                    anchor=operation.get("operationId") or f"{method}-{path}".replace("/", "-"),
                    snippets=(
                        Snippet("curl", "curl", _curl(upper, url, body)),
                        Snippet("python", "Python (requests)", _python(upper, url, body)),
                        Snippet("java", "Java (OkHttp)", _java(upper, url, body)),
                    ),
                )
            )
    return tuple(examples)


def route_examples() -> tuple[RouteExample, ...]:
    """The examples of the API's own schema, generated once per process and language (the
    summaries are translated)."""
    return _generated(get_language() or "en")


@functools.cache
def _generated(language: str) -> tuple[RouteExample, ...]:
    return route_examples_from(SchemaGenerator().get_schema(request=None, public=True))
