"""Outreach plans for local area coordinators (no Flask, no SQL beyond the store's methods).

A coordinator chooses a *patch* (wards, areas, a neighbourhood network's catchment or a
polygon drawn on the map); :func:`build_plan` turns the stored analysis into a plan they can
carry:

* **where first**: the patch's areas ranked by priority =
  ``OUTREACH_ISOLATION_WEIGHT x isolation z + (1 - weight) x unmet need z`` (+
  ``OUTREACH_HOTSPOT_BONUS`` inside a significant Gi* isolation hotspot), z-scores taken over
  the whole borough; unmet need = need index z minus half the supply z for the chosen client
  group (E2SFCA supply from the analysis gaps, where the run has it). Each area says *why*:
  its hotspot class, its strongest indicators (polarity-aware z-scores against the borough)
  and its walk to the nearest community venue; where the store holds postcodes, the area's
  postcodes farthest from a community venue are listed as the streets to knock on first;
* **what to connect people to**: micro-providers within ``walk_minutes`` of the area's
  population-weighted centre that serve the chosen client group (and service type), those
  with vacancies first, then community venues; and what is missing within that walk;
* **a route**: a walking tour through the top areas (each stop at a community venue near the
  area's centre where there is one), optimal up to 12 stops (Held-Karp) and a 2-opt/Or-opt
  heuristic beyond, over walking times on the street network, with the path geometry;
* **commissioning gaps**: sentences such as "No day activities for people with learning
  disabilities within 20 minutes' walk of 1,200 people aged 65+".

A plan is a plain JSON-ready dict (saved by ``Store.save_outreach_plan``), carrying its
parameters, the analysis run and data version it came from, and snapshots of the assets in
reach and of each area's need, so :func:`compare` can say later what changed.

Home-based providers only ever appear at their approximate (grid-cell) location
(:mod:`assetmap.privacy`); walking times to them use that location too.

The package, by concern:

* :mod:`.params` -- :class:`PlanParams`, what a coordinator asked for;
* :mod:`.context` -- :class:`Context`, the stored data and analysis a plan reads (cached);
* :mod:`.plan` -- the patch, the scores, the snapshots, :func:`build_plan` and
  :func:`make_plan`;
* :mod:`.why` -- why each area ranks where it does, in words, and the patch's indicators;
* :mod:`.route` -- the day's walking route and the postcodes to knock on first;
* :mod:`.tour` -- walking tours through a handful of stops (Held-Karp, 2-opt/Or-opt);
* :mod:`.commissioning` -- commissioning gaps (only the chosen client group and service
  type, one item per service naming its areas), what each area is missing, and their wording;
* :mod:`.observed` -- referrals turned away for lack of capacity, worded into those items;
* :mod:`.compare` -- save, reopen and compare plans;
* :mod:`.export` -- CSV, GeoJSON and GPX downloads.

``context`` and ``compare`` name both a module and the function it holds; the package's
attributes are the functions (import the modules as ``from assetmap.outreach.context import
...``).
"""
from __future__ import annotations

from .commissioning import (
    CATEGORY_PHRASES,
    GROUP_PHRASES,
    SERVICE_PHRASES,
    commissioning_gaps,
    merge_items,
    missing_text,
    people,
)
from .compare import compare, reopen, save
from .context import Context, clear_cache, context
from .export import CSV_COLUMNS, csv_rows, route_geojson, route_gpx, to_csv
from .observed import with_observed
from .params import PATCH_KINDS, PlanParams
from .plan import (
    CATCHMENT_CATEGORIES,
    PLAN_FORMAT,
    build_plan,
    make_plan,
    patch_options,
    select_patch,
)
from .route import path_geometry, walking_matrix
from .tour import best_tour, tour_length

__all__ = ["PlanParams", "Context", "context", "build_plan", "make_plan", "save", "reopen",
           "compare", "commissioning_gaps", "csv_rows", "to_csv", "route_geojson",
           "route_gpx", "patch_options", "select_patch", "tour_length", "best_tour",
           "PATCH_KINDS", "PLAN_FORMAT", "CATCHMENT_CATEGORIES", "clear_cache",
           "walking_matrix", "path_geometry", "missing_text", "people", "GROUP_PHRASES",
           "SERVICE_PHRASES", "CATEGORY_PHRASES", "CSV_COLUMNS", "with_observed", "merge_items"]
