"""Each workflow's allowed status changes are declared once (``cqo_registry.workflows``):
the tables pinned here are the ones the services check every step against."""

import pytest
from django.core.exceptions import ValidationError

from appointments.models import FILING_FLOW
from cqo_registry.workflows import Transitions, save_validated
from enterprises.models import REGISTRATION_FLOW
from tests.factories import FilingFactory
from training.models import CAMPAIGN_FLOW, EVALUATION_FLOW, NOMINATION_FLOW


def table(flow: Transitions) -> dict[str, set[str]]:
    return {source: set(targets) for source, targets in flow.allowed.items()}


def test_filing_flow():
    # SPEC §2: draft → submitted → approved or → returned (corrected, resubmitted), or withdrawn.
    assert table(FILING_FLOW) == {
        "draft": {"submitted", "withdrawn"},
        "returned": {"submitted", "withdrawn"},
        "submitted": {"returned", "approved", "withdrawn"},
    }


def test_registration_flow():
    assert table(REGISTRATION_FLOW) == {"pending": {"approved", "rejected"}}


def test_evaluation_flow():
    assert table(EVALUATION_FLOW) == {
        "draft": {"self_submitted"},
        "self_submitted": {"scored"},
        "scored": {"scored"},
    }


def test_campaign_flow():
    assert table(CAMPAIGN_FLOW) == {
        "draft": {"nominating"},
        "nominating": {"reviewing"},
        "reviewing": {"publicity"},
        "publicity": {"published"},
    }


def test_nomination_flow():
    # Reviewed (shortlisted or ruled out, revisable under review; an upheld objection rules
    # out during the notice), then left out beyond the quota or honoured; nothing after that
    # but a ruling out of one left out.
    assert table(NOMINATION_FLOW) == {
        "nominated": {"shortlisted", "ineligible"},
        "ineligible": {"shortlisted", "ineligible"},
        "shortlisted": {"shortlisted", "ineligible", "not_selected", "honoured"},
        "not_selected": {"ineligible"},
    }


@pytest.mark.django_db
def test_an_honoured_nomination_is_final(reviewer):
    from tests.factories import NominationFactory
    from training import selection
    from training.models import CampaignStatus, NominationStatus

    nomination = NominationFactory(
        status=NominationStatus.HONOURED, campaign__status=CampaignStatus.PUBLICITY
    )
    with pytest.raises(ValidationError) as caught:
        selection.nomination_mark_ineligible(
            nomination=nomination, notes="异议成立", actor=reviewer
        )
    assert caught.value.code == "final"
    nomination.refresh_from_db()
    assert nomination.status == NominationStatus.HONOURED


@pytest.mark.django_db
def test_a_step_from_a_status_the_table_does_not_allow_is_refused():
    filing = FilingFactory()  # approved
    with pytest.raises(ValidationError) as caught:
        FILING_FLOW.require(filing, "approve")
    assert caught.value.code == "wrong_status"
    assert "已备案" in caught.value.messages[0]
    assert not FILING_FLOW.can(filing, "withdraw")


@pytest.mark.django_db
def test_save_validated_attributes_history_and_reason(reviewer):
    filing = FilingFactory()
    filing.return_reasons = "x"
    save_validated(filing, reviewer, reason="r" * 150)
    latest = filing.history.latest()
    assert (latest.history_user, latest.history_change_reason) == (reviewer, "r" * 100)
