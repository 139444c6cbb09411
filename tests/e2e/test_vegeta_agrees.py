"""The watcher against an established open-loop load generator: vegeta and the watcher, each at
half the rate, through the same naive rollout, must count the same outage."""

import shutil

from tools import crosscheck, defaults


def test_vegeta_and_the_watcher_agree_on_a_naive_rollout(cluster, require):
    require(
        shutil.which(crosscheck.VEGETA) is not None,
        f"{crosscheck.VEGETA} is not installed: go install {crosscheck.VEGETA_MODULE}",
    )
    comparison = crosscheck.crosscheck("naive", defaults.URL, defaults.RATE)
    message = crosscheck.table(comparison)
    assert comparison.watcher.failed > 0, message
    assert comparison.disagreements() == [], message
