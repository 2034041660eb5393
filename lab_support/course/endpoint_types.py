"""API endpoint types — EDGE, REGIONAL, PRIVATE — and a small, explicit latency model.

Amazon API Gateway offers three endpoint types for a REST API
(https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-api-endpoint-types.html):

* **EDGE** (edge-optimized, the default): the client's connection ends at the nearest
  CloudFront point of presence; the request then crosses the AWS network to the API's Region.
* **REGIONAL**: the client connects straight to the API's Region over the public internet.
* **PRIVATE**: reachable only from a VPC through an interface VPC endpoint.

:func:`estimate_latency` puts numbers on that difference with a deliberately simple model
whose every assumption is a named constant in :data:`ASSUMPTIONS`. The numbers are
**estimates for teaching**, not measurements: they show *why* an edge-optimized endpoint
helps a far-away client (the handshakes' round trips become short), not what a given
network will deliver.

The model
---------
1. Distance: great-circle (haversine) distance between two points, Earth radius 6371 km.
2. Propagation: light in optical fibre travels at about 2/3 of *c* (refractive index ≈ 1.47),
   i.e. ≈ 200 km per millisecond one way (:data:`FIBRE_KM_PER_MS`).
3. One round trip over the internet::

       RTT ≈ 2 × distance / FIBRE_KM_PER_MS × INTERNET_ROUTE_FACTOR + LAST_MILE_RTT_MS

   Paths are longer than great circles (cables follow coasts and land routes, routers add
   time): :data:`INTERNET_ROUTE_FACTOR` is **fitted** (least squares, :func:`fit_route_factor`)
   to the published round trips in :data:`CALIBRATION_RTTS` with the fixed overhead
   :data:`LAST_MILE_RTT_MS` (5 ms, an assumption) held constant. :func:`calibration_table`
   prints model against measurement pair by pair.
4. A new HTTPS connection costs :data:`HANDSHAKE_ROUND_TRIPS` round trips (TCP's SYN/SYN-ACK,
   then a TLS 1.3 handshake) before the request's own round trip: 3 round trips to the first
   byte. On a connection that is already open (``new_connection=False``) only the request's.
5. EDGE: handshakes and the request travel client ↔ nearest edge (internet, short); the edge
   forwards the request over a connection it already holds open to the Region: one round trip
   on the AWS backbone, no handshake, no access network (so no :data:`LAST_MILE_RTT_MS`), with
   :data:`BACKBONE_ROUTE_FACTOR`. AWS says its edge locations are "connected to the AWS Regions
   through the AWS network backbone" (AWS Fault Isolation Boundaries whitepaper, *Points of
   presence*: https://docs.aws.amazon.com/whitepapers/latest/aws-fault-isolation-boundaries/points-of-presence.html)
   and that routing requests to the nearest point of presence "typically improves connection
   time" (Serverless Applications Lens, *Amazon API Gateway*:
   https://docs.aws.amazon.com/wellarchitected/latest/serverless-applications-lens/amazon-api-gateway.html).
   That the edge's connection to the Region is warm is an assumption: CloudFront keeps origin
   connections open only for a keep-alive time (5 s by default for the origins one configures,
   CloudFront API Reference, ``OriginKeepaliveTimeout``:
   https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_VpcOriginConfig.html); the
   distribution behind an edge-optimized API is managed by API Gateway and its settings are not
   published. A cold edge↔Region connection would add its own backbone handshakes.
   REGIONAL: everything travels client ↔ Region over the internet.
   PRIVATE: the client is inside a VPC in the API's Region; every round trip costs
   :data:`INTRA_REGION_RTT_MS`.
6. Server time (integration, Lambda), DNS, TCP slow start and packet loss are left out.

Calibration (what was measured, by whom)
----------------------------------------
:data:`CALIBRATION_RTTS` holds round trips between ``us-east-1`` and other Regions (the
notebook's examples all call ``us-east-1``), each with its source in :data:`CALIBRATION_SOURCES`:

* ``aws-2017`` — the "Latency Between AWS Global Regions" table (average ping between EC2
  instances), as reproduced in *AWS Regions*, A Computer Scientist Learns AWS, April 2017,
  https://acomputerscientistlearnsaws.blogspot.com/2017/04/aws-regions.html. From N. Virginia:
  N. California 72.7, Oregon 87.0, Ireland 80.6, Frankfurt 88.7, Tokyo 145.3, Seoul 178.4,
  Singapore 216.7, Sydney 230.0, São Paulo 119.5 ms (the reverse direction, where the page gives
  it, differs by < 2 ms; the two are averaged).
* ``aws-docs-2022`` — AWS's own example output of ``get-aws-network-performance-data``
  (Infrastructure Performance: median of AWS-managed probes), ``us-east-1`` → ``us-west-2`` on
  2022-10-26: 62.4 ms,
  https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch-InfrastructurePerformance-CLI.html.
  The same pair was 87.8 ms in the 2017 table: inter-Region round trips have shortened since.
* ``commonly quoted`` — Sydney ≈ 200 ms and Frankfurt ≈ 90 ms from ``us-east-1``: the current
  values usually quoted from the cloudping.co matrix (TCP connection times between Regions,
  https://github.com/mda590/cloudping.co). The matrix itself could not be read when this was
  written, so these two figures are **not verified here**; they are kept, labelled, because the
  2017 table predates years of backbone improvements.

The fit gives :data:`INTERNET_ROUTE_FACTOR` = 1.39: Sydney ↔ us-east-1 ≈ 223 ms and Frankfurt ↔
us-east-1 ≈ 96 ms per round trip (the old hand-picked factor 1.8 gave 287 and 123 ms).
These are region-to-region measurements, i.e. well-connected data centres; a user's internet
path can be slower: WonderProxy's public-internet pings (Feb 2011) were Baltimore ↔ Sydney
251–262 ms and Baltimore ↔ Paris ≈ 98 ms (https://wonderproxy.com/blog/miles-per-milisecond/).
So the REGIONAL estimate is, if anything, optimistic. Singla et al. ("Towards a Speed of Light
Internet", https://arxiv.org/abs/1505.03449; http://cspeed.net/about/) found fetching a web
page's HTML takes in the median 36.5× the speed-of-light time, from both protocol round trips
and longer-than-necessary paths — the two things this model counts.

:data:`BACKBONE_ROUTE_FACTOR` = 1.25 (≈ 10 % below the fitted internet factor) is an
**assumption**: AWS publishes no edge-to-Region latency figures.

What the model then says (new HTTPS connection, time to first byte): Sydney → us-east-1,
REGIONAL ≈ 669 ms, EDGE ≈ 211 ms (≈ 3.2×); Frankfurt → us-east-1, REGIONAL ≈ 288 ms, EDGE ≈ 97 ms
(≈ 3.0×). Almost all of the gain is the two handshake round trips that end at the nearby edge
instead of crossing the ocean; on an already-open connection EDGE and REGIONAL differ by only
the backbone's shorter path (Sydney: ≈ 201 against ≈ 223 ms).

Maps
----
:func:`plot_edge_vs_regional` draws the paths as great circles (:func:`great_circle_points`,
cut at the antimeridian by :func:`split_at_antimeridian`) over Natural Earth 1:110m land
(``data/natural_earth_110m_land.json``, public domain, made by ``tools/make_coastlines.py``;
:func:`land_polygons`), with plain matplotlib on a longitude/latitude (plate carrée) map.

Public API: :func:`haversine_km`, :func:`regions`, :func:`edge_locations`, :func:`locate`,
:func:`nearest_edge`, :func:`round_trip_ms`, :func:`fit_route_factor`, :func:`calibration_table`,
:func:`estimate_latency`, :func:`great_circle_points`, :func:`split_at_antimeridian`,
:func:`land_polygons`, :func:`plot_edge_vs_regional`, :func:`hostname_anatomy`,
:data:`ASSUMPTIONS`, :data:`CALIBRATION_RTTS`.
"""

from __future__ import annotations

import csv
import itertools
import json
import math
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from lab_support.core.errors import LabError
from lab_support.course.figures import PALETTE

DATA_DIR = Path(__file__).resolve().parents[2] / "data"

EARTH_RADIUS_KM = 6371.0
"""Mean Earth radius used by :func:`haversine_km`."""
FIBRE_KM_PER_MS = 200.0
"""One-way propagation speed in optical fibre: ≈ 2/3 c ≈ 200 km per ms (estimate)."""
LAST_MILE_RTT_MS = 5.0
"""Fixed overhead of every internet round trip from an end user: the access network (assumption, estimate)."""
INTERNET_ROUTE_FACTOR = 1.39
"""Internet path length / great-circle distance: least-squares fit to :data:`CALIBRATION_RTTS` (estimate)."""
BACKBONE_ROUTE_FACTOR = 1.25
"""AWS-backbone path length / great-circle distance: ≈ 10 % below the internet factor (assumption, estimate)."""
HANDSHAKE_ROUND_TRIPS = 2
"""Round trips before the first request on a new connection: TCP (1) + TLS 1.3 (1)."""
INTRA_REGION_RTT_MS = 1.0
"""Round trip between a VPC and the API inside one Region (assumption, estimate)."""

CALIBRATION_SOURCES: dict[str, str] = {
    "aws-2017": "“Latency Between AWS Global Regions” (average EC2-to-EC2 ping), as reproduced in "
                "https://acomputerscientistlearnsaws.blogspot.com/2017/04/aws-regions.html (April 2017)",
    "aws-docs-2022": "AWS Infrastructure Performance example output (p50 of AWS probes, 2022-10-26), "
                     "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch-InfrastructurePerformance-CLI.html",
    "commonly quoted": "values commonly quoted from cloudping.co (https://github.com/mda590/cloudping.co); "
                       "not verified here",
}
"""Where each calibration round trip comes from (keys of :data:`CALIBRATION_RTTS`' last field)."""

CALIBRATION_RTTS: tuple[tuple[str, str, float, str], ...] = (
    ("us-east-1", "us-west-1", 72.2, "aws-2017"),
    ("us-east-1", "us-west-2", 87.8, "aws-2017"),
    ("us-east-1", "us-west-2", 62.4, "aws-docs-2022"),
    ("us-east-1", "eu-west-1", 80.5, "aws-2017"),
    ("us-east-1", "eu-central-1", 88.6, "aws-2017"),
    ("us-east-1", "eu-central-1", 90.0, "commonly quoted"),
    ("us-east-1", "ap-northeast-1", 145.3, "aws-2017"),
    ("us-east-1", "ap-northeast-2", 177.5, "aws-2017"),
    ("us-east-1", "ap-southeast-1", 216.7, "aws-2017"),
    ("us-east-1", "ap-southeast-2", 229.9, "aws-2017"),
    ("us-east-1", "ap-southeast-2", 200.0, "commonly quoted"),
    ("us-east-1", "sa-east-1", 119.5, "aws-2017"),
)
"""Published round trips (Region, Region, milliseconds, source key) that :data:`INTERNET_ROUTE_FACTOR` is fitted to."""

ASSUMPTIONS: dict[str, str] = {
    "distance": f"great-circle (haversine) distance, Earth radius {EARTH_RADIUS_KM:g} km",
    "propagation": f"light in fibre ≈ 2/3 c ≈ {FIBRE_KM_PER_MS:g} km per ms one way",
    "internet route factor": f"internet paths are {INTERNET_ROUTE_FACTOR:g}× the great-circle distance"
    " (estimate: least-squares fit to published round trips from us-east-1)",
    "backbone route factor": f"AWS-backbone paths are {BACKBONE_ROUTE_FACTOR:g}× the great-circle distance"
    " (assumption, estimate)",
    "last mile": f"every internet round trip from the client adds {LAST_MILE_RTT_MS:g} ms for the access network"
    " (estimate)",
    "handshakes": f"{HANDSHAKE_ROUND_TRIPS} round trips (TCP + TLS 1.3) before the request's own round trip",
    "edge to Region": "the edge reuses an open connection to the Region: one backbone round trip, no handshake",
    "private": f"the client is in a VPC in the API's Region: each round trip ≈ {INTRA_REGION_RTT_MS:g} ms (estimate)",
    "not modelled": "server time, queuing, DNS, TCP slow start, packet loss, TLS session resumption",
}
"""Every assumption of the model, in words (printed by notebooks, checked by tests)."""

ENDPOINT_TYPES = ("EDGE", "REGIONAL", "PRIVATE")


@dataclass(frozen=True)
class Place:
    """A named point on Earth (a city, an edge location or a Region's metro area)."""

    name: str
    latitude: float
    longitude: float
    kind: str = "city"  # "city", "edge" or "region"
    code: str = ""  # the Region code for kind == "region"

    def as_dict(self) -> dict[str, Any]:
        """Plain-dict form, for printing and JSON."""
        out: dict[str, Any] = {"name": self.name, "latitude": self.latitude, "longitude": self.longitude}
        if self.code:
            out["code"] = self.code
        return out


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km between two (latitude, longitude) points in degrees."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def _key(name: str) -> str:
    """Case- and accent-insensitive lookup key: 'São Paulo' -> 'sao paulo'."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return " ".join(ascii_name.lower().replace("-", " ").replace(".", "").split())


def _read_csv(name: str) -> list[dict[str, str]]:
    with (DATA_DIR / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@cache
def regions() -> dict[str, Place]:
    """Every commercial AWS Region (``data/aws_regions.csv``), by Region code."""
    return {
        row["code"]: Place(f"{row['name']} — {row['city']}", float(row["latitude"]), float(row["longitude"]),
                           "region", row["code"])
        for row in _read_csv("aws_regions.csv")
    }


@cache
def edge_locations() -> tuple[Place, ...]:
    """Major CloudFront edge-location cities (``data/edge_locations.csv``)."""
    return tuple(
        Place(row["city"], float(row["latitude"]), float(row["longitude"]), "edge")
        for row in _read_csv("edge_locations.csv")
    )


@cache
def _city_index() -> dict[str, Place]:
    index: dict[str, Place] = {}
    for row in _read_csv("cities.csv"):
        index[_key(row["city"])] = Place(row["city"], float(row["latitude"]), float(row["longitude"]))
    for edge in edge_locations():
        index.setdefault(_key(edge.name), Place(edge.name, edge.latitude, edge.longitude))
    for region in regions().values():
        city = region.name.split(" — ")[-1]
        index.setdefault(_key(city), Place(city, region.latitude, region.longitude))
    return index


def known_cities() -> list[str]:
    """Names :func:`locate` understands (student cities, edge cities, Region cities)."""
    return sorted(p.name for p in _city_index().values())


def locate(where: str | tuple[float, float] | Place) -> Place:
    """A :class:`Place` from a city name, a ``(latitude, longitude)`` pair or a Place.

    Names are looked up (case- and accent-insensitively) in ``data/cities.csv``, the
    edge-location cities and the Regions' cities. Unknown names raise a
    :class:`~lab_support.core.errors.LabError` that says how to pass coordinates instead.
    """
    if isinstance(where, Place):
        return where
    if isinstance(where, tuple):
        lat, lon = float(where[0]), float(where[1])
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise LabError(f"({lat}, {lon}) is not a (latitude, longitude) pair.",
                           "latitude is between -90 and 90, longitude between -180 and 180.")
        return Place(f"({lat:.2f}, {lon:.2f})", lat, lon)
    place = _city_index().get(_key(where))
    if place is None:
        raise LabError(
            f"No coordinates for the city {where!r}.",
            "pass (latitude, longitude) instead, e.g. estimate_latency((48.14, 11.58), 'us-east-1', 'EDGE'), "
            "or pick a name from lab_support.course.endpoint_types.known_cities().",
        )
    return place


def _region(code: str) -> Place:
    try:
        return regions()[code]
    except KeyError:
        raise LabError(f"{code!r} is not a commercial AWS Region code.",
                       "use a code such as 'us-east-1' or 'eu-central-1' "
                       "(see lab_support.course.endpoint_types.regions()).") from None


def nearest_edge(lat: float, lon: float) -> tuple[Place, float]:
    """The CloudFront edge city nearest to ``(lat, lon)`` and its distance in km.

    A simplification: CloudFront routes a viewer to the edge location with the lowest
    latency, which is usually but not always the nearest one.
    """
    return min(((e, haversine_km(lat, lon, e.latitude, e.longitude)) for e in edge_locations()),
               key=lambda pair: pair[1])


def _rtt_ms(distance_km: float, route_factor: float) -> float:
    """Round-trip propagation time over a path ``route_factor`` × the great-circle distance."""
    return 2 * distance_km * route_factor / FIBRE_KM_PER_MS


def _place(where: str | tuple[float, float] | Place) -> Place:
    """A Region code (``"us-east-1"``) or anything :func:`locate` understands."""
    if isinstance(where, str) and where in regions():
        return regions()[where]
    return locate(where)


def round_trip_ms(a: str | tuple[float, float] | Place, b: str | tuple[float, float] | Place,
                  network: str = "internet") -> float:
    """One modelled round trip between two places (Region codes, city names, coordinates or Places).

    ``network="internet"``: ``2 d / FIBRE_KM_PER_MS × INTERNET_ROUTE_FACTOR + LAST_MILE_RTT_MS``;
    ``network="backbone"``: ``2 d / FIBRE_KM_PER_MS × BACKBONE_ROUTE_FACTOR`` (data centre to data centre).
    """
    pa, pb = _place(a), _place(b)
    km = haversine_km(pa.latitude, pa.longitude, pb.latitude, pb.longitude)
    if network == "internet":
        return _rtt_ms(km, INTERNET_ROUTE_FACTOR) + LAST_MILE_RTT_MS
    if network == "backbone":
        return _rtt_ms(km, BACKBONE_ROUTE_FACTOR)
    raise LabError(f"{network!r} is not a network.", "use 'internet' or 'backbone'.")


def fit_route_factor(pairs: tuple[tuple[str, str, float, str], ...] = CALIBRATION_RTTS,
                     overhead_ms: float = LAST_MILE_RTT_MS) -> float:
    """Least-squares route factor f for ``measured ≈ 2 d / FIBRE_KM_PER_MS × f + overhead_ms``.

    With ``x = 2 d / FIBRE_KM_PER_MS`` per pair, minimising Σ (x f + overhead − measured)² gives
    ``f = Σ x (measured − overhead) / Σ x²``: long pairs weigh most, as they should (the factor is
    about long-haul paths). :data:`INTERNET_ROUTE_FACTOR` is this value rounded to 0.01.
    """
    xs_ys = []
    for a, b, measured, _source in pairs:
        ra, rb = _region(a), _region(b)
        x = 2 * haversine_km(ra.latitude, ra.longitude, rb.latitude, rb.longitude) / FIBRE_KM_PER_MS
        xs_ys.append((x, measured - overhead_ms))
    return sum(x * y for x, y in xs_ys) / sum(x * x for x, _ in xs_ys)


def calibration_table() -> list[dict[str, Any]]:
    """Each calibration pair: distance, measured and modelled round trip (ms), the ratio, the source."""
    rows = []
    for a, b, measured, source in CALIBRATION_RTTS:
        model = round_trip_ms(a, b, "internet")
        ra, rb = _region(a), _region(b)
        rows.append({
            "pair": f"{a} ↔ {b}",
            "distance_km": round(haversine_km(ra.latitude, ra.longitude, rb.latitude, rb.longitude)),
            "measured_ms": measured,
            "model_ms": round(model, 1),
            "model/measured": round(model / measured, 2),
            "source": source,
        })
    return rows


def estimate_latency(where: str | tuple[float, float] | Place, region_code: str,
                     endpoint_type: str = "EDGE", *, new_connection: bool = True) -> dict[str, Any]:
    """Estimated time to the first response byte of a request to an API.

    Args:
        where: the client: a city name, ``(latitude, longitude)`` or a :class:`Place`.
        region_code: the API's Region, e.g. ``"us-east-1"``.
        endpoint_type: ``"EDGE"``, ``"REGIONAL"`` or ``"PRIVATE"``.
        new_connection: ``True`` (default): a new HTTPS connection, handshakes included;
            ``False``: a request on a connection that is already open (no handshakes).

    Returns a dict: ``endpoint_type``, ``client``, ``region``, ``edge`` (EDGE only),
    ``distances_km``, ``components_ms`` (label -> milliseconds, in the order they happen),
    ``total_ms``, ``new_connection``, ``estimate`` (always ``True``) and ``assumptions``
    (:data:`ASSUMPTIONS`).
    """
    kind = endpoint_type.upper()
    if kind not in ENDPOINT_TYPES:
        raise LabError(f"{endpoint_type!r} is not an endpoint type.", "use 'EDGE', 'REGIONAL' or 'PRIVATE'.")
    client = locate(where)
    region = _region(region_code)
    direct_km = haversine_km(client.latitude, client.longitude, region.latitude, region.longitude)
    distances: dict[str, float] = {"client_to_region": round(direct_km, 1)}
    components: dict[str, float] = {}
    edge_info: dict[str, Any] | None = None
    hs = HANDSHAKE_ROUND_TRIPS if new_connection else 0
    if kind == "EDGE":
        edge, edge_km = nearest_edge(client.latitude, client.longitude)
        backbone_km = haversine_km(edge.latitude, edge.longitude, region.latitude, region.longitude)
        distances["client_to_edge"] = round(edge_km, 1)
        distances["edge_to_region"] = round(backbone_km, 1)
        rtt_edge = LAST_MILE_RTT_MS + _rtt_ms(edge_km, INTERNET_ROUTE_FACTOR)
        if hs:
            components[f"TCP+TLS handshakes ({hs} RTT, client↔edge, internet)"] = hs * rtt_edge
        components["request+response (client↔edge, internet)"] = rtt_edge
        components["edge↔Region (1 RTT, AWS backbone)"] = _rtt_ms(backbone_km, BACKBONE_ROUTE_FACTOR)
        edge_info = edge.as_dict()
    elif kind == "REGIONAL":
        rtt = LAST_MILE_RTT_MS + _rtt_ms(direct_km, INTERNET_ROUTE_FACTOR)
        if hs:
            components[f"TCP+TLS handshakes ({hs} RTT, client↔Region, internet)"] = hs * rtt
        components["request+response (client↔Region, internet)"] = rtt
    else:  # PRIVATE: the caller is in a VPC in the Region, through an interface VPC endpoint
        if hs:
            components[f"TCP+TLS handshakes ({hs} RTT, VPC↔endpoint)"] = hs * INTRA_REGION_RTT_MS
        components["request+response (VPC↔endpoint)"] = INTRA_REGION_RTT_MS
    components = {label: round(ms, 1) for label, ms in components.items()}
    return {
        "endpoint_type": kind,
        "client": client.as_dict(),
        "region": region.as_dict(),
        "edge": edge_info,
        "distances_km": distances,
        "components_ms": components,
        "total_ms": round(sum(components.values()), 1),
        "new_connection": new_connection,
        "estimate": True,
        "assumptions": dict(ASSUMPTIONS),
    }


def great_circle_points(lat1: float, lon1: float, lat2: float, lon2: float,
                        n: int = 65) -> list[tuple[float, float]]:
    """``n`` points (latitude, longitude) in degrees evenly spaced along the great circle from 1 to 2.

    Spherical linear interpolation between the two unit vectors: the shortest path on the sphere
    (what a straight line on a globe is), not a straight line on the map.
    """
    if n < 2:
        raise LabError("A path needs at least 2 points.", "pass n >= 2.")

    def unit(lat: float, lon: float) -> tuple[float, float, float]:
        p, lam = math.radians(lat), math.radians(lon)
        return (math.cos(p) * math.cos(lam), math.cos(p) * math.sin(lam), math.sin(p))

    a, b = unit(lat1, lon1), unit(lat2, lon2)
    omega = math.acos(max(-1.0, min(1.0, sum(x * y for x, y in zip(a, b, strict=True)))))
    if omega < 1e-12:
        return [(lat1, lon1)] * n
    if math.pi - omega < 1e-9:
        raise LabError("Antipodal points: every meridian through them is a shortest path.",
                       "move one point slightly.")
    points = []
    for i in range(n):
        t = i / (n - 1)
        wa, wb = math.sin((1 - t) * omega) / math.sin(omega), math.sin(t * omega) / math.sin(omega)
        x, y, z = (wa * p + wb * q for p, q in zip(a, b, strict=True))
        points.append((math.degrees(math.atan2(z, math.hypot(x, y))), math.degrees(math.atan2(y, x))))
    points[0], points[-1] = (lat1, lon1), (lat2, lon2)
    return points


def split_at_antimeridian(points: list[tuple[float, float]]) -> list[list[tuple[float, float]]]:
    """Cut a path of (latitude, longitude) points where it crosses longitude ±180.

    Each piece ends (and the next begins) exactly on the antimeridian, at the latitude
    interpolated across the crossing, so a longitude/latitude map shows no line across the world.
    """
    if not points:
        return []
    pieces: list[list[tuple[float, float]]] = [[points[0]]]
    for (lat0, lon0), (lat1, lon1) in itertools.pairwise(points):
        if abs(lon1 - lon0) > 180:
            edge = 180.0 if lon0 > 0 else -180.0
            lon1_unwrapped = lon1 + 360 if lon0 > 0 else lon1 - 360
            t = (edge - lon0) / (lon1_unwrapped - lon0)
            lat_x = lat0 + t * (lat1 - lat0)
            pieces[-1].append((lat_x, edge))
            pieces.append([(lat_x, -edge)])
        pieces[-1].append((lat1, lon1))
    return pieces


@cache
def land_polygons() -> tuple[tuple[tuple[tuple[float, float], ...], ...], ...]:
    """Natural Earth 1:110m land: polygons, each a tuple of rings (exterior first), each ring of (lon, lat).

    Read from ``data/natural_earth_110m_land.json`` (public domain; made by ``tools/make_coastlines.py``
    from the npm package world-atlas 2.0.2, see ``data/README.md``). No network access.
    """
    document = json.loads((DATA_DIR / "natural_earth_110m_land.json").read_text(encoding="utf-8"))
    return tuple(tuple(tuple((float(lon), float(lat)) for lon, lat in ring) for ring in polygon)
                 for polygon in document["polygons"])


def _draw_land(ax: Any, colour: str = "#dcdcdc") -> None:
    """Fill the land polygons (holes left open) on a longitude/latitude axes."""
    from matplotlib.patches import PathPatch
    from matplotlib.path import Path as MplPath

    for polygon in land_polygons():
        path = MplPath.make_compound_path(*(MplPath([*ring, ring[0]], closed=True) for ring in polygon))
        ax.add_patch(PathPatch(path, facecolor=colour, edgecolor="#b0b0b0", linewidth=0.4, zorder=0))


def _draw_path(ax: Any, a: tuple[float, float], b: tuple[float, float], **style: Any) -> None:
    """The great circle from a to b, (latitude, longitude) pairs, as one or more map lines."""
    label = style.pop("label", None)
    for piece in split_at_antimeridian(great_circle_points(a[0], a[1], b[0], b[1], n=129)):
        ax.plot([p[1] for p in piece], [p[0] for p in piece], label=label, **style)
        label = None


def plot_edge_vs_regional(city: str | tuple[float, float] | Place, region_code: str) -> Any:
    """A world map (land, Regions, edges, the two paths as great circles) and the latency breakdown as bars.

    Plain matplotlib on a longitude/latitude map with Natural Earth land (no basemap library, no
    network access). Call ``lab.use_course_style()`` first for the course look; end the cell with
    ``plt.show()``. Returns the matplotlib Figure.
    """
    import matplotlib.pyplot as plt

    client = locate(city)
    region = _region(region_code)
    edge_est = estimate_latency(client, region_code, "EDGE")
    reg_est = estimate_latency(client, region_code, "REGIONAL")
    edge = edge_est["edge"]

    fig, (ax_map, ax_bar) = plt.subplots(1, 2, figsize=(15, 5.8), gridspec_kw={"width_ratios": [1.6, 1]})
    _draw_land(ax_map)
    edges = edge_locations()
    ax_map.scatter([e.longitude for e in edges], [e.latitude for e in edges], s=12, color=PALETTE[5],
                   alpha=0.8, zorder=2, label="CloudFront edge cities")
    regs = list(regions().values())
    ax_map.scatter([r.longitude for r in regs], [r.latitude for r in regs], s=40, marker="s",
                   color=PALETTE[1], zorder=2, label="AWS Regions")
    here = (client.latitude, client.longitude)
    there = (region.latitude, region.longitude)
    pop = (edge["latitude"], edge["longitude"])
    _draw_path(ax_map, here, there, color=PALETTE[3], linestyle="--", linewidth=2.5, zorder=4,
               label="REGIONAL: internet all the way")
    _draw_path(ax_map, here, pop, color=PALETTE[0], linewidth=3, zorder=4, label="EDGE: internet to the edge…")
    _draw_path(ax_map, pop, there, color=PALETTE[2], linewidth=2.5, zorder=3, label="…then the AWS backbone")
    ax_map.scatter([client.longitude], [client.latitude], s=260, marker="*", color=PALETTE[7], zorder=5,
                   label=f"client: {client.name}")
    ax_map.scatter([region.longitude], [region.latitude], s=140, marker="s", color=PALETTE[3], zorder=5)
    ax_map.annotate(region_code, (region.longitude, region.latitude), textcoords="offset points", xytext=(6, 6))
    ax_map.set_xlim(-180, 180)
    ax_map.set_ylim(-60, 90)
    ax_map.set_aspect("equal")
    ax_map.set_xticks(range(-180, 181, 60))
    ax_map.set_yticks(range(-60, 91, 30))
    ax_map.grid(alpha=0.25)
    ax_map.set_xlabel("longitude (°)")
    ax_map.set_ylabel("latitude (°)")
    ax_map.set_title("Where the bytes travel (great circles)")
    ax_map.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=3, fontsize=10)

    colours = [PALETTE[1], PALETTE[0], PALETTE[2]]
    for y, est in ((1, edge_est), (0, reg_est)):
        left = 0.0
        for i, (label, ms) in enumerate(est["components_ms"].items()):
            short = label.split(" (")[0] if "handshake" not in label else "TCP+TLS handshakes"
            if "edge↔Region" in label:
                short = "edge↔Region (backbone)"
            ax_bar.barh(y, ms, left=left, color=colours[i % len(colours)], edgecolor="white",
                        label=short if y == 1 or i < 2 else None)
            left += ms
        ax_bar.annotate(f"{est['total_ms']:.0f} ms", (left, y), textcoords="offset points", xytext=(5, -5))
    ax_bar.set_yticks([1, 0], ["EDGE", "REGIONAL"])
    ax_bar.set_xlabel("time to first byte, new connection (ms)")
    ratio = reg_est["total_ms"] / edge_est["total_ms"] if edge_est["total_ms"] else 1.0
    ax_bar.set_title(f"{client.name} → {region_code} (estimate)", fontsize=15)
    ax_bar.annotate(f"REGIONAL / EDGE ≈ {ratio:.1f}×", (0.98, 0.5), xycoords="axes fraction", ha="right",
                    va="center", fontsize=12)
    ax_bar.set_xlim(0, max(edge_est["total_ms"], reg_est["total_ms"]) * 1.25 + 1)
    handles, labels = ax_bar.get_legend_handles_labels()
    unique = dict(zip(labels, handles, strict=True))
    ax_bar.legend(unique.values(), unique.keys(), loc="upper center", bbox_to_anchor=(0.5, -0.2), fontsize=10)
    fig.tight_layout()
    return fig


def hostname_anatomy(api_id: str, region: str, endpoint_type: str = "EDGE", *,
                     vpce_id: str = "vpce-0123456789abcdef0", stage: str = "prod") -> dict[str, Any]:
    """Explain the default hostname of a REST API, part by part, for each endpoint type.

    ``{api-id}.execute-api.{region}.amazonaws.com`` is the default endpoint of every REST API
    (https://docs.aws.amazon.com/apigateway/latest/developerguide/how-to-call-api.html). For an
    EDGE API that name resolves to a CloudFront distribution; for a REGIONAL one, to the Region.
    A PRIVATE API is reached from a VPC, through an interface VPC endpoint, by one of the names in
    "Invoke a private API"
    (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-private-api-test-invoke-url.html):
    the same name when the endpoint has private DNS on; the Route 53 alias
    ``{api-id}-{vpce-id}.execute-api.{region}.amazonaws.com`` when the endpoint is associated
    with the API; or the endpoint's own public DNS name
    ``{vpce-id}-{suffix}.execute-api.{region}.vpce.amazonaws.com`` with a ``Host`` or
    ``x-apigw-api-id`` header naming the API.

    Returns a dict: ``hostname``, ``url``, ``parts`` (list of ``(text, meaning)``),
    ``resolves_to``, ``alternatives`` (PRIVATE: list of ``{"url", "headers", "when"}``), ``source``.
    """
    kind = endpoint_type.upper()
    host = f"{api_id}.execute-api.{region}.amazonaws.com"
    parts = [
        (api_id, "the API's id, chosen by API Gateway when the API is created"),
        ("execute-api", "the API Gateway *invoke* service (the control plane is apigateway.{region}.amazonaws.com)"),
        (region, "the Region where the API lives"),
        ("amazonaws.com", "AWS's domain"),
    ]
    resolves = {
        "EDGE": "a CloudFront distribution managed by API Gateway: the nearest edge location answers",
        "REGIONAL": f"API Gateway's endpoint in {region}: the client connects to the Region directly",
        "PRIVATE": "only inside a VPC whose interface endpoint for execute-api has private DNS enabled",
    }
    if kind not in resolves:
        raise LabError(f"{endpoint_type!r} is not an endpoint type.", "use 'EDGE', 'REGIONAL' or 'PRIVATE'.")
    out: dict[str, Any] = {
        "endpoint_type": kind,
        "hostname": host,
        "url": f"https://{host}/{stage}/",
        "parts": parts,
        "resolves_to": resolves[kind],
        "alternatives": [],
        "source": "https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-private-api-test-invoke-url.html"
        if kind == "PRIVATE" else "https://docs.aws.amazon.com/apigateway/latest/developerguide/how-to-call-api.html",
    }
    if kind == "PRIVATE":
        alias = f"{api_id}-{vpce_id}.execute-api.{region}.amazonaws.com"
        public = f"{vpce_id}-abcd1234.execute-api.{region}.vpce.amazonaws.com"
        out["alternatives"] = [
            {"url": f"https://{host}/{stage}/", "headers": {},
             "when": "private DNS is enabled on the VPC endpoint"},
            {"url": f"https://{alias}/{stage}/", "headers": {},
             "when": "the VPC endpoint is associated with the API (a Route 53 alias record)"},
            {"url": f"https://{public}/{stage}/", "headers": {"Host": host},
             "when": "private DNS off: the endpoint's own DNS name plus a Host header"},
            {"url": f"https://{public}/{stage}/", "headers": {"x-apigw-api-id": api_id},
             "when": "private DNS off: the endpoint's own DNS name plus an x-apigw-api-id header"},
        ]
        out["parts"] = [*parts, (vpce_id, "alias form only: the interface VPC endpoint the request comes through")]
    return out
