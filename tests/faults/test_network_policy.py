"""The network policy against a real site on 127.0.0.1. The site itself is allowed by the narrowest
setting, ``allow_private_networks: [127.0.0.1/32]``, so every other private address a feed or a
redirect names is refused; with the default (off), the site itself is refused."""

from __future__ import annotations

import pytest

from crawlers.health import HealthStore
from tests.collect.conftest import fast_settings
from tests.collect.fixture_site import article_html, rss
from tests.faults.conftest import RSS, collect, source
from whirlpool.sources import Source

NOT_LISTED = "(not in collect.allow_private_networks)"


@pytest.fixture(scope="module")
def default_run(site, tmp_path_factory):
    """allow_private_networks left at its default (off): a feed on 127.0.0.1 and one on localhost."""
    settings = fast_settings(tmp_path_factory.mktemp("policy-default") / "data")
    settings.collect.allow_private_networks = False
    site.add("/policy/default.xml", rss([("P", site.add("/policy/p1", article_html(1)), "s", None)]), RSS)
    site.add("/policy/named.xml", rss([]), RSS)
    named = source(site, "named", "/policy/named.xml").model_dump()
    named["feeds"] = [site.url("/policy/named.xml").replace("127.0.0.1", "localhost")]
    run = collect(settings, source(site, "intranet", "/policy/default.xml"), Source.model_validate(named))
    return settings, run


@pytest.fixture(scope="module")
def policy_run(site, tmp_path_factory):
    """Only 127.0.0.1/32 allowed: feed links and redirects to other private addresses."""
    settings = fast_settings(tmp_path_factory.mktemp("policy") / "data")
    port = site.base.rsplit(":", 1)[1]
    links = {
        "loopback": [
            site.add("/policy/good", article_html(2)),
            f"http://127.0.0.2:{port}/policy/good",
            f"http://[::1]:{port}/policy/good",
        ],
        "redirects": [
            site.add("/policy/go-inner", b"", status=302, headers={"Location": "http://10.255.255.1/admin"}),
            site.add(
                "/policy/go-metadata",
                b"",
                status=301,
                headers={"Location": "http://169.254.169.254/latest/meta-data/"},
            ),
            site.add("/policy/fine", article_html(3)),
        ],
        "schemes": [
            "javascript:alert(1)",
            "file:///etc/passwd",
            "data:text/html,hello",
            site.add("/policy/plain", article_html(4)),
            site.add("/policy/to-file", b"", status=302, headers={"Location": "file:///etc/passwd"}),
        ],
    }
    sources = []
    for name, items in links.items():
        site.add(
            f"/policy/{name}.xml", rss([(f"{name} {n}", u, "s", None) for n, u in enumerate(items)]), RSS
        )
        sources.append(source(site, name, f"/policy/{name}.xml"))
    site.add("/policy/feed-moved.xml", b"", status=302, headers={"Location": "http://192.168.1.1/rss"})
    sources.append(source(site, "moved", "/policy/feed-moved.xml"))
    links["schemes"][1] = "file://etc/passwd"  # as feedparser reads file:/// (an empty host)
    return settings, collect(settings, *sources), links


def lines_for(run, source_id: str) -> list[str]:
    return sorted(o.line() for o in run.report.outcomes if o.source_id == source_id)


def test_a_feed_on_a_loopback_address_is_refused_by_default_and_never_requested(site, default_run):
    settings, run = default_run
    feed = site.url("/policy/default.xml")
    reason = (
        f"refused {feed}: resolves to 127.0.0.1, a loopback address (collect.allow_private_networks is off)"
    )
    assert lines_for(run, "intranet") == [f"[collect] intranet {feed}: {reason}"]
    assert "/policy/default.xml" not in site.hits and run.articles == []
    assert run.report.counts["sources_failed"] == 2
    health = HealthStore(settings.state_dir).get("intranet")
    assert health.status == "failing" and health.last_error == reason


def test_a_host_name_is_judged_by_the_address_it_resolves_to(site, default_run):
    feed = site.url("/policy/named.xml").replace("127.0.0.1", "localhost")
    assert lines_for(default_run[1], "named") == [
        f"[collect] named {feed}: refused {feed}: resolves to 127.0.0.1, a loopback address "
        "(collect.allow_private_networks is off)"
    ]


def test_feed_items_linking_to_other_loopback_addresses_are_refused(policy_run):
    settings, run, links = policy_run
    good, other_v4, v6 = links["loopback"]
    assert lines_for(run, "loopback") == sorted(
        [
            f"[collect] loopback {other_v4}: refused {other_v4}: resolves to 127.0.0.2, a loopback "
            f"address {NOT_LISTED}",
            f"[collect] loopback {v6}: refused {v6}: resolves to ::1, a loopback address {NOT_LISTED}",
        ]
    )
    assert [a.url for a in run.articles if a.source_id == "loopback"] == [good]  # refused: not an article
    assert run.ledger(links["loopback"]) == {"in": 3, "out": 1, "reported": 2, "lost": 0, "duplicated": 0}
    assert HealthStore(settings.state_dir).get("loopback").status == "degraded"


def test_a_redirect_to_a_private_address_is_refused(site, policy_run):
    _, run, links = policy_run
    to_inner, to_metadata, good = links["redirects"]
    assert lines_for(run, "redirects") == sorted(
        [
            f"[collect] redirects {to_inner}: refused http://10.255.255.1/admin: resolves to "
            f"10.255.255.1, a private address {NOT_LISTED}",
            f"[collect] redirects {to_metadata}: refused http://169.254.169.254/latest/meta-data/: "
            f"resolves to 169.254.169.254, a link-local address {NOT_LISTED}",
        ]
    )
    assert lines_for(run, "moved") == [
        f"[collect] moved {site.url('/policy/feed-moved.xml')}: refused http://192.168.1.1/rss: "
        f"resolves to 192.168.1.1, a private address {NOT_LISTED}"
    ]
    assert [a.url for a in run.articles if a.source_id == "redirects"] == [good]
    assert run.ledger(links["redirects"]) == {"in": 3, "out": 1, "reported": 2, "lost": 0, "duplicated": 0}


def test_javascript_file_and_data_links_are_refused_with_their_scheme(policy_run):
    _, run, links = policy_run
    to_file = links["schemes"][4]
    only = "only http and https are fetched"
    assert lines_for(run, "schemes") == sorted(
        [
            f"[collect] schemes javascript:alert(1): refused javascript:alert(1): a javascript: link; {only}",
            f"[collect] schemes file://etc/passwd: refused file://etc/passwd: a file: link; {only}",
            f"[collect] schemes data:text/html,hello: refused data:text/html,hello: a data: link; {only}",
            f"[collect] schemes {to_file}: refused a redirect to file:///etc/passwd: a file: link; {only}",
        ]
    )
    assert [a.url for a in run.articles if a.source_id == "schemes"] == [links["schemes"][3]]
    assert run.ledger(links["schemes"]) == {"in": 5, "out": 1, "reported": 4, "lost": 0, "duplicated": 0}


def test_the_run_counts_every_refused_link(policy_run):
    counts = policy_run[1].report.counts
    assert (counts["entries_seen"], counts["links_refused"], counts["articles_new"]) == (11, 8, 3)
    assert (counts["sources_ok"], counts["sources_failed"]) == (3, 1)
