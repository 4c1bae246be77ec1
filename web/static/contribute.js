/* AssetMap contribution form: click the map to set the location, or look up a postcode.
   Writes latitude/longitude into the form fields; the server checks everything again. */
(function () {
  "use strict";
  var form = document.getElementById("asset-form");
  if (!form) { return; }
  var lat = form.querySelector("input[name=lat]");
  var lon = form.querySelector("input[name=lon]");
  var status = document.getElementById("location-status");
  var map = form.dataset.map ? window[form.dataset.map] : null;
  var marker = null;

  function say(text) { if (status) { status.textContent = text; } }

  function place(latlng, pan) {
    if (!map || !window.L) { return; }
    if (marker) { marker.setLatLng(latlng); }
    else {
      marker = L.marker(latlng, { draggable: true, title: "Chosen location", keyboard: true });
      marker.on("dragend", function () { setPoint(marker.getLatLng(), false); });
      marker.addTo(map);
    }
    if (pan) { map.setView(latlng, Math.max(map.getZoom(), 15)); }
  }

  function setPoint(latlng, pan) {
    lat.value = latlng.lat.toFixed(6);
    lon.value = latlng.lng.toFixed(6);
    place(latlng, pan);
    say("Location set: " + lat.value + ", " + lon.value + ". Drag the pin or click again to move it.");
  }

  if (map) {
    map.on("click", function (e) { setPoint(e.latlng, false); });
    var la = parseFloat(lat.value), lo = parseFloat(lon.value);
    if (isFinite(la) && isFinite(lo)) { place(L.latLng(la, lo), true); }
  }

  function typed() {
    var la = parseFloat(lat.value), lo = parseFloat(lon.value);
    if (isFinite(la) && isFinite(lo)) { place(L.latLng(la, lo), true); }
  }
  lat.addEventListener("change", typed);
  lon.addEventListener("change", typed);

  var find = document.getElementById("find-postcode");
  var pc = form.querySelector("input[name=postcode]");
  if (find && pc) {
    find.addEventListener("click", function () {
      var value = pc.value.trim();
      if (!value) { say("Type a postcode first."); pc.focus(); return; }
      say("Looking up " + value + "…");
      fetch(form.dataset.postcodeUrl || "/contribute/postcode?postcode=" + encodeURIComponent(value),
            { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { return r.json().then(function (j) { return { ok: r.ok, body: j }; }); })
        .then(function (res) {
          if (!res.ok) { say(res.body.error || "Postcode not found."); return; }
          pc.value = res.body.postcode;
          setPoint(L.latLng(res.body.lat, res.body.lon), true);
          say("Found " + res.body.postcode + ": location set to the postcode's centre. Click the map to be more precise.");
        })
        .catch(function () { say("The postcode lookup failed; click the map instead."); });
    });
  }

  /* Show the service fields only when they apply (they stay in the page without JavaScript). */
  var category = form.querySelector("select[name=category]");
  var isProvider = form.querySelector("input[name=is_provider]");
  var detail = document.getElementById("provider-detail");
  function toggle() {
    if (!detail || !category || !isProvider) { return; }
    var on = category.value === "micro_provider" || isProvider.checked;
    if (category.value === "micro_provider") { isProvider.checked = true; }
    detail.hidden = !on;
  }
  if (category) { category.addEventListener("change", toggle); }
  if (isProvider) { isProvider.addEventListener("change", toggle); }
  toggle();

  var summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }
})();
