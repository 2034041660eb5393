"""Decode Natural Earth 1:110m land (TopoJSON, npm package ``world-atlas``) into data/natural_earth_110m_land.json.

    cd /tmp && npm pack world-atlas@2.0.2          # -> /tmp/world-atlas-2.0.2.tgz (no install, no package.json change)
    python tools/make_coastlines.py /tmp/world-atlas-2.0.2.tgz

The argument may also be an unpacked ``land-110m.json``. Standard library only.

TopoJSON (https://github.com/topojson/topojson-specification) stores each shared boundary once, as an
*arc*: a list of quantized, delta-encoded points. With ``transform = {scale, translate}`` the first
point of an arc is ``(x0, y0)`` and each later one adds its delta to the previous; the position is
``(x * scale[0] + translate[0], y * scale[1] + translate[1])`` in degrees (longitude, latitude).
A ring lists arc indexes; index ``~i`` (i.e. ``-i - 1``) means arc ``i`` reversed; consecutive arcs
share their joining point, which is kept once.

The output: ``{"source", "licence", "generated_by", "input_sha256", "polygons"}`` where ``polygons``
is a list of polygons, each a list of rings (exterior first, then holes), each ring a list of
``[lon, lat]`` rounded to 2 decimals, exteriors counter-clockwise and holes clockwise (in lon/lat).
Rings that cross the antimeridian are cut there (and the ring round the South Pole is closed along
latitude -90), so every polygon can be filled as it is on a longitude/latitude map.
"""

from __future__ import annotations

import hashlib
import io
import json
import sys
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "data" / "natural_earth_110m_land.json"
MEMBER = "package/land-110m.json"


def read_topology(path: Path) -> tuple[dict, str, str]:
    """(topology, sha256 of land-110m.json, package version or '') from a .tgz or a .json file."""
    if path.suffix in {".tgz", ".gz"}:
        with tarfile.open(path) as tar:
            raw = tar.extractfile(MEMBER).read()  # type: ignore[union-attr]
            package = json.load(io.BytesIO(tar.extractfile("package/package.json").read()))  # type: ignore[union-attr]
        version = f"{package['name']} {package['version']}"
    else:
        raw = path.read_bytes()
        version = ""
    return json.loads(raw), hashlib.sha256(raw).hexdigest(), version


def decode_arcs(topology: dict) -> list[list[tuple[float, float]]]:
    """Every arc as absolute (lon, lat) points (undo the delta encoding and the quantization)."""
    transform = topology.get("transform")
    arcs: list[list[tuple[float, float]]] = []
    for arc in topology["arcs"]:
        if transform is None:
            arcs.append([(float(p[0]), float(p[1])) for p in arc])
            continue
        (sx, sy), (tx, ty) = transform["scale"], transform["translate"]
        x = y = 0
        points = []
        for dx, dy, *_ in arc:
            x += dx
            y += dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)
    return arcs


def ring_points(ring: list[int], arcs: list[list[tuple[float, float]]]) -> list[tuple[float, float]]:
    """A ring's points from its arc indexes (``~i`` = arc i reversed), joining points kept once."""
    points: list[tuple[float, float]] = []
    for index in ring:
        arc = arcs[index] if index >= 0 else arcs[~index][::-1]
        points.extend(arc if not points else arc[1:])
    return points


def signed_area(ring: list[list[float]]) -> float:
    """Shoelace area in degrees² (positive when counter-clockwise in lon/lat)."""
    return 0.5 * sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1], strict=True))


def compact(points: list[tuple[float, float]]) -> list[list[float]]:
    """Round to 0.01° and drop points that became equal to their predecessor; ring closed once."""
    out: list[list[float]] = []
    for lon, lat in points:
        p = [round(lon, 2), round(lat, 2)]
        if not out or p != out[-1]:
            out.append(p)
    if len(out) > 1 and out[0] == out[-1]:
        out.pop()
    return out


def unwrap(ring: list[list[float]]) -> list[list[float]]:
    """Make longitudes continuous: a step of more than 180° is the short way across the antimeridian.

    A ring around a pole (Antarctica) gains or loses 360° on the way round; it is closed along that
    pole (latitude ±90) so that it becomes an ordinary polygon on a longitude/latitude map.
    """
    out = [list(ring[0])]
    for lon, lat in ring[1:]:
        prev = out[-1][0]
        lon += 360 * round((prev - lon) / 360)
        out.append([lon, lat])
    first_lon, first_lat = out[0]
    back = first_lon - out[-1][0]
    back -= 360 * round(back / 360)
    end_lon = out[-1][0] + back
    if abs(end_lon - first_lon) > 180:  # went once round the pole
        pole = -90.0 if sum(lat for _, lat in ring) < 0 else 90.0
        out += [[end_lon, first_lat], [end_lon, pole], [first_lon, pole]]
    return out


def clip_x(ring: list[list[float]], bound: float, keep_above: bool) -> list[list[float]]:
    """Sutherland–Hodgman: the part of the ring with lon >= bound (keep_above) or lon <= bound."""
    def inside(p: list[float]) -> bool:
        return p[0] >= bound if keep_above else p[0] <= bound

    out: list[list[float]] = []
    for i, cur in enumerate(ring):
        prev = ring[i - 1]
        if inside(cur):
            if not inside(prev):
                out.append(_cross(prev, cur, bound))
            out.append(cur)
        elif inside(prev):
            out.append(_cross(prev, cur, bound))
    return out


def _cross(a: list[float], b: list[float], x: float) -> list[float]:
    t = (x - a[0]) / (b[0] - a[0])
    return [x, a[1] + t * (b[1] - a[1])]


def split_at_antimeridian(rings: list[list[list[float]]]) -> list[list[list[list[float]]]]:
    """One polygon (exterior + holes) as polygons that each lie within longitudes [-180, 180].

    The unwrapped polygon may reach past ±180 (Chukotka, Fiji, Antarctica); it is clipped to the
    map three times, shifted by -360, 0 and +360 degrees, and every non-empty piece is kept.
    """
    unwrapped = [unwrap(r) for r in rings]
    pieces = []
    for shift in (-360, 0, 360):
        clipped = []
        for i, ring in enumerate(unwrapped):
            moved = [[lon + shift, lat] for lon, lat in ring]
            part = compact([(p[0], p[1]) for p in clip_x(clip_x(moved, -180, True), 180, False)])
            if len(part) >= 3 and abs(signed_area(part)) > 0:
                clipped.append(part)
            elif i == 0:
                break  # no exterior in this window: no piece (its holes cannot be there either)
        if clipped and len(clipped[0]) >= 3:
            pieces.append(clipped)
    return pieces


def polygons(topology: dict, name: str = "land") -> list[list[list[list[float]]]]:
    """The object's polygons within [-180, 180]: lists of rings, exterior counter-clockwise first, holes clockwise."""
    arcs = decode_arcs(topology)
    result = []
    for geometry in topology["objects"][name]["geometries"]:
        if geometry["type"] == "Polygon":
            parts = [geometry["arcs"]]
        elif geometry["type"] == "MultiPolygon":
            parts = geometry["arcs"]
        else:
            continue
        for part in parts:
            rings = [[list(p) for p in ring_points(ring, arcs)] for ring in part]
            for piece in split_at_antimeridian(rings):
                fixed = []
                for i, ring in enumerate(piece):
                    if (signed_area(ring) > 0) != (i == 0):
                        ring = ring[::-1]
                    fixed.append(ring)
                result.append(fixed)
    return result


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__)
        return 2
    topology, digest, version = read_topology(Path(argv[0]))
    polys = polygons(topology)
    document = {
        "source": "Natural Earth 1:110m physical vectors, land (public domain, https://www.naturalearthdata.com/), "
                  f"as TopoJSON in the npm package {version or 'world-atlas'} (ISC licence, Mike Bostock), file land-110m.json",
        "licence": "Natural Earth data: public domain. world-atlas packaging: ISC.",
        "generated_by": "tools/make_coastlines.py (coordinates [lon, lat] in degrees, rounded to 0.01)",
        "input_sha256": digest,
        "polygons": polys,
    }
    OUT.write_text(json.dumps(document, separators=(",", ":")) + "\n", encoding="utf-8")
    points = sum(len(r) for p in polys for r in p)
    print(f"wrote {OUT.relative_to(ROOT)}: {len(polys)} polygons, {points} points, {OUT.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
