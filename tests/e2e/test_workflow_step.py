"""The Workflow Builder custom step end to end: function_executed -> functions.complete*."""

from __future__ import annotations

import pytest
import yaml
from e2e_conf import SECRET
from fakeslack import bolt_request, event_body
from paths import ROOT

from handlers.workflow import FUNCTION_ID

JSON = "application/json"


def run_step(app, inputs, event_id="EvF1"):
    event = {
        "type": "function_executed",
        "function": {
            "id": "Fn0FAKE",
            "callback_id": FUNCTION_ID,
            "title": "Find statement clause",
            "type": "app",
            "app_id": "A0FAKE",
        },
        "inputs": inputs,
        "function_execution_id": "Fx0FAKE",
        "workflow_execution_id": "Wx0FAKE",
        "event_ts": "1700000500.000100",
        "bot_access_token": "xwfp-workflow-token",
    }
    resp = app.dispatch(
        bolt_request(event_body(event, event_id=event_id), SECRET, content_type=JSON)
    )
    assert resp.status == 200


def test_a_query_completes_with_the_verbatim_clause(app, fake, index):
    run_step(app, {"query": "navgation talks heixiazi"})
    (call,) = fake.calls_to("functions.completeSuccess")
    assert call.ok and call.authorized and call.params["function_execution_id"] == "Fx0FAKE"
    out = call.params["outputs"]
    best = index.search("navgation talks heixiazi", limit=1).hits[0]
    assert out["quote"] == best.clause.text  # verbatim, in full
    assert out["quote"].startswith("The two sides agreed to start formal negotiation")
    assert out["citation"] == "China–Russia Joint Communiqué, 6 Dec 2012, ¶35"
    assert 0 < out["score"] <= 100
    assert fake.calls_to("functions.completeError") == []


@pytest.mark.parametrize(
    "inputs, message",
    [
        (
            {"query": "recipe for chocolate cake"},
            "No statement clause matches “recipe for chocolate cake”",
        ),
        ({"query": "   "}, "The query is empty"),
        ({}, "The step needs a text input named 'query'."),
        ({"query": ["navigation"]}, "The step needs a text input named 'query'."),
        ({"query": "trade after:2099-13"}, "'2099-13' is not a valid date"),
    ],
    ids=["no-match", "empty", "missing", "not-text", "bad-filter"],
)
def test_bad_input_or_no_match_fails_the_step_with_a_clear_message(app, fake, inputs, message):
    run_step(app, inputs)
    (call,) = fake.calls_to("functions.completeError")
    assert call.ok and call.params["function_execution_id"] == "Fx0FAKE"
    assert message in call.params["error"]
    assert fake.calls_to("functions.completeSuccess") == []


def test_manifest_declares_the_step():
    manifest = yaml.safe_load((ROOT / "manifest.yml").read_text("utf-8"))
    step = manifest["functions"][FUNCTION_ID]
    assert step["title"] == "Find statement clause"
    assert set(step["input_parameters"]) == {"query"}
    assert step["input_parameters"]["query"]["is_required"] is True
    assert {k: v["type"] for k, v in step["output_parameters"].items()} == {
        "quote": "string",
        "citation": "string",
        "score": "number",
    }
    assert manifest["settings"]["org_deploy_enabled"] is True  # Slack requires it for steps
