"""Contributions from community groups and providers (no Flask here; the views call in).

* :mod:`.forms`      the form's vocabulary, :func:`~.forms.validate_form` (per-section
  validators), :class:`~.forms.Contribution`, the values that fill the form again;
* :mod:`.hours`      opening hours: the form's grid of days <-> OSM ``opening_hours`` text;
* :mod:`.area`       the area the store covers (contributed locations must lie inside);
* :mod:`.tokens`     private links for anonymous contributors (only a hash is stored);
* :mod:`.duplicates` likely duplicates of a submission among the known assets;
* :mod:`.diffs`      field-by-field changes for the moderator's diff and the audit trail;
* :mod:`.review`     review dates and staleness;
* :mod:`.refresh`    the debounced analysis refresh after approvals.
"""
