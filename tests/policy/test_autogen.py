"""Auto-generated Pod controller rules, as Kyverno documents them."""

from generator.policy.autogen import ANNOTATION, autogen_controllers, generate_rules

RULE = {
    "name": "check",
    "match": {"any": [{"resources": {"kinds": ["Pod"]}}]},
    "preconditions": {
        "all": [{"key": "{{request.object.metadata.name}}", "operator": "NotEquals", "value": ""}]
    },
    "validate": {
        "message": "{{ request.object.spec.containers[0].name }}",
        "pattern": {"spec": {"containers": [{"image": "!*:latest"}]}},
    },
}


CONTROLLERS = ["DaemonSet", "Deployment", "Job", "StatefulSet", "ReplicaSet", "ReplicationController"]


def test_controllers_by_default():
    assert set(autogen_controllers({}, [RULE])) == {*CONTROLLERS, "CronJob"}


def test_generated_rules_wrap_patterns_and_rewrite_variables():
    controller, cronjob = generate_rules({}, [RULE])
    assert controller["name"] == "autogen-check"
    assert controller["match"]["any"][0]["resources"]["kinds"] == CONTROLLERS
    assert controller["validate"]["pattern"] == {"spec": {"template": RULE["validate"]["pattern"]}}
    assert controller["validate"]["message"] == "{{ request.object.spec.template.spec.containers[0].name }}"
    assert controller["preconditions"]["all"][0]["key"] == "{{request.object.spec.template.metadata.name}}"
    assert cronjob["name"] == "autogen-cronjob-check"
    assert cronjob["match"]["any"][0]["resources"]["kinds"] == ["CronJob"]
    assert cronjob["validate"]["pattern"] == {
        "spec": {"jobTemplate": {"spec": {"template": RULE["validate"]["pattern"]}}}
    }
    assert "jobTemplate.spec.template.spec.containers" in cronjob["validate"]["message"]


def test_annotation_limits_or_disables():
    assert autogen_controllers({ANNOTATION: "none"}, [RULE]) == ()
    assert autogen_controllers({ANNOTATION: "Deployment,CronJob"}, [RULE]) == ("Deployment", "CronJob")
    names = [r["name"] for r in generate_rules({ANNOTATION: "Deployment"}, [RULE])]
    assert names == ["autogen-check"]


def test_no_autogen_for_non_pod_or_named_rules():
    other = dict(RULE, match={"any": [{"resources": {"kinds": ["Pod", "Service"]}}]})
    assert generate_rules({}, [other]) == []
    named = dict(RULE, match={"any": [{"resources": {"kinds": ["Pod"], "names": ["x"]}}]})
    assert generate_rules({}, [named]) == []
    service = dict(RULE, match={"any": [{"resources": {"kinds": ["Service"]}}]})
    assert generate_rules({}, [service]) == []


def test_cel_expressions_point_at_the_template():
    cel_rule = dict(
        RULE, validate={"cel": {"expressions": [{"expression": "object.spec.containers.size() > 0"}]}}
    )
    controller, cronjob = generate_rules({}, [cel_rule])
    assert (
        controller["validate"]["cel"]["expressions"][0]["expression"]
        == "object.spec.template.spec.containers.size() > 0"
    )
    assert cronjob["validate"]["cel"]["expressions"][0]["expression"].startswith(
        "object.spec.jobTemplate.spec.template.spec"
    )
