"""The assessment rows the hostile-parameter walk (tests/infra/test_hostile_params.py) fills
the new URLs with: a question, an open sitting of the CQO's post with the home CQO as
candidate, and their paper, submitted and failed — so that the certificate URL answers with
a redirect instead of rendering a PDF for each of hundreds of requests (tests/exams renders
it)."""

from datetime import date

from exams import services
from exams.models import Sitting, SittingStatus

from .conftest import make_bank, make_rule


def exam_cast(county, reviewer) -> dict:
    make_bank()
    make_rule()
    sitting = Sitting.objects.create(
        post_id="cqo", title="首席质量官考核", held_on=date(2026, 11, 30), place="县行政中心"
    )
    entry = services.sitting_add_candidates(
        sitting=sitting, appointment_ids=[county.home_appointment.pk], actor=reviewer
    )
    Sitting.objects.filter(pk=sitting.pk).update(status=SittingStatus.OPEN)
    candidate = entry.added[0]
    paper = services.paper_submit(paper=services.paper_start(candidate=candidate))
    return {
        "question": paper.questions.first().version.question,
        "sitting": sitting,
        "candidate": candidate,
        "paper": paper,
        "certificate_token": "no-such-certificate",
    }
