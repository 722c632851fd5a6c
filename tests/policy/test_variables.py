"""{{ }} substitution and Kyverno's JMESPath functions."""

import pytest

from generator.policy.context import build_context, parse_image
from generator.policy.match import UserInfo
from generator.policy.variables import VariableError, query, set_path, split_path, substitute

POD = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "web", "namespace": "apps", "labels": {"app": "web"}},
    "spec": {"containers": [{"name": "c", "image": "ghcr.io/org/app:1.2"}, {"name": "d", "image": "nginx"}]},
}


@pytest.fixture
def ctx():
    return build_context(POD, operation="CREATE", user=UserInfo("system:serviceaccount:ns:sa", ("g",)))


def test_whole_string_keeps_type(ctx):
    assert substitute("{{ request.object.spec.containers }}", ctx) == POD["spec"]["containers"]
    assert substitute("{{ length(request.object.spec.containers) }}", ctx) == 2


def test_embedded_variables_become_text(ctx):
    assert (
        substitute("pod {{request.object.metadata.name}} in {{request.namespace}}", ctx) == "pod web in apps"
    )
    assert substitute("n={{ length(request.object.spec.containers) }}", ctx) == "n=2"


def test_nested_variables_resolve_innermost_first(ctx):
    assert substitute("{{ to_upper('{{request.object.metadata.name}}') }}", ctx) == "WEB"


def test_missing_path_is_an_error_in_strict_mode_and_null_in_lenient(ctx):
    with pytest.raises(VariableError):
        substitute("{{ request.object.metadata.labels.missing }}", ctx)
    assert substitute("{{ request.object.metadata.labels.missing }}", ctx, lenient=True) is None
    assert substitute("{{ request.object.metadata.labels.missing || 'x' }}", ctx) == "x"


def test_escaped_variables_stay(ctx):
    assert substitute("\\{{ literal }}", ctx) == "{{ literal }}"


def test_request_context(ctx):
    assert ctx["request"]["operation"] == "CREATE"
    assert ctx["serviceAccountName"] == "sa"
    assert ctx["serviceAccountNamespace"] == "ns"
    assert ctx["images"]["containers"]["c"]["registry"] == "ghcr.io"
    assert ctx["images"]["containers"]["d"]["tag"] == "latest"


def test_delete_moves_object_to_old_object():
    ctx = build_context(POD, operation="DELETE")
    assert ctx["request"]["object"] is None
    assert ctx["request"]["oldObject"]["metadata"]["name"] == "web"


def test_values_override_context_without_mutating_resource():
    ctx = build_context(POD, values={'request.object.metadata.annotations."a/b"': "v", "custom": 1})
    assert ctx["request"]["object"]["metadata"]["annotations"] == {"a/b": "v"}
    assert ctx["custom"] == 1
    assert "annotations" not in POD["metadata"]


def test_parse_image():
    assert parse_image("nginx") == {
        "registry": "docker.io",
        "path": "nginx",
        "name": "nginx",
        "tag": "latest",
        "digest": "",
        "reference": "docker.io/nginx:latest",
        "referenceWithTag": "docker.io/nginx:latest",
    }
    info = parse_image("localhost:5000/a/b@sha256:abc")
    assert (info["registry"], info["path"], info["digest"], info["tag"]) == (
        "localhost:5000",
        "a/b",
        "sha256:abc",
        "",
    )


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("to_upper('a')", "A"),
        ("to_lower('A')", "a"),
        ("split('a,b', ',')", ["a", "b"]),
        ("trim_prefix('foo-bar', 'foo-')", "bar"),
        ("replace_all('aXbX', 'X', '-')", "a-b-"),
        ("regex_match('^a+$', 'aaa')", True),
        ("regex_replace_all('([a-z])-', 'a-b-', '${1}_')", "a_b_"),
        ("pattern_match('a*', 'abc')", True),
        ("add(`1`, `2`)", 3),
        ("add('1Gi', '1Gi')", str(2 * 2**30)),
        ("subtract('2h', '30m')", "1h30m0s"),
        ("divide(`10`, `4`)", 2.5),
        ("modulo(`10`, `4`)", 2),
        ("sum([`1`, `2`, `3`])", 6),
        ("base64_decode('aGVsbG8=')", "hello"),
        ("base64_encode('hello')", "aGVsbG8="),
        ("parse_json('{\"a\": 1}').a", 1),
        ("parse_yaml('a: 2').a", 2),
        ("path_canonicalize('/a/../b//c')", "/b/c"),
        ("semver_compare('1.2.3', '>=1.2.0')", True),
        ("equal_fold('Ab', 'aB')", True),
        ("truncate('abcdef', `3`)", "abc"),
        ("compare('a', 'b')", -1),
        ("items({b: `2`, a: `1`}, 'k', 'v')", [{"k": "a", "v": 1}, {"k": "b", "v": 2}]),
        ("object_from_lists(['a'], [`1`])", {"a": 1}),
        ("label_match({app: 'web'}, {app: 'web', x: 'y'})", True),
        ("time_before('2024-01-01T00:00:00Z', '2024-06-01T00:00:00Z')", True),
    ],
)
def test_custom_functions(expression, expected):
    assert query(expression, {}) == expected


def test_invalid_expression_is_a_variable_error():
    with pytest.raises(VariableError):
        query("to_upper(", {})


def test_split_and_set_path():
    assert split_path('a.b."c.d/e".f') == ["a", "b", "c.d/e", "f"]
    data: dict = {}
    set_path(data, 'a."b.c"', 1)
    assert data == {"a": {"b.c": 1}}


def test_values_file_subresources_are_parsed():
    from generator.policy.values import values_from

    values = values_from(
        {
            "subresources": [
                {
                    "subresource": {
                        "name": "deployments/scale",
                        "kind": "Scale",
                        "group": "autoscaling",
                        "version": "v1",
                    },
                    "parentResource": {
                        "name": "deployments",
                        "kind": "Deployment",
                        "group": "apps",
                        "version": "v1",
                    },
                }
            ]
        }
    )
    assert values.subresources == {("autoscaling/v1", "Scale"): ("apps/v1", "Deployment", "scale")}
