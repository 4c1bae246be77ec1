"""Indicators keyed by area code: wide or long CSV/XLSX, recognised or mapped.

Recognised without a mapping file:

* Census 2021 long tables as Trafford Data Lab publishes them (``area_code, indicator,
  [category], measure, unit, value``): age by five-year band, household composition,
  household size, disability, general health, unpaid care, car availability;
* English Indices of Deprivation 2019: the long file (``lsoa11cd, index_domain, decile,
  rank, score, year``) and the wide MHCLG files (File_1/2/5/7 columns such as
  "Index of Multiple Deprivation (IMD) Score" or "... Rank (where 1 is most deprived)");
* Fingertips exports (``Indicator ID, Indicator Name, Area Code, Value, Lower CI 95.0
  limit, ..., Count, Denominator``);
* other long files with ``area_code, indicator, [measure], value`` (one indicator per
  distinct ``indicator`` text) and AssetMap's own long/wide layout (``area_code,
  indicator_id, value, count, denominator, lower_ci, upper_ci`` or one column per
  indicator id with optional ``<id>_count`` / ``_denominator`` / ``_lower_ci`` /
  ``_upper_ci`` columns);
* the ONS "LSOA (2011) to LSOA (2021) to Local Authority District (2022)" lookup: it is not
  an indicator file; importing it stores the lookup (store blob ``lsoa_lookup``) so later
  files keyed by 2011 codes are joined to the stored 2021 areas.

Anything else takes a mapping file (YAML or CSV), see :func:`load_mapping`.

Counts become rates: value = count / denominator x multiplier (100 for percentages).

Modules: :mod:`.batch` (what a reader yields, the known indicators, cell helpers),
:mod:`.census`, :mod:`.iod`, :mod:`.fingertips`, :mod:`.generic` (one per layout family),
:mod:`.mappings` (mapping files), :mod:`.readers` (which layout a file is),
:mod:`.codes` (the 2011 -> 2021 lookup), :mod:`.loneliness` (derived model inputs),
:mod:`.importer` (:func:`import_indicators`, one transaction).
"""
from .batch import EXTRA_INDICATORS, KNOWN, IndicatorBatch
from .codes import LOOKUP_BLOB, load_lookup, translate_codes
from .importer import import_indicators
from .loneliness import derive_loneliness_inputs
from .mappings import load_mapping
from .readers import read_indicator_file

__all__ = ["EXTRA_INDICATORS", "KNOWN", "LOOKUP_BLOB", "IndicatorBatch",
           "derive_loneliness_inputs", "import_indicators", "load_lookup", "load_mapping",
           "read_indicator_file", "translate_codes"]
