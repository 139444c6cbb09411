"""make doctor, the preflight: is this laptop ready for the workshop? The tools and their versions
(preflight.py), Docker's engine, resources and images (docker.py), each check a line of ok, WARN
or FAIL (checks.py). Python 3.8+, so that it can tell a 3.9 user what to install: it imports only
tools.cli, tools.cluster.guard and tools.traffic.defaults, which keep to 3.8 too."""
