"""The JupyterHub section of docs/instructor.md, followed on the real nbgrader (issue 38).

One assignment goes the whole way through a temporary exchange folder, as on a hub: the course is
built by ``instructor.build_course`` with ``--exchange`` and a due date in the past, the instructor
releases it, a learner fetches and submits it (untouched) from another folder, the instructor
collects, autogrades WITHOUT GAN_SMOKE in the environment (the generated config must set it, as it
must for formgrader), writes and releases feedback, and the learner fetches it. The gradebook must
record the submission as late. The config must hold no absolute path of the machine that built it.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from instructor.build_course import COURSE_ID, build, db_url

NAME = "01_bce_loss"


def _run(args, cwd, env):
    proc = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=cwd, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc.stdout + proc.stderr


def test_release_fetch_submit_collect_autograde_feedback(tmp_path):
    course, exchange, learner = tmp_path / "course", tmp_path / "exchange", tmp_path / "learner"
    exchange.mkdir()
    learner.mkdir()
    dates = tmp_path / "due.json"
    dates.write_text(json.dumps({NAME: "2020-01-01 00:00:00 UTC"}))
    build(course, only=[NAME], exchange=str(exchange), dates=dates)

    config = (course / "nbgrader_config.py").read_text()
    assert str(course) not in config, "the config holds the build machine's course path"
    env = {k: v for k, v in os.environ.items() if k != "GAN_SMOKE"}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    # what the config does to the environment of the process that loads it (nbgrader, formgrader)
    probe = subprocess.run([sys.executable, "-c", "import os\nfrom traitlets.config.loader import PyFileConfigLoader\n"
                            "c = PyFileConfigLoader('nbgrader_config.py', path='.').load_config()\n"
                            "print(os.environ.get('GAN_SMOKE'), c.CourseDirectory.root, c.Exchange.root)"],
                           cwd=course, env=env, capture_output=True, text=True, check=True).stdout.split()
    assert probe == ["1", str(course.resolve()), str(exchange)], probe

    ex = [f"--Exchange.root={exchange}", f"--course={COURSE_ID}"]
    _run(["release_assignment", NAME], course, env)
    _run(["fetch_assignment", NAME, *ex], learner, env)
    assert (learner / NAME / f"{NAME}.ipynb").exists()
    _run(["submit", NAME, *ex], learner, env)
    _run(["collect", NAME], course, env)
    out = _run(["autograde", NAME], course, env)
    assert "[AutogradeApp | ERROR]" not in out, out[-3000:]
    _run(["generate_feedback", NAME], course, env)
    _run(["release_feedback", NAME], course, env)
    _run(["fetch_feedback", NAME, *ex], learner, env)
    html = list((learner / NAME / "feedback").rglob(f"{NAME}.html"))
    assert html and "still raises NotImplementedError" in html[0].read_text()

    from nbgrader.api import Gradebook
    with Gradebook(db_url(course)) as gb:
        subs = gb.assignment_submissions(NAME)
        assert len(subs) == 1 and subs[0].total_seconds_late > 0, "the late submission was not recorded as late"
        assert subs[0].score == 0
