"""lab_support.course.endpoint_types: data files, distances, nearest edge, the latency model and its assumptions."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from lab_support.core.errors import LabError
from lab_support.course import endpoint_types as ep

DATA = Path(__file__).resolve().parent.parent / "data"


def test_region_file_lists_every_commercial_region_once() -> None:
    rows = list(csv.DictReader((DATA / "aws_regions.csv").open(encoding="utf-8")))
    codes = [r["code"] for r in rows]
    assert len(codes) == len(set(codes)) == 34
    assert {"us-east-1", "eu-central-1", "ap-southeast-6", "ap-east-2", "mx-central-1", "ca-west-1"} <= set(codes)
    assert not [c for c in codes if c.startswith(("cn-", "us-gov-"))]  # other partitions are not commercial
    assert list(rows[0]) == ["code", "name", "city", "latitude", "longitude"]


def test_region_file_matches_botocore_partition() -> None:
    import json

    import botocore

    endpoints = json.loads((Path(botocore.__file__).parent / "data" / "endpoints.json").read_text())
    aws = next(p for p in endpoints["partitions"] if p["partition"] == "aws")
    assert set(aws["regions"]) == set(ep.regions())


def test_edge_file_size_and_sources_are_documented() -> None:
    assert 60 <= len(ep.edge_locations()) <= 120
    readme = (DATA / "README.md").read_text(encoding="utf-8")
    for name in ("aws_regions.csv", "edge_locations.csv", "cities.csv"):
        assert name in readme
    assert "https://aws.amazon.com/cloudfront/features/" in readme
    assert "https://docs.aws.amazon.com/global-infrastructure/latest/regions/" in readme


@pytest.mark.parametrize(
    ("a", "b", "km"),
    [
        ((51.5074, -0.1278), (40.7128, -74.0060), 5570),  # London - New York
        ((-33.8688, 151.2093), (-37.8136, 144.9631), 714),  # Sydney - Melbourne
        ((48.8566, 2.3522), (35.6762, 139.6503), 9712),  # Paris - Tokyo
    ],
)
def test_haversine_known_pairs(a: tuple[float, float], b: tuple[float, float], km: float) -> None:
    assert ep.haversine_km(*a, *b) == pytest.approx(km, rel=0.01)


def test_haversine_is_symmetric_and_zero_on_itself() -> None:
    assert ep.haversine_km(10, 20, 10, 20) == 0
    assert ep.haversine_km(10, 20, -30, 40) == pytest.approx(ep.haversine_km(-30, 40, 10, 20))


def test_nearest_edge() -> None:
    edge, km = ep.nearest_edge(48.14, 11.58)  # Munich
    assert edge.name == "Munich" and km < 1
    edge, km = ep.nearest_edge(64.15, -21.94)  # Reykjavik has no edge in the list
    assert edge.name in {"Dublin", "Oslo", "Manchester"} and 1000 < km < 2000


def test_locate_names_coordinates_and_errors() -> None:
    assert ep.locate("são paulo").latitude == pytest.approx(-23.55)
    assert ep.locate("Reykjavik").name == "Reykjavik"  # from data/cities.csv
    assert ep.locate((1.0, 2.0)).longitude == 2.0
    with pytest.raises(LabError, match="known_cities"):
        ep.locate("Atlantis")
    with pytest.raises(LabError, match="Region"):
        ep.estimate_latency("Paris", "mars-north-1", "EDGE")


def test_edge_beats_regional_for_a_far_city() -> None:
    edge = ep.estimate_latency("Sydney", "us-east-1", "EDGE")
    regional = ep.estimate_latency("Sydney", "us-east-1", "REGIONAL")
    assert edge["edge"]["name"] == "Sydney"
    assert edge["total_ms"] < regional["total_ms"] / 2
    assert edge["total_ms"] == pytest.approx(sum(edge["components_ms"].values()), abs=0.2)
    assert edge["estimate"] is True and regional["estimate"] is True


def test_no_gain_next_to_the_region() -> None:
    edge = ep.estimate_latency("Ashburn", "us-east-1", "EDGE")["total_ms"]
    regional = ep.estimate_latency("Ashburn", "us-east-1", "REGIONAL")["total_ms"]
    assert edge == pytest.approx(regional, abs=1)


def test_regional_follows_the_stated_assumptions() -> None:
    est = ep.estimate_latency("London", "us-east-1", "REGIONAL")
    km = est["distances_km"]["client_to_region"]
    rtt = ep.LAST_MILE_RTT_MS + 2 * km * ep.INTERNET_ROUTE_FACTOR / ep.FIBRE_KM_PER_MS
    assert est["total_ms"] == pytest.approx((ep.HANDSHAKE_ROUND_TRIPS + 1) * rtt, abs=0.2)
    assert pytest.approx(299_792.458 / 1000 * 2 / 3, rel=0.01) == ep.FIBRE_KM_PER_MS  # ≈ 2/3 c
    assert 1 < ep.BACKBONE_ROUTE_FACTOR < ep.INTERNET_ROUTE_FACTOR
    assert all(word in " ".join(est["assumptions"].values()) for word in ("estimate", "haversine", "TLS"))


def test_private_is_intra_region() -> None:
    est = ep.estimate_latency("Sydney", "us-east-1", "PRIVATE")
    assert est["total_ms"] == pytest.approx((ep.HANDSHAKE_ROUND_TRIPS + 1) * ep.INTRA_REGION_RTT_MS)


def test_hostname_anatomy() -> None:
    edge = ep.hostname_anatomy("a1b2c3d4e5", "eu-west-1", "EDGE")
    assert edge["hostname"] == "a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com"
    assert "CloudFront" in edge["resolves_to"]
    private = ep.hostname_anatomy("a1b2c3d4e5", "eu-west-1", "PRIVATE", vpce_id="vpce-0abc")
    urls = [alt["url"] for alt in private["alternatives"]]
    assert "https://a1b2c3d4e5-vpce-0abc.execute-api.eu-west-1.amazonaws.com/prod/" in urls
    assert any(alt["headers"] == {"x-apigw-api-id": "a1b2c3d4e5"} for alt in private["alternatives"])
    assert private["source"].endswith("apigateway-private-api-test-invoke-url.html")


def test_plot_edge_vs_regional() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = ep.plot_edge_vs_regional("Sydney", "us-east-1")
    try:
        assert len(fig.axes) == 2
        assert [t.get_text() for t in fig.axes[1].get_yticklabels()] == ["EDGE", "REGIONAL"]
    finally:
        plt.close(fig)
