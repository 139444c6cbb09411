"""The workshop's tools, in packages by job, each importing only those below it:

    report     the docs' measured tables, CI's list of rollouts
    scenarios  demo, drills, lesson, labs, crosscheck, propagation: measured on a cluster
    results    a measurement's result, verdict, picture and provenance
    doctor     make doctor (Python 3.8+)
    cluster    the guard, make/kubectl/docker commands, deploys, kind's images, kube-proxy
    traffic    requests, the watcher, summaries, the live lines (make watch)
    cli        one-line usage errors, what to install where (Python 3.8+)

The standard library only: attendees run them with their own python3, outside any virtualenv.
"""

from pathlib import Path

# The kit's checkout: where make runs, and what the tools' paths start from.
ROOT = Path(__file__).resolve().parent.parent
