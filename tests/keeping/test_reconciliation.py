"""Reconciliation with the statistics bureau's above-scale list (issue 17 §1): the preview
(new, joining, leaving, and which have no filed CQO; counts; the targets before and after;
Excel), applying it in one transaction with history saying why, a second run changing
nothing, row-numbered errors changing nothing — on the command line and in the browser, for
bureau roles only — and the enterprises 待完善 it brings in."""

import io
import json
from datetime import date

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from cqo_registry.importing.models import ImportJob, ImportStatus
from enterprises.models import Enterprise, Industry, Scale
from reports import selectors, snapshots, statistics
from reports.models import SnapshotKind, Target
from tests.factories import EnterpriseFactory, make_uscc

from .conftest import upload, xlsx

pytestmark = pytest.mark.django_db

HEADER = ["统一社会信用代码", "企业名称", "所属镇"]
NEW_USCC = make_uscc(50001)
NEW_USCC_NO_TOWN = make_uscc(50002)


@pytest.fixture
def registry(county, home_town):
    """The shared county (three above-scale enterprises with filed CQOs) plus an SME without a
    CQO that joins the list, and a deregistered above-scale enterprise the list still names."""
    sme = EnterpriseFactory(
        town=home_town, name="城关小微塑料有限公司", scale=Scale.SME, requires_cqo=False
    )
    gone = EnterpriseFactory(
        town=home_town, name="城关已注销有限公司", deregistered_on=date(2020, 6, 30)
    )
    return {"sme": sme, "gone": gone, **vars(county)}


def list_rows(registry):
    """This year's list: the home enterprises and the SME stay or join, the outsider's
    enterprise has left, two enterprises are new to the registry (one with its town)."""
    return [
        [registry["home_enterprise"].uscc, registry["home_enterprise"].name, "城关镇"],
        [registry["second_home_enterprise"].uscc, registry["second_home_enterprise"].name, ""],
        [registry["sme"].uscc, registry["sme"].name, ""],
        [registry["gone"].uscc, registry["gone"].name, ""],
        [NEW_USCC, "城关新材料科技有限公司", "城关"],
        [NEW_USCC_NO_TOWN, "新进规上机械有限公司", ""],
    ]


def history_count() -> int:
    return Enterprise.history.count()


def t1_figure():
    return statistics.compute_target(Target.objects.get(code="T1"), timezone.localdate()).total


# --- The command line -------------------------------------------------------------------------


def test_preview_changes_nothing_and_names_each_group(registry, write_xlsx, capsys):
    path = write_xlsx(HEADER, list_rows(registry), name="2025规上名录.xlsx")
    before = history_count()
    call_command("reconcile_above_scale", str(path))
    out = capsys.readouterr().out
    assert history_count() == before
    assert not Enterprise.objects.filter(uscc=NEW_USCC).exists()
    assert "新进规上、系统中没有（将新建，待完善）：2 家，其中没有已备案首席质量官 2 家" in out
    assert "新进规上、系统中已有（规模将改为规模以上）：1 家，其中没有已备案首席质量官 1 家" in out
    assert "退出规上（规模将改为中小企业）：1 家，其中没有已备案首席质量官 0 家" in out
    assert registry["outsider_enterprise"].name in out
    assert "未改动数据；加 --apply 应用" in out
    # T1 today: 3 with filed CQOs; +2 new, +1 joining, -1 leaving (which had a CQO).
    assert "T1：统计对象 3 → 5，达标 3 → 2" in out


def test_apply_changes_scales_creates_enterprises_and_says_why(
    registry, write_xlsx, capsys, reviewer
):
    path = write_xlsx(HEADER, list_rows(registry), name="2025规上名录.xlsx")
    call_command("reconcile_above_scale", str(path), "--apply")
    assert "已应用比对结果" in capsys.readouterr().out

    created = Enterprise.objects.get(uscc=NEW_USCC)
    assert (created.scale, created.requires_cqo, created.town.name, created.industry) == (
        Scale.ABOVE,
        True,
        "城关镇",
        "",
    )
    no_town = Enterprise.objects.get(uscc=NEW_USCC_NO_TOWN)
    assert no_town.town is None and no_town.needs_completion
    assert set(Enterprise.objects.incomplete()) == {created, no_town}

    sme = Enterprise.objects.get(pk=registry["sme"].pk)
    assert (sme.scale, sme.requires_cqo) == (Scale.ABOVE, True)
    left = Enterprise.objects.get(pk=registry["outsider_enterprise"].pk)
    assert (left.scale, left.requires_cqo) == (Scale.SME, True)  # still required: T2 now
    gone = Enterprise.objects.get(pk=registry["gone"].pk)
    assert gone.scale == Scale.ABOVE  # deregistered: left alone

    reasons = {h.uscc: h.history_change_reason for h in Enterprise.history.filter(history_type="~")}
    assert reasons[sme.uscc].startswith("规上名录比对（2025规上名录.xlsx）：列入统计局规上企业名录")
    assert "不在统计局规上企业名录中，规模改为中小企业" in reasons[left.uscc]
    new_history = Enterprise.history.get(uscc=NEW_USCC, history_type="+")
    assert "新增企业" in new_history.history_change_reason
    # The figure the preview predicted is the statistics engine's after the change.
    assert (t1_figure().population, t1_figure().counted) == (5, 2)


def test_a_second_run_of_the_same_file_changes_nothing(registry, write_xlsx, capsys):
    path = write_xlsx(HEADER, list_rows(registry))
    call_command("reconcile_above_scale", str(path), "--apply")
    capsys.readouterr()
    before = (history_count(), Enterprise.objects.count())
    call_command("reconcile_above_scale", str(path), "--apply")
    out = capsys.readouterr().out
    assert (history_count(), Enterprise.objects.count()) == before
    assert "新进规上、系统中没有（将新建，待完善）：0 家" in out
    assert "退出规上（规模将改为中小企业）：0 家" in out


def test_a_bad_row_changes_nothing_and_is_named_by_its_row(registry, write_xlsx, capsys):
    rows = list_rows(registry)
    rows.insert(2, ["91340100MA2T0300X0", "校验位错误有限公司", ""])  # row 4 of the sheet
    rows.append([make_uscc(50003), "不存在的镇企业有限公司", "无此镇"])  # row 9
    path = write_xlsx(HEADER, rows)
    before = history_count()
    with pytest.raises(CommandError, match="2 行有错误，未改动任何数据"):
        call_command("reconcile_above_scale", str(path), "--apply")
    err = capsys.readouterr().err
    assert "第 4 行 [统一社会信用代码]" in err
    assert "第 9 行 [所属镇]：镇（街道）“无此镇”不在系统中" in err
    assert history_count() == before
    assert Enterprise.objects.get(pk=registry["outsider_enterprise"].pk).scale == Scale.ABOVE


def test_a_list_missing_most_enterprises_is_flagged(registry, write_xlsx, capsys):
    path = write_xlsx(HEADER, [[NEW_USCC, "城关新材料科技有限公司", ""]])
    call_command("reconcile_above_scale", str(path))
    assert "请确认上传的是全县完整的、最新的规上企业名录" in capsys.readouterr().err


def test_the_town_of_an_enterprise_in_the_registry_is_not_taken_from_the_list(
    registry, write_xlsx, other_town
):
    rows = [[e.uscc, e.name, "双墩镇"] for e in (registry["home_enterprise"],)]
    rows += [[registry["second_home_enterprise"].uscc, "城关食品有限公司", ""]]
    rows += [[registry["outsider_enterprise"].uscc, registry["outsider_enterprise"].name, ""]]
    call_command("reconcile_above_scale", str(write_xlsx(HEADER, rows)), "--apply")
    assert Enterprise.objects.get(pk=registry["home_enterprise"].pk).town.name == "城关镇"


# --- Enterprises without a town in the figures ------------------------------------------------


@pytest.fixture
def townless(registry, write_xlsx):
    call_command("reconcile_above_scale", str(write_xlsx(HEADER, list_rows(registry))), "--apply")
    return Enterprise.objects.get(uscc=NEW_USCC_NO_TOWN)


def test_an_enterprise_without_a_town_counts_in_the_county_and_in_no_town(townless, capsys):
    day = timezone.localdate()
    call_command("target_stats", "--format", "json", "--as-of", day.isoformat())
    t1 = json.loads(capsys.readouterr().out)["targets"][0]
    assert t1["code"] == "T1" and t1["population"] == 5
    assert sum(row["population"] for row in t1["by_town"]) == 4
    assert all(row["industry"] for row in t1["by_industry"])

    run = snapshots.snapshot_take(as_of=day, kind=SnapshotKind.ON_DEMAND)
    county = run.indicators.get(scope="county")
    live = selectors.dashboard_indicators(day)
    assert county.vacancies == live.vacancies  # the townless vacancy is in the county's sum
    assert county.vacancies == sum(r.vacancies for r in run.indicators.filter(scope="town")) + 1


def test_drill_down_and_vacancy_exports_show_a_townless_enterprise(townless, client_for, reviewer):
    client = client_for(reviewer)
    for url in (
        reverse("reports:explain_export", args=["T1"]),
        reverse("reports:explain_export", args=[selectors.VACANCY_CODE]),
        reverse("town:vacancies_export"),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
        names = [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)]
        assert townless.name in names, url


# --- 待完善: completing town and industry ------------------------------------------------------


def test_a_reviewer_completes_an_enterprise(townless, client_for, reviewer, home_town):
    client = client_for(reviewer)
    page = client.get(reverse("enterprises:incomplete")).content.decode()
    assert townless.name in page
    url = reverse("enterprises:complete", args=[townless.pk])
    assert client.get(url).status_code == 200
    refused = client.post(url, {"town": home_town.pk, "industry": ""})
    assert refused.status_code == 400 and "请选择行业门类" in refused.content.decode()
    response = client.post(url, {"town": home_town.pk, "industry": Industry.C})
    assert response.status_code == 302
    townless.refresh_from_db()
    assert (townless.town, townless.industry, townless.needs_completion) == (
        home_town,
        Industry.C,
        False,
    )
    assert townless.history.first().history_change_reason.startswith("补填所属镇和行业门类")
    assert townless.history.first().history_user == reviewer
    listed = client.get(reverse("enterprises:incomplete")).content.decode()
    assert f'data-enterprise="{townless.pk}"' not in listed
    # A complete enterprise is not completed here again.
    assert client.get(url).status_code == 404


@pytest.mark.parametrize(
    "role", ["leader", "town_officer", "enterprise_user", "outsider_town_officer", "no_role_user"]
)
def test_outsiders_cannot_complete_enterprises(townless, client_for, users, role, home_town):
    client = client_for(users[role])
    assert client.get(reverse("enterprises:incomplete")).status_code == 403
    url = reverse("enterprises:complete", args=[townless.pk])
    assert client.post(url, {"town": home_town.pk, "industry": "C"}).status_code == 403
    townless.refresh_from_db()
    assert townless.needs_completion


def test_anonymous_users_are_sent_to_sign_in(townless, client_for):
    for url in (
        reverse("enterprises:incomplete"),
        reverse("enterprises:complete", args=[townless.pk]),
    ):
        response = client_for(None).get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# --- The browser: upload, preview, export, apply ----------------------------------------------


def test_a_reviewer_reconciles_in_the_browser(registry, client_for, reviewer):
    client = client_for(reviewer)
    new_url = reverse("importing:new", args=["above_scale"])
    assert "所属镇" in client.get(new_url).content.decode()
    response = client.post(
        new_url, {"file": upload("规上名录.xlsx", xlsx(HEADER, list_rows(registry)))}
    )
    assert response.status_code == 302
    job = ImportJob.objects.get()
    page = client.get(response["Location"]).content.decode()
    assert 'id="reconciliation-new"' in page and NEW_USCC in page
    assert registry["outsider_enterprise"].uscc in page
    assert "3 → <strong>5</strong>" in page  # T1's population before and after
    assert "应用比对结果" in page
    assert not Enterprise.objects.filter(uscc=NEW_USCC).exists()

    export = client.get(reverse("importing:details", args=[job.pk]))
    assert export.status_code == 200
    workbook = load_workbook(io.BytesIO(b"".join(export.streaming_content)))
    new_sheet = workbook[workbook.sheetnames[0]]
    assert {row[0] for row in new_sheet.iter_rows(min_row=2, values_only=True)} == {
        NEW_USCC,
        NEW_USCC_NO_TOWN,
    }
    left_sheet = workbook[workbook.sheetnames[2]]
    assert [row[:2] for row in left_sheet.iter_rows(min_row=2, values_only=True)] == [
        (registry["outsider_enterprise"].uscc, registry["outsider_enterprise"].name)
    ]

    client.post(reverse("importing:confirm", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE
    assert Enterprise.objects.get(uscc=NEW_USCC).scale == Scale.ABOVE
    done = client.get(reverse("importing:job", args=[job.pk])).content.decode()
    assert "比对结果（已应用）" in done
    assert reverse("enterprises:incomplete") in done


@pytest.mark.parametrize(
    "role", ["leader", "town_officer", "enterprise_user", "outsider_town_officer", "no_role_user"]
)
def test_outsiders_cannot_reconcile_or_read_the_preview(registry, client_for, users, role):
    job = ImportJob.objects.create(
        kind="above_scale",
        file_name="规上名录.xlsx",
        status=ImportStatus.CHECKED,
        result={"details": {"new": [], "joined": [], "left": [], "targets": []}},
        created_by=users["reviewer"],
    )
    client = client_for(users[role])
    new_url = reverse("importing:new", args=["above_scale"])
    assert client.get(new_url).status_code == 403
    assert (
        client.post(
            new_url, {"file": upload("规上名录.xlsx", xlsx(HEADER, list_rows(registry)))}
        ).status_code
        == 403
    )
    for name in ("job", "details"):
        assert client.get(reverse(f"importing:{name}", args=[job.pk])).status_code == 403
    assert client.post(reverse("importing:confirm", args=[job.pk])).status_code == 403
    assert not Enterprise.objects.filter(uscc=NEW_USCC).exists()


def test_a_job_without_a_preview_has_no_download(client_for, reviewer):
    job = ImportJob.objects.create(kind="enterprises", file_name="x.xlsx", created_by=reviewer)
    assert client_for(reviewer).get(reverse("importing:details", args=[job.pk])).status_code == 404
