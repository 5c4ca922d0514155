"""The holders' last exam results on an enterprise's board of posts (issue 19: the board shows
"the last exam result, once exams exist"). Registered in ``appointments.posts.BOARD_EXTENSIONS``
by :class:`exams.apps.ExamsConfig`: the posts app sits below this one and may not import it."""

from datetime import date

from .models import Paper


def attach_last_results(rows: list, day: date) -> None:
    """Set ``last_exam`` on each holder of ``rows`` (``appointments.posts.BoardRow``) whose post
    asks for exams (``PostType.exam_required``): their last graded paper for that post submitted
    on or before the end of ``day`` (a :class:`~exams.models.Paper`: ``score``, ``total_marks``,
    ``passed``, ``submitted_at``), or ``None``. One query for the whole board; none when no
    holder's post asks for exams."""
    wanted = {
        (holder.person_id, row.post.code)
        for row in rows
        if row.post.exam_required
        for holder in row.holders
        if holder.person_id is not None
    }
    if not wanted:
        return
    papers = (
        Paper.objects.filter(
            submitted_at__date__lte=day,
            candidate__person__in={person for person, _post in wanted},
            candidate__sitting__post__in={post for _person, post in wanted},
        )
        .select_related("candidate__sitting")
        .order_by("submitted_at", "pk")
    )
    last = {}
    for paper in papers:  # oldest first: the last one read for a key is its latest
        last[(paper.candidate.person_id, paper.candidate.sitting.post_id)] = paper
    for row in rows:
        for holder in row.holders:
            holder.last_exam = last.get((holder.person_id, row.post.code))
