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
3. Paths are longer than great circles. On the public internet we multiply the distance by
   :data:`INTERNET_ROUTE_FACTOR`; on the AWS backbone by the smaller
   :data:`BACKBONE_ROUTE_FACTOR`. AWS says its edge locations are "connected to the AWS Regions
   through the AWS network backbone" (AWS Fault Isolation Boundaries whitepaper, *Points of
   presence*: https://docs.aws.amazon.com/whitepapers/latest/aws-fault-isolation-boundaries/points-of-presence.html),
   which is what lets the edge path avoid internet routing. Measured internet round trips are
   typically several times the speed-of-light bound (Singla et al., "The Internet at the Speed
   of Light", HotNets 2014); both factors here are modest, labelled estimates.
4. A new HTTPS connection costs :data:`HANDSHAKE_ROUND_TRIPS` round trips (TCP's SYN/SYN-ACK,
   then a TLS 1.3 handshake) before the request's own round trip.
5. EDGE: handshakes and the request travel client ↔ nearest edge; the edge forwards the request
   over a connection it already holds open to the Region (one backbone round trip, no handshake).
   REGIONAL: everything travels client ↔ Region over the internet.
   PRIVATE: the client is inside a VPC in the API's Region; every round trip costs
   :data:`INTRA_REGION_RTT_MS`. Every internet round trip also pays :data:`LAST_MILE_RTT_MS`
   for the client's access network.
6. Server time (integration, Lambda) is left out: it is the same for every endpoint type.

Public API: :func:`haversine_km`, :func:`regions`, :func:`edge_locations`, :func:`locate`,
:func:`nearest_edge`, :func:`estimate_latency`, :func:`plot_edge_vs_regional`,
:func:`hostname_anatomy`, :data:`ASSUMPTIONS`.
"""

from __future__ import annotations

import csv
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
INTERNET_ROUTE_FACTOR = 1.8
"""Public-internet path length / great-circle distance (assumption, estimate)."""
BACKBONE_ROUTE_FACTOR = 1.3
"""AWS-backbone path length / great-circle distance (assumption, estimate)."""
HANDSHAKE_ROUND_TRIPS = 2
"""Round trips before the first request on a new connection: TCP (1) + TLS 1.3 (1)."""
INTRA_REGION_RTT_MS = 1.0
"""Round trip between a VPC and the API inside one Region (assumption, estimate)."""
LAST_MILE_RTT_MS = 5.0
"""Added to every internet round trip from an end user: the access network (assumption, estimate)."""

ASSUMPTIONS: dict[str, str] = {
    "distance": f"great-circle (haversine) distance, Earth radius {EARTH_RADIUS_KM:g} km",
    "propagation": f"light in fibre ≈ 2/3 c ≈ {FIBRE_KM_PER_MS:g} km per ms one way",
    "internet route factor": f"public-internet paths are {INTERNET_ROUTE_FACTOR:g}× the great-circle distance"
    " (estimate)",
    "backbone route factor": f"AWS-backbone paths are {BACKBONE_ROUTE_FACTOR:g}× the great-circle distance"
    " (estimate)",
    "last mile": f"every internet round trip from the client adds {LAST_MILE_RTT_MS:g} ms for the access network"
    " (estimate)",
    "handshakes": f"{HANDSHAKE_ROUND_TRIPS} round trips (TCP + TLS 1.3) before the request's own round trip",
    "edge to Region": "the edge reuses an open connection to the Region: one backbone round trip, no handshake",
    "private": f"the client is in a VPC in the API's Region: each round trip ≈ {INTRA_REGION_RTT_MS:g} ms (estimate)",
    "not modelled": "server time, queuing, DNS, packet loss, TLS session resumption",
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


def estimate_latency(where: str | tuple[float, float] | Place, region_code: str,
                     endpoint_type: str = "EDGE") -> dict[str, Any]:
    """Estimated time to the first response byte of a *new* HTTPS connection to an API.

    Args:
        where: the client: a city name, ``(latitude, longitude)`` or a :class:`Place`.
        region_code: the API's Region, e.g. ``"us-east-1"``.
        endpoint_type: ``"EDGE"``, ``"REGIONAL"`` or ``"PRIVATE"``.

    Returns a dict: ``endpoint_type``, ``client``, ``region``, ``edge`` (EDGE only),
    ``distances_km``, ``components_ms`` (label -> milliseconds, in the order they happen),
    ``total_ms``, ``estimate`` (always ``True``) and ``assumptions`` (:data:`ASSUMPTIONS`).
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
    hs = HANDSHAKE_ROUND_TRIPS
    if kind == "EDGE":
        edge, edge_km = nearest_edge(client.latitude, client.longitude)
        backbone_km = haversine_km(edge.latitude, edge.longitude, region.latitude, region.longitude)
        distances["client_to_edge"] = round(edge_km, 1)
        distances["edge_to_region"] = round(backbone_km, 1)
        rtt_edge = LAST_MILE_RTT_MS + _rtt_ms(edge_km, INTERNET_ROUTE_FACTOR)
        components[f"TCP+TLS handshakes ({hs} RTT, client↔edge, internet)"] = hs * rtt_edge
        components["request+response (client↔edge, internet)"] = rtt_edge
        components["edge↔Region (1 RTT, AWS backbone)"] = _rtt_ms(backbone_km, BACKBONE_ROUTE_FACTOR)
        edge_info = edge.as_dict()
    elif kind == "REGIONAL":
        rtt = LAST_MILE_RTT_MS + _rtt_ms(direct_km, INTERNET_ROUTE_FACTOR)
        components[f"TCP+TLS handshakes ({hs} RTT, client↔Region, internet)"] = hs * rtt
        components["request+response (client↔Region, internet)"] = rtt
    else:  # PRIVATE: the caller is in a VPC in the Region, through an interface VPC endpoint
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
        "estimate": True,
        "assumptions": dict(ASSUMPTIONS),
    }


def plot_edge_vs_regional(city: str | tuple[float, float] | Place, region_code: str) -> Any:
    """A map-like scatter (Regions, edges, the two paths) and the latency breakdown as bars.

    Uses plain matplotlib (longitude/latitude axes, no basemap). Call
    ``lab.use_course_style()`` first for the course look; end the cell with ``plt.show()``.
    Returns the matplotlib Figure.
    """
    import matplotlib.pyplot as plt

    client = locate(city)
    region = _region(region_code)
    edge_est = estimate_latency(client, region_code, "EDGE")
    reg_est = estimate_latency(client, region_code, "REGIONAL")
    edge = edge_est["edge"]

    fig, (ax_map, ax_bar) = plt.subplots(1, 2, figsize=(15, 5.8), gridspec_kw={"width_ratios": [1.6, 1]})
    edges = edge_locations()
    ax_map.scatter([e.longitude for e in edges], [e.latitude for e in edges], s=12, color=PALETTE[5],
                   alpha=0.7, label="CloudFront edge cities")
    regs = list(regions().values())
    ax_map.scatter([r.longitude for r in regs], [r.latitude for r in regs], s=45, marker="s",
                   color=PALETTE[1], label="AWS Regions")
    ax_map.plot([client.longitude, region.longitude], [client.latitude, region.latitude], color=PALETTE[3],
                linestyle="--", linewidth=2.5, zorder=4, label="REGIONAL: internet all the way")
    ax_map.plot([client.longitude, edge["longitude"]], [client.latitude, edge["latitude"]], color=PALETTE[0],
                linewidth=2.5, label="EDGE: internet to the edge…")
    ax_map.plot([edge["longitude"], region.longitude], [edge["latitude"], region.latitude], color=PALETTE[2],
                linewidth=2.5, label="…then the AWS backbone")
    ax_map.scatter([client.longitude], [client.latitude], s=260, marker="*", color=PALETTE[7], zorder=5,
                   label=f"client: {client.name}")
    ax_map.scatter([region.longitude], [region.latitude], s=140, marker="s", color=PALETTE[3], zorder=5)
    ax_map.annotate(region_code, (region.longitude, region.latitude), textcoords="offset points", xytext=(6, 6))
    ax_map.set_xlim(-180, 180)
    ax_map.set_ylim(-60, 75)
    ax_map.set_xlabel("longitude (°)")
    ax_map.set_ylabel("latitude (°)")
    ax_map.set_title("Where the bytes travel")
    ax_map.legend(loc="lower left", fontsize=10)

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
    ax_bar.set_title(f"{client.name} → {region_code} (estimate)")
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
