/* AssetMap page scripts: walking isochrones on demand (overview) and picking a point on the
   map (directory). Kept tiny; the maps themselves are folium/Leaflet. */
(function () {
  'use strict';
  var map = window.assetmapMap;
  if (!map) { return; }
  var status = document.getElementById('iso-status');
  // Keyboard order: the map's controls (zoom, layers, legends) before anything drawn on it.
  var box = map.getContainer(), controls = box.querySelector('.leaflet-control-container');
  if (controls && box.firstChild !== controls) { box.insertBefore(controls, box.firstChild); }
  function say(text) { if (status) { status.textContent = text; } }

  // 1. Isochrones: a click asks the server while the "Walking isochrones" layer is on, or
  //    while the "Walk from a point" button is pressed (whatever other layers are on: area
  //    popups are then held back so the click draws the walk).
  var layers = window.assetmapLayers || {};
  var group = layers.isochrones;
  var isoMode = false;
  if (group && layers.isochroneUrl) {
    var colours = {5: '#0072B2', 10: '#56B4E9', 15: '#CCE6F4', 20: '#EEF6FB'};
    var IsoControl = L.Control.extend({
      options: {position: 'topleft'},
      onAdd: function () {
        var b = L.DomUtil.create('button', 'am-iso-button leaflet-bar');
        b.type = 'button';
        b.id = 'iso-mode';
        b.textContent = 'Walk from a point';
        b.setAttribute('aria-pressed', 'false');
        b.title = 'Then click the map to see how far someone can walk from there';
        L.DomEvent.disableClickPropagation(b);
        L.DomEvent.on(b, 'click', function () {
          isoMode = !isoMode;
          b.setAttribute('aria-pressed', String(isoMode));
          map.getContainer().style.cursor = isoMode ? 'crosshair' : '';
          if (isoMode && !map.hasLayer(group)) { map.addLayer(group); }
          say(isoMode ? 'Click the map to see walking isochrones from that point.' : '');
        });
        return b;
      }
    });
    new IsoControl().addTo(map);
    map.on('overlayadd', function (e) {
      if (e.layer === group) { say('Click the map to see walking isochrones from that point.'); }
    });
    map.on('popupopen', function (e) { if (isoMode) { map.closePopup(e.popup); } });
    // Leaflet stops a click on an area with a popup from reaching the map ('click'), but
    // 'preclick' always reaches it: in walk mode the walk is drawn from there.
    map.on('preclick', function (e) { if (isoMode && !pickMode) { drawFrom(e.latlng); } });
    map.on('click', function (e) {
      if (!isoMode && map.hasLayer(group) && !pickMode) { drawFrom(e.latlng); }
    });
    function drawFrom(latlng) {
      var e = {latlng: latlng};
      if (!map.hasLayer(group)) { map.addLayer(group); }
      var url = layers.isochroneUrl + '?lat=' + e.latlng.lat.toFixed(6) + '&lon=' + e.latlng.lng.toFixed(6);
      say('Working out walking times…');
      fetch(url, {headers: {'Accept': 'application/geo+json'}}).then(function (r) {
        if (!r.ok) { throw new Error('HTTP ' + r.status); }
        return r.json();
      }).then(function (gj) {
        group.clearLayers();
        L.geoJSON(gj, {style: function (f) {
          return {fillColor: colours[f.properties.minutes] || '#CCE6F4', color: '#0072B2', weight: 1, fillOpacity: 0.35};
        }, onEachFeature: function (f, l) { l.bindTooltip('Within ' + f.properties.minutes + ' min walk'); }}).addTo(group);
        L.circleMarker(e.latlng, {radius: 5, color: '#000', fillColor: '#F0E442', fillOpacity: 1}).addTo(group);
        say('Walking isochrones drawn (' + (gj.method === 'network' ? 'street network' : 'straight-line estimate') + ').');
      }).catch(function (err) { say('Could not get walking times: ' + err.message); });
    }
  }

  // 2. Directory: "Pick a point on the map" fills lat/lon and submits the form.
  var pick = document.getElementById('pick-point');
  var pickMode = false;
  if (pick) {
    pick.addEventListener('click', function () {
      pickMode = !pickMode;
      pick.setAttribute('aria-pressed', String(pickMode));
      map.getContainer().style.cursor = pickMode ? 'crosshair' : '';
      say(pickMode ? 'Click the map to search around that point.' : '');
    });
    map.on('click', function (e) {
      if (!pickMode) { return; }
      document.getElementById('lat').value = e.latlng.lat.toFixed(6);
      document.getElementById('lon').value = e.latlng.lng.toFixed(6);
      var pc = document.getElementById('postcode');
      if (pc) { pc.value = ''; }
      document.getElementById('directory-form').submit();
    });
  }
})();
