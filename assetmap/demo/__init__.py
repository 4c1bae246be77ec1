"""The embedded demo borough, *Ashbrook*, generated deterministically from a seed.

Ashbrook is invented. It is laid out in British National Grid metres with its south-west
corner at :data:`settings.DEMO_ORIGIN` (farmland of the East Midlands, on land in England),
about 9-10 km by 7-8 km:

* a market town centre on the north bank of the River Ash, with a dense, jittered street
  grid; an old, deprived inner area to the north-east of it (``deprived_core``);
* affluent suburbs to the north-west (``affluent``) with curving roads and cul-de-sacs;
* an older rural fringe (``rural_fringe``) with sparse lanes, tracks and three villages;
* the river crosses the whole borough west to east and is bridged only four times, so the
  street network crosses it only at those bridges;
* two *planted* features for the analysis to find: an isolated, ageing estate south of the
  river with a high modelled loneliness risk and no social venue within
  :data:`EXCLUSION_M` of its residents (``hotspot_areas``), and a peripheral estate of high
  need with no micro-provider within the same distance (``gap_areas``).

Everything (areas, indicators, assets, micro-providers, neighbourhood networks and an OSM XML
street network) comes out of :func:`generate`; :func:`build_into` writes it into a store in
one transaction. The same seed gives byte-identical output: all randomness comes from one
``numpy.random.default_rng(seed)`` (the providers' reach and vacancy dates from a stream of
their own, :mod:`.reach`; the dates count back from the build day, so the same seed on the
same day), iteration is ordered and floats are written with fixed precision. Polygons are
snapped to a 0.00001 degree grid (about 1 m) and tile the borough exactly, so the shipped
``data/boundaries/demo_borough.geojson`` equals what :func:`generate` produces (a test
checks it).

``DemoData.planted`` (also stored as JSON in the store's meta ``planted``) lists what tests
of later features should find: ``hotspot_areas``, ``gap_areas``, ``deprived_core``,
``affluent``, ``rural_fringe``, ``town_centre`` (LSOA codes), ``hotspot_ward``, ``gap_ward``
(ward codes), ``exclusion_m``, ``bridges`` (name, highway, lon, lat) and ``meaning`` (a
sentence per key).

Indicator values are for LSOAs only. Proportions (``ci_method`` wilson) carry ``count`` and
``denominator`` with ``value = 100 * count / denominator`` (a percentage). The loneliness model
inputs (:data:`model.LONELINESS_INPUTS`) are *shares* (unit ``share``, 0-1, with count and
denominator = residents aged 65+), except ``lon_household_size`` (unit ``persons``, a mean).

Coordinates are converted between EPSG:27700 and EPSG:4326 with one pinned transformation
(OSGB36 to WGS 84 (6), the 7-parameter Helmert, about 2 m) rather than "the best available",
which would change the output wherever the OSTN15 grid happens to be installed.

The stages, one module each: :mod:`.geography` (transformation, layout, river, outline, LSOAs,
wards), :mod:`.streets` (the planar street graph), :mod:`.ways` (road classes, names, OSM
ways), :mod:`.population` (people and indicators), :mod:`.postcodes`, :mod:`.assets` (venues,
services, micro-providers), :mod:`.networks` (neighbourhood networks), :mod:`.osm_xml` (the
OSM file) and :mod:`.build` (:func:`generate`, the boundaries file, :func:`build_into`). This
package re-exports the public names.
"""
from __future__ import annotations

from .assets import ASSET_COUNTS, N_PROVIDERS
from .build import (
    BOUNDARIES_FILE,
    STEPS,
    DemoData,
    boundaries_geojson,
    build_into,
    generate,
    write_boundaries,
)
from .geography import (
    AFFLUENT,
    BRIDGES,
    CENTRE,
    DEPRIVED,
    EXCLUSION_M,
    GAP,
    HOTSPOT,
    N_LSOA,
    N_WARDS,
    RIVER_NAME,
    VILLAGES,
    bng_to_lonlat,
    from_bng,
    lonlat_to_bng,
    to_bng,
)
from .population import IMD_DECILE_THRESHOLDS, imd_decile

__all__ = [
    "generate", "build_into", "DemoData", "STEPS", "boundaries_geojson", "write_boundaries",
    "BOUNDARIES_FILE", "bng_to_lonlat", "lonlat_to_bng", "to_bng", "from_bng", "imd_decile",
    "IMD_DECILE_THRESHOLDS", "EXCLUSION_M", "CENTRE", "DEPRIVED", "AFFLUENT", "HOTSPOT", "GAP",
    "VILLAGES", "BRIDGES", "RIVER_NAME", "N_LSOA", "N_WARDS", "ASSET_COUNTS", "N_PROVIDERS",
]
