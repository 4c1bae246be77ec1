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

  // 0. Areas (layers/areadata.py): each area's [code, name, ward] once, each layer's
  //    [style, tip, extra] per area; tooltips and popups are built here from text nodes
  //    (never HTML). A borough's areas are in the page; a national map asks for the view.
  function lines(box, text) {
    if (!text) { return; }
    String(text).split('\n').forEach(function (t) {
      box.appendChild(document.createElement('br'));
      box.appendChild(document.createTextNode(t));
    });
  }
  function head(row) {
    var box = document.createElement('div'), b = document.createElement('strong');
    b.textContent = row[1] || row[0];
    box.appendChild(b);
    if (row[2]) {
      var w = document.createElement('span');
      w.className = 'am-ward';
      w.textContent = ' (' + row[2] + ')';
      box.appendChild(document.createTextNode(' '));
      box.appendChild(w);
    }
    return box;
  }
  function tip(row, cell) { var box = head(row); lines(box, cell[1]); return box; }
  function pop(row, cell, def) {
    var box = tip(row, cell);
    lines(box, cell[2]);
    if (def.link) {
      var a = document.createElement('a');
      a.href = def.link.replace('{code}', encodeURIComponent(row[0]));
      a.textContent = 'Area profile';
      box.appendChild(document.createElement('br'));
      box.appendChild(a);
    }
    return box;
  }
  function drawLayer(def, cells, data, id) {
    // an aggregate view brings its own styles (its classes), the areas' are the page's
    var styles = (data.aggregate && data.styles && data.styles[id]) || def.styles;
    def.group.clearLayers();
    if (!data.geometry.features.length) { return; }
    L.geoJSON(data.geometry, {
      style: function (f) { var c = cells[f.properties.i]; return styles[c ? c[0] : 0]; },
      onEachFeature: function (f, layer) {
        var c = cells[f.properties.i], row = data.areas[f.properties.i];
        if (!c || !row) { return; }
        layer.bindTooltip(function () { return tip(row, c); }, {sticky: true});
        if (data.aggregate) {
          // an aggregate (a local authority or ward): a click zooms to its areas
          layer.on('click', function () { map.fitBounds(layer.getBounds()); });
        } else if (def.popup) {
          layer.bindPopup(function () { return pop(row, c, def); }, {maxWidth: 320});
        }
        if (def.highlight) {
          layer.on('mouseover', function () { layer.setStyle({weight: 3, color: '#000000'}); });
          layer.on('mouseout', function () { layer.setStyle(styles[c[0]]); });
        }
      }
    }).addTo(def.group);
  }
  var areaNote = null;
  function noteAreas(text) {
    if (!areaNote) {
      var ctl = L.control({position: 'bottomleft'});
      ctl.onAdd = function () {
        var d = L.DomUtil.create('div', 'am-legend am-map-note am-area-note leaflet-bar');
        d.setAttribute('role', 'status');
        return d;
      };
      ctl.addTo(map);
      areaNote = ctl.getContainer();
    }
    areaNote.textContent = text;
    areaNote.hidden = !text;
  }
  // An aggregate view's legends (classes of the aggregates) replace the areas' while shown.
  function swapLegend(def, html) {
    var div = def.group._amLegend;
    if (!div) { return; }
    if (def.areaLegend === undefined) { def.areaLegend = div.innerHTML; }
    var want = html || def.areaLegend;
    if (div.innerHTML !== want) { div.innerHTML = want; }
  }
  function drawSource(src, data) {
    Object.keys(src.layers).forEach(function (id) {
      drawLayer(src.layers[id], data.layers[id] || [], data, id);
      swapLegend(src.layers[id], data.aggregate && data.legends ? data.legends[id] : null);
    });
    if (window.performance && performance.mark) { performance.mark('am-drawn'); }
    var agg = data.aggregate, n = agg ? agg.areas : data.total;
    if (data.max !== null && data.total > data.shown) {
      noteAreas('Zoom in to see areas: ' + n.toLocaleString('en-GB') +
                ' in view, at most ' + data.max.toLocaleString('en-GB') + ' are drawn at once.');
    } else if (agg) {
      noteAreas(n.toLocaleString('en-GB') + ' areas in view, shown by ' + agg.level +
                ': click one (or zoom in) to see its areas.');
    } else if (src.url) { noteAreas(''); }
  }
  function fetchSource(src, done) {
    var ctrl = null, timer = null;
    function load() {
      var b = map.getBounds(), bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]
        .map(function (v) { return v.toFixed(5); }).join(',');
      if (ctrl) { ctrl.abort(); }
      ctrl = window.AbortController ? new AbortController() : null;
      var url = src.url + (src.url.indexOf('?') >= 0 ? '&' : '?') + 'bbox=' + bbox +
        '&zoom=' + map.getZoom();
      fetch(url, {signal: ctrl ? ctrl.signal : undefined, headers: {'Accept': 'application/json'}})
        .then(function (r) { if (!r.ok) { throw new Error('HTTP ' + r.status); } return r.json(); })
        .then(function (d) { drawSource(src, d); done(); })
        .catch(function (e) {
          if (e.name !== 'AbortError') { noteAreas('Could not load the areas: ' + e.message); done(); }
        });
    }
    map.on('moveend', function () { clearTimeout(timer); timer = setTimeout(load, 150); });
    load();
  }

  // The first view beside the right-hand controls (layer control, legends): legends never
  // cover the areas at that view.
  function rightStrip() {
    var w = 0;
    box.querySelectorAll('.leaflet-right .leaflet-control').forEach(function (c) {
      if (!c.hidden) { w = Math.max(w, c.offsetWidth); }
    });
    return w;
  }
  function fitLegends() {
    var panel = box.querySelector('.am-legend-panel'), layersCtl = box.querySelector('.leaflet-control-layers');
    if (panel) {
      var room = box.clientHeight - (layersCtl ? layersCtl.offsetHeight : 0) - 30;
      panel.style.maxHeight = Math.max(room, 80) + 'px';
    }
  }
  fitLegends();
  if (window.assetmapBounds) {
    map.fitBounds(window.assetmapBounds, {paddingTopLeft: [10, 10],
      paddingBottomRight: [rightStrip() + 20, 10], animate: false});
  }
  window.addEventListener('resize', fitLegends);
  var sources = window.assetmapAreaSources || [], pending = sources.length;
  function ready() {
    pending -= 1;
    if (pending <= 0 && !document.documentElement.hasAttribute('data-am-ready')) {
      if (window.performance && performance.mark) { performance.mark('am-ready'); }
      document.documentElement.setAttribute('data-am-ready', '1');
    }
  }
  sources.forEach(function (src) {
    if (src.map !== map) { return ready(); }
    if (src.url) { fetchSource(src, ready); } else { drawSource(src, src.data); ready(); }
  });
  if (!sources.length) { pending = 1; ready(); }

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
