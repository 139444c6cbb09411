"""tools/traffic/arguments.py: the options both CLIs share, parsed into TrafficOptions."""

from __future__ import annotations

import pytest

from tools.cli.parser import OneLineArgumentParser
from tools.traffic import defaults
from tools.traffic.arguments import add_traffic_arguments, traffic_options
from tools.traffic.live import heading, legend
from tools.traffic.options import TrafficError


def parse(*args: str):
    parser = OneLineArgumentParser(prog="tool")
    parser.add_argument("--url")
    add_traffic_arguments(parser)
    return parser.parse_args(list(args))


def test_defaults_come_from_one_place() -> None:
    options = traffic_options(parse())
    assert options.url == defaults.URL
    assert options.concurrency == defaults.CONCURRENCY
    assert options.rate == defaults.RATE
    assert options.keepalive is False
    assert options.timeout == defaults.TIMEOUT_S


def test_via_names_the_way_in_and_the_output_says_which() -> None:
    assert traffic_options(parse("--via", "gateway")).url == defaults.GATEWAY_URL
    assert traffic_options(parse("--via", "nodeport")).url == defaults.URL
    assert heading(traffic_options(parse("--via", "gateway"))).startswith(
        "through the gateway (Traefik to the pods), open loop at 200 req/s"
    )
    assert heading(traffic_options(parse())).startswith("through the NodePort (kube-proxy")
    assert heading(traffic_options(parse("--url", "http://127.0.0.1:8080/"))).startswith(
        "to http://127.0.0.1:8080/, open loop"
    )
    assert legend(traffic_options(parse("--via", "gateway"))).startswith(
        f"watching {defaults.GATEWAY_URL} through the gateway (Traefik to the pods) with open"
    )


def test_a_url_and_a_way_in_together_are_one_line() -> None:
    with pytest.raises(TrafficError, match=r"^give a URL or --via gateway, not both$"):
        traffic_options(parse("--url", "http://127.0.0.1:9/", "--via", "gateway"))


def test_values_are_parsed() -> None:
    options = traffic_options(
        parse("--concurrency", "3", "--keepalive", "--rate", "42.5", "--timeout", "0.5")
    )
    assert (options.concurrency, options.keepalive, options.rate, options.timeout) == (
        3,
        True,
        42.5,
        0.5,
    )


def test_rate_max_means_unpaced() -> None:
    assert traffic_options(parse("--rate", "max")).rate is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--via", "ingress"],
            "argument --via: invalid choice: 'ingress' (choose from 'gateway', 'nodeport')",
        ),
        (["--concurrency", "0"], "argument --concurrency: must be from 1 to 1000, got 0"),
        (["--concurrency", "100000"], "argument --concurrency: must be from 1 to 1000, got 100000"),
        (["--concurrency", "many"], "argument --concurrency: 'many' is not a number"),
        (["--rate", "0"], "argument --rate: must be greater than 0, or max, got 0"),
        (["--rate", "inf"], "argument --rate: must be greater than 0, or max, got inf"),
        (["--timeout", "0"], "argument --timeout: must be greater than 0 and at most 300, got 0"),
        (
            ["--timeout", "1e10"],
            "argument --timeout: must be greater than 0 and at most 300, got 1e10",
        ),
    ],
)
def test_bad_values_are_one_line(capsys, args: list[str], message: str) -> None:
    with pytest.raises(SystemExit) as exited:
        parse(*args)
    assert exited.value.code == 2
    assert capsys.readouterr().err == f"tool: {message}\n"
