"""Candidates answering at once (issue 20): answer saves under load, and no answer lost.

    .venv/bin/python bench/bench_exam.py [--db-url postgres://postgres@127.0.0.1:5432/cqo_bench_exam]
        [--candidates 200] [--workers 2] [--think 1.0] [--json FILE]

1. The database (dropped and created anew, migrated) gets a CQO question bank (60 single, 15
   multiple, 30 true/false questions), a paper rule of 35 questions, and an open sitting with
   ``--candidates`` candidates (a person, an enterprise and a current CQO appointment each).
2. The server is ``bench_pages.Server``: its own Redis, gunicorn with the production settings
   and ``--workers`` sync workers on a loopback port.
3. The load: one thread per candidate, each with its own connection and cookies, signs in
   (access code + ID number + name), opens the paper, answers every question in order with a
   pause of ``--think`` seconds on average (uniform between 0 and twice that) between answers,
   and submits. Every answer save is timed.
4. The check: every answer the server said it saved is in the database, as the letters the
   candidate chose (mapped back through the paper's option order), and every paper is
   submitted.

Prints a Markdown section for bench/RESULTS.md: the machine, its load, answer saves' count,
req/s, p50/p95/p99/max in ms, failures, and lost answers.
"""

import argparse
import json
import random
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

from bench_pages import (  # noqa: E402
    Client,
    Server,
    free_port,
    load_average,
    machine,
    percentile,
    production_env,
)

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/cqo_bench_exam"

SEED = r"""
import json, sys
from datetime import date
from exams.models import PaperRule, PaperSection, Sitting, SittingStatus, Question
from exams import bank, services
from tests.factories import AppointmentFactory
n = int(sys.argv[1])
if not Question.objects.filter(post="cqo").exists():
    for i in range(60):
        bank.question_save(question=None, post_id="cqo", category="法规", difficulty="medium",
            active=True, qtype="single", stem=f"单选{i}", options=["甲", "乙", "丙", "丁"],
            answer="ABCD"[i % 4], actor=None)
    for i in range(15):
        bank.question_save(question=None, post_id="cqo", category="职责", difficulty="medium",
            active=True, qtype="multiple", stem=f"多选{i}", options=["甲", "乙", "丙", "丁", "戊"],
            answer="AC", actor=None)
    for i in range(30):
        bank.question_save(question=None, post_id="cqo", category="常识", difficulty="easy",
            active=True, qtype="judge", stem=f"判断{i}", options=[], answer="AB"[i % 2], actor=None)
    rule = PaperRule.objects.create(post_id="cqo", pass_mark=60, duration_minutes=120)
    PaperSection.objects.create(rule=rule, qtype="single", count=20, marks=2, order=0)
    PaperSection.objects.create(rule=rule, qtype="multiple", count=5, marks=4, order=1)
    PaperSection.objects.create(rule=rule, qtype="judge", count=10, marks=2, order=2)
sitting = Sitting.objects.create(post_id="cqo", title="压力测试", held_on=date.today(), place="x")
ids = [AppointmentFactory().pk for _ in range(n)]
services.sitting_add_candidates(sitting=sitting, appointment_ids=ids, actor=None)
Sitting.objects.filter(pk=sitting.pk).update(status=SittingStatus.OPEN)
out = {"sitting": sitting.pk, "code": sitting.access_code, "candidates": [
    {"id_number": c.person.id_number, "name": c.person.name}
    for c in sitting.candidates.select_related("person")]}
print("JSON" + json.dumps(out, ensure_ascii=False))
"""

CHECK = r"""
import json, sys
from exams.models import Paper, PaperQuestion
sent = json.loads(open(sys.argv[1]).read())
papers = {p.candidate.person.id_number: p for p in
          Paper.objects.filter(candidate__sitting=sent["sitting"]).select_related("candidate__person")}
lost = 0
checked = 0
for id_number, answers in sent["answers"].items():
    paper = papers[id_number]
    rows = {q.position: q for q in paper.questions.all()}
    for position, shown in answers.items():
        q = rows[int(position)]
        want = "".join(sorted("ABCDEF"[q.option_order["ABCDEF".index(s)]] for s in shown))
        checked += 1
        if q.chosen != want:
            lost += 1
unsubmitted = sum(1 for p in papers.values() if p.submitted_at is None)
print("JSON" + json.dumps({"checked": checked, "lost": lost, "unsubmitted": unsubmitted,
                           "papers": len(papers)}))
"""


def manage_shell(env: dict, code: str, *args: str) -> dict:
    script = ROOT / "var" / "bench-exam-script.py"
    script.parent.mkdir(parents=True, exist_ok=True)
    script.write_text("import sys; sys.argv = ['x', *" + repr(list(args)) + "]\n" + code)
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", script.read_text()],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    line = next(line for line in result.stdout.splitlines() if line.startswith("JSON"))
    return json.loads(line[4:])


def fresh_database(url: str) -> None:
    """A throw-away database of its own, made anew each run (the factories' sequences would
    collide with a previous run's persons)."""
    name = url.rsplit("/", 1)[1]
    subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", name], check=True)
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", name], check=True)


def candidate_run(port, code, person, think, rng, timings, failures, answers, lock):
    client = Client(port)
    status, _h, page = client.get(f"/exam/?code={code}")
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1).decode()
    status, headers, _p = client.post(
        "/exam/",
        {
            "csrfmiddlewaretoken": token,
            "access_code": code,
            "id_number": person["id_number"],
            "name": person["name"],
        },
    )
    if status != 302:
        with lock:
            failures.append(f"sign-in {status}")
        return
    status, _h, page = client.get("/exam/paper/")
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1).decode()
    questions = re.findall(rb'data-position="(\d+)" data-multiple="(\d)"', page)
    mine = {}
    for position, multiple in questions:
        position = int(position)
        letters = re.findall(rf'name="q{position}" value="([A-F])"'.encode(), page)
        letters = [x.decode() for x in letters]
        chosen = rng.sample(letters, 2) if multiple == b"1" else [rng.choice(letters)]
        time.sleep(rng.uniform(0, 2 * think))
        started = time.perf_counter()
        form = [("csrfmiddlewaretoken", token), ("position", position)]
        form += [("choice", letter) for letter in chosen]
        status, _h, body = client.request("POST", "/exam/paper/answer/", dict_form(form))
        elapsed = (time.perf_counter() - started) * 1000
        with lock:
            timings.append(elapsed)
            if status == 200 and json.loads(body).get("saved"):
                mine[position] = chosen
            else:
                failures.append(f"answer {status}")
    client.post("/exam/paper/submit/", {"csrfmiddlewaretoken": token})
    with lock:
        answers[person["id_number"]] = mine


class dict_form(dict):
    """A form with repeated names (``choice``), for ``Client.request``: urlencode with
    ``doseq`` over the pairs."""

    def __init__(self, pairs):
        super().__init__()
        self.pairs = pairs

    def items(self):
        return self.pairs


def run(args) -> dict:
    fresh_database(args.db_url)
    server = Server(args.db_url, args.workers)
    redis_port = free_port()
    env = production_env(args.db_url, redis_port)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
    )
    seeded = manage_shell(env, SEED, str(args.candidates))
    port = server.start()
    try:
        timings, failures, answers = [], [], {}
        lock = threading.Lock()
        rng = random.Random(20)
        threads = [
            threading.Thread(
                target=candidate_run,
                args=(
                    port,
                    seeded["code"],
                    person,
                    args.think,
                    random.Random(rng.random()),
                    timings,
                    failures,
                    answers,
                    lock,
                ),
            )  # fmt: skip
            for person in seeded["candidates"]
        ]
        load_before = load_average()
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - started
        load_after = load_average()
    finally:
        server.stop()
    sent = ROOT / "var" / "bench-exam-sent.json"
    sent.write_text(json.dumps({"sitting": seeded["sitting"], "answers": answers}))
    check = manage_shell(env, CHECK, str(sent))
    return {
        "machine": machine(),
        "load": [load_before, load_after],
        "candidates": args.candidates,
        "workers": args.workers,
        "think": args.think,
        "saves": len(timings),
        "seconds": round(wall, 1),
        "req_s": round(len(timings) / wall, 1),
        "p50": round(percentile(timings, 50), 1),
        "p95": round(percentile(timings, 95), 1),
        "p99": round(percentile(timings, 99), 1),
        "max": round(max(timings), 1),
        "failures": failures[:20],
        "failure_count": len(failures),
        "check": check,
    }


def markdown(out: dict) -> str:
    c = out["check"]
    return "\n".join(
        [
            f"## Exam answer saves ({out['candidates']} candidates, {out['workers']} workers)",
            "",
            f"Machine: {out['machine']}; load average before/after: {out['load']}.",
            f"Think time {out['think']} s on average between answers.",
            "",
            "| saves | wall s | saves/s | p50 ms | p95 ms | p99 ms | max ms | failures | lost |",
            "|---|---|---|---|---|---|---|---|---|",
            f"| {out['saves']} | {out['seconds']} | {out['req_s']} | {out['p50']} | {out['p95']} "
            f"| {out['p99']} | {out['max']} | {out['failure_count']} | {c['lost']} of "
            f"{c['checked']} |",
            "",
            f"Papers: {c['papers']}, not submitted: {c['unsubmitted']}.",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db-url", default=DEFAULT_URL)
    parser.add_argument("--candidates", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--think", type=float, default=1.0)
    parser.add_argument("--json")
    args = parser.parse_args()
    out = run(args)
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2, ensure_ascii=False))
    print(markdown(out))


if __name__ == "__main__":
    main()
