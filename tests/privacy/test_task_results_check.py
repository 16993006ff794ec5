"""System check privacy.E012: no Celery result backend may keep task results.

Results may carry member ids (an erasure's job, an export's owner) and would outlive the
erasure they are about; ``tests/integration/test_task_results.py`` shows a real worker
storing none.
"""

import pytest
from celery import Celery
from django.core.checks import ERROR
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from cinema.celery import app as project_app
from privacy.checks import check_task_results, task_result_problems

BACKEND = "redis://127.0.0.1:6379/5"


def make_app(**conf) -> Celery:
    app = Celery("check-test", set_as_current=False)
    app.conf.update(**conf)
    return app


def test_the_project_keeps_no_task_results():
    assert project_app.conf.task_ignore_result is True
    assert not project_app.conf.result_backend
    assert check_task_results() == []


def test_a_backend_named_in_the_environment_is_harmless_while_results_are_ignored(monkeypatch):
    monkeypatch.setenv("CELERY_RESULT_BACKEND", BACKEND)

    assert project_app.conf.result_backend == BACKEND
    assert check_task_results() == []


def test_manage_check_fails_when_a_backend_keeps_results(monkeypatch):
    monkeypatch.setenv("CELERY_RESULT_BACKEND", BACKEND)
    monkeypatch.setitem(project_app.conf, "task_ignore_result", False)

    with pytest.raises(SystemCheckError, match=r"privacy\.E012"):
        call_command("check")


def test_keeping_results_with_a_backend_is_an_error_that_says_why():
    problems = task_result_problems(make_app(result_backend=BACKEND, task_ignore_result=False))

    assert [p.id for p in problems] == ["privacy.E012"]
    assert problems[0].level == ERROR
    assert "member ids" in problems[0].msg
    assert "127.0.0.1" not in problems[0].msg  # the backend's address is not repeated
    assert "CELERY_RESULT_BACKEND" in problems[0].hint


def test_a_single_task_that_keeps_its_result_is_named():
    app = make_app(result_backend=BACKEND, task_ignore_result=True)

    @app.task(name="check_test.keeps", ignore_result=False)
    def keeps():
        return 42

    problems = task_result_problems(app)

    assert [p.id for p in problems] == ["privacy.E012"]
    assert "check_test.keeps" in problems[0].msg


def test_storing_errors_of_ignored_tasks_is_an_error():
    app = make_app(
        result_backend=BACKEND, task_ignore_result=True, task_store_errors_even_if_ignored=True
    )

    assert [p.id for p in task_result_problems(app)] == ["privacy.E012"]


@pytest.mark.parametrize("backend", [None, "", "disabled://"])
def test_without_a_backend_nothing_can_be_kept(backend):
    app = make_app(result_backend=backend, task_ignore_result=False)

    assert task_result_problems(app) == []
