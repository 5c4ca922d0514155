"""Paper rules per post (/exams/rules/): bureau admins and reviewers set, for each post, the
sections of its paper, pass mark, duration and retake rule; the page says where the bank
holds too few questions for a section."""

from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from appointments.models import PostType
from cqo_registry.accounts.access import permission_required
from cqo_registry.pages import run_form_action

from .. import paper_rules
from ..forms import PaperRuleForm, SectionFormSet
from ..models import PaperRule

sitting_keepers = permission_required("exams.manage_sittings")


@sitting_keepers
@require_GET
def rule_list(request):
    posts = PostType.objects.filter(active=True).order_by("sort_order", "code")
    by_post = {
        r.post_id: r for r in PaperRule.objects.prefetch_related("sections").filter(post__in=posts)
    }
    rows = []
    for post in posts:
        rule = by_post.get(post.code)
        sections = list(rule.sections.all()) if rule else []
        rows.append(
            {
                "post": post,
                "rule": rule,
                "questions": sum(s.count for s in sections),
                "total": rule.total_marks(sections) if rule else None,
            }
        )
    return render(request, "exams/rule_list.html", {"rows": rows})


@sitting_keepers
@require_http_methods(["GET", "POST"])
def rule_edit(request, post: str):
    post_type = get_object_or_404(PostType, code=post)
    rule = PaperRule.objects.filter(post=post_type).first() or PaperRule(post=post_type)
    form = PaperRuleForm(request.POST or None, instance=rule)
    formset = SectionFormSet(request.POST or None, instance=rule if rule.pk else PaperRule())
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        rule = form.save(commit=False)
        sections = [
            f.save(commit=False)
            for f in formset.forms
            if f.has_changed() or f.instance.pk
            if f not in formset.deleted_forms and f.cleaned_data
        ]
        deleted = [f.instance for f in formset.deleted_forms if f.instance.pk]
        done = run_form_action(
            request,
            form,
            lambda: paper_rules.paper_rule_save(
                rule=rule, sections=sections, deleted=deleted, actor=request.user
            ),
            success_message=_("组卷规则已保存。"),
            redirect_to=reverse("exams:rule_edit", args=[post_type.code]),
        )
        if done:
            return done
    short = paper_rules.shortfalls(rule) if rule.pk else []
    return render(
        request,
        "exams/rule_form.html",
        {"post": post_type, "rule": rule, "form": form, "formset": formset, "shortfalls": short},
    )
