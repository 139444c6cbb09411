"""tools/cluster.py without a cluster: command errors as one line, and waiting with a limit."""

import subprocess

import pytest

from tools.cluster import ClusterError, last_line, run, run_checked, wait_for


def completed(stdout: str = "", stderr: str = "", returncode: int = 2):
    return subprocess.CompletedProcess(["make"], returncode, stdout, stderr)


@pytest.mark.parametrize(
    "trailer",
    ["make: *** [Makefile:12: deploy-safe] Error 1", "make[1]: *** [Makefile:9: x] Error 2"],
)
def test_last_line_is_the_commands_own_word_without_makes_trailer(trailer):
    assert last_line(completed(stderr=f"noise\nerror: rollout failed\n{trailer}\n")) == (
        "error: rollout failed"
    )


def test_last_line_falls_back_to_stdout_then_to_the_exit_status():
    assert last_line(completed(stdout="only here\n")) == "only here"
    assert last_line(completed()) == "exit status 2"


def test_a_missing_command_is_one_line():
    with pytest.raises(ClusterError, match=r"^no-such-tool-here not found: install it"):
        run(["no-such-tool-here"])


def test_a_failing_command_names_itself_and_its_last_line():
    with pytest.raises(ClusterError, match=r"^sh -c echo boom >&2; exit 3 failed: boom$"):
        run_checked(["sh", "-c", "echo boom >&2; exit 3"])


def test_a_command_reads_what_it_is_given_on_stdin():
    assert run_checked(["cat"], stdin="kind: Deployment\n") == "kind: Deployment"


def test_a_command_that_hangs_is_stopped():
    with pytest.raises(ClusterError, match="did not finish in 0 s"):
        run(["sleep", "5"], timeout=0.2)


def test_wait_for_gives_up_with_what_it_waited_for():
    with pytest.raises(ClusterError, match="timed out after 0 s waiting for the moon"):
        wait_for(lambda: False, 0.1, "the moon")
