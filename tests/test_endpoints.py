"""lab_support.course.endpoint_types: data files, distances, nearest edge, the latency model, its calibration, the map."""

from __future__ import annotations

import csv
import itertools
import json
import math
import socket
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


# --- calibration against published round trips ---------------------------------------------------


def test_calibrated_round_trips_match_the_commonly_measured_ones() -> None:
    # Sydney <-> us-east-1 ≈ 200 ms and Frankfurt <-> us-east-1 ≈ 90 ms (see CALIBRATION_RTTS for the sources).
    assert ep.round_trip_ms("Sydney", "us-east-1") == pytest.approx(200, rel=0.15)
    assert ep.round_trip_ms("Frankfurt", "us-east-1") == pytest.approx(90, rel=0.15)
    assert ep.round_trip_ms("ap-southeast-2", "us-east-1") == pytest.approx(200, rel=0.15)
    assert ep.round_trip_ms("eu-central-1", "us-east-1") == pytest.approx(90, rel=0.15)
    # the REGIONAL estimate uses exactly that round trip, three times (TCP, TLS 1.3, request)
    regional = ep.estimate_latency("Sydney", "us-east-1", "REGIONAL")
    assert regional["total_ms"] == pytest.approx(3 * ep.round_trip_ms("Sydney", "us-east-1"), abs=0.3)


def test_route_factor_is_the_least_squares_fit_of_the_cited_pairs() -> None:
    assert ep.fit_route_factor() == pytest.approx(ep.INTERNET_ROUTE_FACTOR, abs=0.005)
    # the closed form really is the minimum: nudging the factor either way makes the squared error grow
    def sse(f: float) -> float:
        total = 0.0
        for a, b, measured, _ in ep.CALIBRATION_RTTS:
            ra, rb = ep.regions()[a], ep.regions()[b]
            x = 2 * ep.haversine_km(ra.latitude, ra.longitude, rb.latitude, rb.longitude) / ep.FIBRE_KM_PER_MS
            total += (x * f + ep.LAST_MILE_RTT_MS - measured) ** 2
        return total

    best = ep.fit_route_factor()
    assert sse(best) < sse(best + 0.02) and sse(best) < sse(best - 0.02)
    assert {source for *_, source in ep.CALIBRATION_RTTS} == set(ep.CALIBRATION_SOURCES)
    assert all(s in ep.__doc__ for s in ("acomputerscientistlearnsaws", "CloudWatch-InfrastructurePerformance",
                                          "not verified", "wonderproxy"))
    rows = ep.calibration_table()
    assert len(rows) == len(ep.CALIBRATION_RTTS)
    assert all(0.5 < row["model/measured"] < 1.5 for row in rows)


def test_backbone_is_somewhat_better_and_the_edge_mostly_saves_handshakes() -> None:
    assert 0.8 * ep.INTERNET_ROUTE_FACTOR <= ep.BACKBONE_ROUTE_FACTOR < ep.INTERNET_ROUTE_FACTOR
    new = {k: ep.estimate_latency("Sydney", "us-east-1", k)["total_ms"] for k in ("EDGE", "REGIONAL")}
    warm = {k: ep.estimate_latency("Sydney", "us-east-1", k, new_connection=False)["total_ms"]
            for k in ("EDGE", "REGIONAL")}
    # new connection: the two handshake round trips end at the Sydney edge -> about 3x, no longer ~4x
    assert 2.5 < new["REGIONAL"] / new["EDGE"] < 3.5
    # open connection: only the backbone's shorter path is left
    assert 1.0 < warm["REGIONAL"] / warm["EDGE"] < 1.2
    assert ep.estimate_latency("Sydney", "us-east-1", "EDGE", new_connection=False)["new_connection"] is False
    assert not [label for label in ep.estimate_latency("Sydney", "us-east-1", "EDGE", new_connection=False)
                ["components_ms"] if "handshake" in label]


def test_round_trip_rejects_unknown_networks() -> None:
    with pytest.raises(LabError, match="backbone"):
        ep.round_trip_ms("Sydney", "us-east-1", "carrier pigeon")


# --- great circles ---------------------------------------------------------------------------------


def _path_km(points: list[tuple[float, float]]) -> float:
    return sum(ep.haversine_km(*a, *b) for a, b in itertools.pairwise(points))


def test_great_circle_midpoint_of_known_pairs() -> None:
    # along the equator from 0° to 90° E the midpoint is (0, 45)
    mid = ep.great_circle_points(0, 0, 0, 90, n=3)[1]
    assert mid == pytest.approx((0.0, 45.0), abs=1e-9)
    # London -> New York: the shortest path bulges north of both cities, over the Atlantic near 52.4° N, 41.3° W
    points = ep.great_circle_points(51.5074, -0.1278, 40.7128, -74.0060, n=3)
    assert points[1] == pytest.approx((52.37, -41.28), abs=0.05)
    # meridian: from the equator to the North Pole the midpoint is at 45° N
    assert ep.great_circle_points(0, 10, 90, 10, n=3)[1][0] == pytest.approx(45.0)


@pytest.mark.parametrize(("a", "b"), [((-33.87, 151.21), (39.04, -77.49)),  # Sydney - Ashburn
                                      ((50.11, 8.68), (39.04, -77.49)),  # Frankfurt - Ashburn
                                      ((64.15, -21.94), (-33.87, 151.21))])  # Reykjavik - Sydney, near the pole
def test_great_circle_length_matches_haversine(a: tuple[float, float], b: tuple[float, float]) -> None:
    points = ep.great_circle_points(*a, *b, n=200)
    assert points[0] == a and points[-1] == b
    assert _path_km(points) == pytest.approx(ep.haversine_km(*a, *b), rel=1e-4)
    # evenly spaced: every step is the same length
    steps = [ep.haversine_km(*p, *q) for p, q in itertools.pairwise(points)]
    assert max(steps) - min(steps) < 1e-6 * max(steps) + 1e-6


def test_split_at_antimeridian() -> None:
    sydney, ashburn = (-33.87, 151.21), (39.04, -77.49)
    pieces = ep.split_at_antimeridian(ep.great_circle_points(*sydney, *ashburn, n=100))
    assert len(pieces) == 2  # Sydney -> Virginia crosses the Pacific, hence the antimeridian, once
    assert pieces[0][-1][1] == 180.0 and pieces[1][0][1] == -180.0
    assert pieces[0][-1][0] == pytest.approx(pieces[1][0][0])  # the same crossing latitude on both sides
    for piece in pieces:
        lons = [lon for _, lon in piece]
        assert all(abs(x - y) <= 180 for x, y in itertools.pairwise(lons))
    # a path that does not cross stays one piece
    assert len(ep.split_at_antimeridian(ep.great_circle_points(50.11, 8.68, 39.04, -77.49))) == 1
    assert ep.split_at_antimeridian([]) == []


# --- coastlines ------------------------------------------------------------------------------------


def test_coastline_data_is_small_documented_and_covers_every_continent() -> None:
    path = DATA / "natural_earth_110m_land.json"
    assert path.stat().st_size < 300_000
    document = json.loads(path.read_text(encoding="utf-8"))
    assert "public domain" in document["licence"] and "world-atlas" in document["source"]
    readme = (DATA / "README.md").read_text(encoding="utf-8")
    assert "natural_earth_110m_land.json" in readme and "tools/make_coastlines.py" in readme

    polygons = ep.land_polygons()
    assert len(polygons) > 100
    for polygon in polygons:
        for ring in polygon:
            assert len(ring) >= 3
            assert all(-180 <= lon <= 180 and -90 <= lat <= 90 for lon, lat in ring)

    def land_near(lat: float, lon: float) -> bool:
        """Is (lat, lon) inside some exterior ring? (ray casting; holes ignored: there is one, far away)"""
        for polygon in polygons:
            ring = polygon[0]
            inside = False
            for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1], strict=True):
                if (y0 > lat) != (y1 > lat) and lon < x0 + (lat - y0) * (x1 - x0) / (y1 - y0):
                    inside = not inside
            if inside:
                return True
        return False

    continents = {"Africa": (0.0, 20.0), "Europe": (50.0, 10.0), "Asia": (50.0, 90.0),
                  "North America": (40.0, -100.0), "South America": (-10.0, -55.0),
                  "Australia": (-25.0, 135.0), "Antarctica": (-80.0, 0.0)}
    for name, (lat, lon) in continents.items():
        assert land_near(lat, lon), name
    for ocean, (lat, lon) in {"Atlantic": (30.0, -40.0), "Pacific": (0.0, -150.0), "Indian": (-20.0, 80.0)}.items():
        assert not land_near(lat, lon), ocean
    # bounding boxes of the big land masses: every continent reaches where it should
    boxes = [(min(x for x, _ in p[0]), max(x for x, _ in p[0]), min(y for _, y in p[0]), max(y for _, y in p[0]))
             for p in polygons]
    assert any(b[0] < -160 and b[3] > 65 for b in boxes)  # Alaska
    assert any(b[2] < -54 and b[0] < -70 for b in boxes)  # Tierra del Fuego / South America's tip
    assert any(b[1] > 153 and b[2] < -38 for b in boxes)  # south-east Australia
    assert any(b[0] < -17 and b[2] < -34.5 and b[3] > 77 for b in boxes)  # Afro-Eurasia: Dakar, Cape Agulhas, Taymyr
    assert any(b[2] == -90 for b in boxes)  # Antarctica closed along the pole


def test_make_coastlines_decodes_topojson() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_coastlines", DATA.parent / "tools" / "make_coastlines.py")
    tool = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(tool)  # type: ignore[union-attr]
    # a quantized, delta-encoded square from two arcs, the second used reversed (~1)
    topology = {
        "type": "Topology",
        "transform": {"scale": [0.5, 0.25], "translate": [-10, -20]},
        "arcs": [[[0, 0], [20, 0], [0, 80]], [[0, 0], [0, 80], [20, 0]]],
        "objects": {"land": {"type": "GeometryCollection",
                             "geometries": [{"type": "Polygon", "arcs": [[0, ~1]]}]}},
    }
    (ring,) = tool.polygons(topology)[0]
    assert sorted(map(tuple, ring)) == sorted([(-10, -20), (0, -20), (0, 0), (-10, 0)])
    assert tool.signed_area(ring) > 0  # exterior counter-clockwise
    # a ring that crosses the antimeridian comes out as two pieces, each inside [-180, 180]
    pieces = tool.split_at_antimeridian([[[170.0, 0.0], [-170.0, 0.0], [-170.0, 10.0], [170.0, 10.0]]])
    assert len(pieces) == 2
    assert all(-180 <= lon <= 180 for piece in pieces for lon, _ in piece[0])


# --- the figure -------------------------------------------------------------------------------------


def test_plot_edge_vs_regional_draws_land_and_great_circles_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise OSError("network access during the figure build")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    ep.land_polygons.cache_clear()  # read the coastline file inside the no-network window too

    fig = ep.plot_edge_vs_regional("Sydney", "us-east-1")
    try:
        ax_map, ax_bar = fig.axes
        assert [t.get_text() for t in ax_bar.get_yticklabels()] == ["EDGE", "REGIONAL"]
        assert len(ax_map.patches) == len(ep.land_polygons())  # the land is drawn
        # the REGIONAL path Sydney -> Virginia is a great circle cut at the antimeridian: two lines, none jumping
        regional = [line for line in ax_map.get_lines() if line.get_linestyle() == "--"]
        assert len(regional) == 2
        for line in ax_map.get_lines():
            xs = list(line.get_xdata())
            assert all(abs(a - b) <= 180 for a, b in itertools.pairwise(xs))
        assert any(math.isclose(abs(x), 180.0) for line in regional for x in line.get_xdata())
    finally:
        plt.close(fig)
