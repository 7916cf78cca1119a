/* alatau-geo map runtime: part of alatau_geo.maps, inlined into every page. It holds no data.
 *
 * Languages: the page's markup carries each text in English, Kazakh and Russian
 * (<span class="ag-i"><span lang="en">..</span><span lang="kk">..</span>..</span>); the style
 * sheet shows the language of <html lang>, which setLanguage switches. Texts that live in
 * attributes or plugin options come from the string table (addStrings) and are set here.
 * Popups are bound per feature and kept clear of the controls; the shaded relief is the
 * default base map and online tiles shade with it, failing quietly when unreachable; the
 * legend lists the layers switched on; labels are placed without collisions.
 * Every text that comes from data is set with textContent, or arrives escaped from Python.
 */
window.agMaps = (function () {
  "use strict";
  var LANGUAGES = [["kk", "Қаз", "Қазақша"], ["ru", "Рус", "Русский"], ["en", "Eng", "English"]];
  var strings = {};
  var listeners = [];
  var current = "en";
  var renderers = {};

  function language() { return current; }

  function text(key) {
    var entry = strings[key];
    return entry ? (entry[current] || entry.en || key) : key;
  }

  function pick(names) {
    if (!names) { return ""; }
    return names[current] || names.en || names.ru || names.kk || "";
  }

  function addStrings(more) {
    for (var key in more) {
      if (Object.prototype.hasOwnProperty.call(more, key)) { strings[key] = more[key]; }
    }
  }

  function onLanguage(listener) { listeners.push(listener); }

  function setLanguage(code) {
    var known = LANGUAGES.some(function (entry) { return entry[0] === code; });
    if (!known) { return; }
    current = code;
    document.documentElement.lang = code;
    listeners.forEach(function (listener) { listener(code); });
  }

  /* ---- popups and tooltips ------------------------------------------------------------- */

  var POPUP = {maxWidth: 340, minWidth: 200, className: "ag-popup-box"};
  var TOOLTIP = {sticky: true, className: "ag-tooltip"};

  /* A feature's popup: its title and names, then its values joined with its layer's shared
   * template (alatau_geo.maps.popups.PopupTemplate); everything arrives escaped from Python. */
  function popupHtml(template, properties) {
    var values = properties.v;
    var html = '<div class="ag-popup" data-layer="' + template.layer + '" data-id="' + values[values.length - 1] +
      '"><div class="ag-popup-title">' + (properties.t || template.title) + "</div>" + (properties.n || "") +
      (properties.p || "") + template.popup[0];
    for (var i = 0; i < values.length; i++) { html += values[i] + template.popup[i + 1]; }
    return html;
  }

  function bindShared(layer, template, properties) {
    layer.agLayer = template.layer;  /* the data layer's name: lets a test or a script find a feature */
    layer.bindPopup(function () { return popupHtml(template, properties); }, POPUP);
    layer.bindTooltip(function () {
      return properties.t || template.tooltip[0] + properties.v[0] + template.tooltip[1];
    }, TOOLTIP);
  }

  /* A layer of the map from its display copy (alatau_geo.maps.geojson.StyledGeoJson): each feature
   * carries the index of its style in `styles` and its popup values; points are badges, circle
   * markers, or circle markers on a canvas (thousands of them). */
  function vectorLayer(data, styles, template, options) {
    var layer = L.geoJson(null, {
      pane: options.pane || "overlayPane",
      interactive: options.interactive,
      style: function (feature) { return styles[feature.properties.s]; },
      pointToLayer: function (feature, latlng) {
        var style = styles[feature.properties.s];
        if (options.points === "badge") {
          return L.marker(latlng, {icon: L.divIcon(style), riseOnHover: true, interactive: options.interactive});
        }
        var marker = L.extend({interactive: options.interactive}, style);
        if (options.pane) { marker.pane = options.pane; }
        if (options.canvas) { marker.renderer = canvasRenderer(options.canvas); }
        return L.circleMarker(latlng, marker);
      },
      onEachFeature: function (feature, shape) {
        if (!options.interactive) { return; }
        shape.agLayer = template.layer;
        if (options.canvas) { return; }  /* thousands of points: one popup for the whole layer, below */
        bindShared(shape, template, feature.properties);
        if (options.highlight && shape.setStyle) {
          shape.on("mouseover", function () { shape.setStyle(options.highlight); });
          shape.on("mouseout", function () { layer.resetStyle(shape); });
        }
      }
    });
    if (options.canvas && options.interactive) {
      layer.bindPopup(function (shape) { return popupHtml(template, shape.feature.properties); }, POPUP);
      layer.bindTooltip(function (shape) {
        return template.tooltip[0] + shape.feature.properties.v[0] + template.tooltip[1];
      }, TOOLTIP);
    }
    if (data.type === "FeatureCollection") {
      layer.addData(data);
    } else {  /* points as parallel lists (alatau_geo.maps.geojson._compact) */
      for (var i = 0; i < data.ids.length; i++) {
        layer.addData({type: "Feature", id: data.ids[i], properties: data.properties[i],
                       geometry: {type: "Point", coordinates: data.xy[i]}});
      }
    }
    return layer;
  }

  /* The widest reach of the controls into the map from the left and from the right, pixels. */
  function controlMargins(map) {
    var box = map.getContainer().getBoundingClientRect();
    var margins = {left: 0, right: 0};
    var controls = map.getContainer().querySelectorAll(".leaflet-control");
    for (var i = 0; i < controls.length; i++) {
      var rect = controls[i].getBoundingClientRect();
      if (!rect.width || !rect.height) { continue; }
      if (controls[i].closest(".leaflet-left")) {
        margins.left = Math.max(margins.left, rect.right - box.left);
      } else if (controls[i].closest(".leaflet-right")) {
        margins.right = Math.max(margins.right, box.right - rect.left);
      }
    }
    return margins;
  }

  /* Size a popup to the room between the control columns and pan it there. */
  function fitToControls(popup) {
    var map = popup._map;
    if (!map || !popup.options.agFit) { return; }
    var size = map.getSize();
    var margins = controlMargins(map);
    var gap = 10;
    var room = size.x - margins.left - margins.right - 2 * gap;
    popup.options.maxWidth = Math.max(150, Math.min(340, room - 40));
    popup.options.minWidth = Math.min(200, popup.options.maxWidth);
    popup.options.maxHeight = Math.max(120, Math.min(Math.round(size.y * 0.6), size.y - 90));
    popup.options.autoPanPaddingTopLeft = L.point(margins.left + gap, gap + 20);
    popup.options.autoPanPaddingBottomRight = L.point(margins.right + gap, gap + 20);
  }

  function patchPopups() {
    if (L.Popup.prototype.agPatched) { return; }
    var update = L.Popup.prototype.update;
    L.Popup.prototype.update = function () {
      fitToControls(this);
      return update.apply(this, arguments);
    };
    L.Popup.prototype.options.agFit = true;
    L.Popup.prototype.agPatched = true;
  }

  /* ---- base maps ---------------------------------------------------------------------- */

  function baseMaps(map, options) {
    var relief = options.relief;
    function shade(onTiles) {
      if (relief) { relief.setOpacity(onTiles ? 0.55 : 1); }
    }
    map.on("baselayerchange", function (event) {
      shade(event.layer !== options.reliefOnly && !event.layer.agUnreachable);
    });
    (options.tiles || []).forEach(function (group) {
      var loads = 0;
      var errors = 0;
      group.eachLayer(function (tiles) {
        tiles.on("tileload", function (event) {  /* the transparent stand-in of a failed tile is no load */
          if (event.tile.getAttribute("src") !== tiles.options.errorTileUrl) { loads += 1; }
        });
        tiles.on("tileerror", function () {
          errors += 1;
          if (loads === 0 && errors >= 4 && !group.agUnreachable) {
            group.agUnreachable = true;
            if (map.hasLayer(group)) { shade(false); }
            if (map.attributionControl && options.unreachable) {
              map.attributionControl.addAttribution(options.unreachable);
            }
          }
        });
      });
    });
    shade(options.reliefOnly ? !map.hasLayer(options.reliefOnly) : (options.tiles || []).length > 0);
  }

  /* A canvas renderer drawing in its own pane: for layers of thousands of points. */
  function canvasRenderer(pane) {
    if (!renderers[pane]) { renderers[pane] = L.canvas({pane: pane, padding: 0.3}); }
    return renderers[pane];
  }

  /* The canvas pane takes clicks in its whole area: show it only while one of its layers is on. */
  function densePanes(map, panes) {
    function refresh() {
      panes.forEach(function (entry) {
        var element = map.getPane(entry[0]);
        if (element) { element.style.display = map.hasLayer(entry[1]) ? "" : "none"; }
      });
    }
    map.on("overlayadd overlayremove", refresh);
    refresh();
  }

  /* ---- controls ----------------------------------------------------------------------- */

  function languageSwitch(map, position) {
    var control = L.control({position: position});
    control.onAdd = function () {
      var box = L.DomUtil.create("div", "ag-language leaflet-bar");
      var buttons = LANGUAGES.map(function (entry) {
        var button = L.DomUtil.create("button", "ag-language-button", box);
        button.type = "button";
        button.lang = entry[0];
        button.textContent = entry[1];
        button.title = entry[2];
        L.DomEvent.on(button, "click", function (event) {
          L.DomEvent.stop(event);
          setLanguage(entry[0]);
        });
        return button;
      });
      onLanguage(function (code) {
        buttons.forEach(function (button) { button.setAttribute("aria-pressed", String(button.lang === code)); });
      });
      L.DomEvent.disableClickPropagation(box);
      return box;
    };
    control.addTo(map);
    return control;
  }

  function metricScale(map, position) {
    var Scale = L.Control.Scale.extend({
      _updateMetric: function (maxMeters) {
        var meters = this._getRoundNum(maxMeters);
        var label = meters < 1000 ? meters + " " + text("m") : meters / 1000 + " " + text("km");
        this._updateScale(this._mScale, label, meters / maxMeters);
      }
    });
    var scale = new Scale({position: position, metric: true, imperial: false, maxWidth: 120});
    scale.addTo(map);
    onLanguage(function () { if (scale._map) { scale._update(); } });
    return scale;
  }

  /* Titles and placeholders of the plugins' controls, in the page's language. */
  function translateControls(map) {
    var container = map.getContainer();
    var titled = [[".leaflet-control-zoom-in", "Zoom in"], [".leaflet-control-zoom-out", "Zoom out"]];
    titled.forEach(function (pair) {
      var element = container.querySelector(pair[0]);
      if (element) { element.title = text(pair[1]); element.setAttribute("aria-label", text(pair[1])); }
    });
    var fullscreen = map.agFullscreen;
    if (fullscreen) {
      fullscreen.options.title = text("Full screen");
      fullscreen.options.titleCancel = text("Exit full screen");
      var link = container.querySelector(".leaflet-control-zoom-fullscreen");
      if (link) { link.title = map.isFullscreen && map.isFullscreen() ? text("Exit full screen") : text("Full screen"); }
    }
    var miniMap = map.agMiniMap;
    if (miniMap) {
      miniMap.options.strings = {hideText: text("Hide the overview map"), showText: text("Show the overview map")};
      if (miniMap._toggleDisplayButton) {
        miniMap._toggleDisplayButton.title = miniMap._minimized ? miniMap.options.strings.showText
          : miniMap.options.strings.hideText;
      }
    }
    var input = container.querySelector(".leaflet-control-search input");
    if (input && map.agSearchPlaceholder) { input.placeholder = pick(map.agSearchPlaceholder); }
    var layers = container.querySelector(".leaflet-control-layers-toggle");
    if (layers) { layers.title = text("Layers"); layers.setAttribute("aria-label", text("Layers")); }
    var measure = map.agMeasure;
    if (measure && measure._map) {
      /* leaflet-measure ships Russian, not Kazakh: a Kazakh page shows it in Russian. */
      var localization = current === "en" ? "en" : "ru";
      if (measure.options.localization !== localization) {
        var options = L.extend({}, measure.options, {localization: localization});
        map.removeControl(measure);
        map.agMeasure = new L.Control.Measure(options);
        map.addControl(map.agMeasure);
      }
    }
  }

  /* ---- legend ------------------------------------------------------------------------- */

  function legend(map, position, html, layersByKey) {
    var control = L.control({position: position});
    control.onAdd = function () {
      var box = L.DomUtil.create("div", "ag-legend leaflet-bar");
      box.innerHTML = html;  /* built and escaped in Python (alatau_geo.maps.legend) */
      var toggle = box.querySelector(".ag-legend-toggle");
      function fold(folded) {
        box.classList.toggle("ag-folded", folded);
        if (toggle) {
          toggle.setAttribute("aria-expanded", String(!folded));
          toggle.title = folded ? text("Show the legend") : text("Fold the legend");
        }
      }
      if (toggle) { L.DomEvent.on(toggle, "click", function (event) {
        L.DomEvent.stop(event);
        fold(!box.classList.contains("ag-folded"));
      }); }
      onLanguage(function () { fold(box.classList.contains("ag-folded")); });
      var pending = false;
      function refresh() {
        pending = false;
        var rows = box.querySelectorAll("[data-layer]");
        for (var i = 0; i < rows.length; i++) {
          var key = rows[i].getAttribute("data-layer");
          var layers = layersByKey[key] || [];
          rows[i].hidden = Boolean(key) && !layers.some(function (layer) { return map.hasLayer(layer); });
        }
        var sections = box.querySelectorAll(".ag-legend-section");
        var shown = 0;
        for (var j = 0; j < sections.length; j++) {
          var visible = sections[j].querySelector(".ag-legend-row:not([hidden])") !== null;
          sections[j].hidden = !visible;
          shown += visible ? 1 : 0;
        }
        var empty = box.querySelector(".ag-legend-empty");
        if (empty) { empty.hidden = shown > 0; }
      }
      function later() {
        if (!pending) { pending = true; setTimeout(refresh, 0); }
      }
      map.on("layeradd layerremove", later);
      refresh();
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.disableScrollPropagation(box);
      return box;
    };
    control.addTo(map);
    return control;
  }

  /* ---- labels ------------------------------------------------------------------------- */

  function labels(map, owners, items) {
    var pane = map.getPane("ag-labels") || map.createPane("ag-labels");
    pane.style.zIndex = 640;
    pane.style.pointerEvents = "none";
    var placed = items.map(function (item) {
      var element = L.DomUtil.create("div", "ag-label ag-label-" + item.kind, pane);
      var inner = L.DomUtil.create("div", "ag-label-text", element);
      var name = L.DomUtil.create("span", "ag-label-name", inner);
      var detail = item.detail ? L.DomUtil.create("span", "ag-label-detail", inner) : null;
      return {item: item, element: element, inner: inner, name: name, detail: detail,
              latlng: L.latLng(item.lat, item.lon)};
    });
    function write() {
      placed.forEach(function (label) {
        label.name.textContent = pick(label.item.names);
        if (label.detail) { label.detail.textContent = pick(label.item.detail); }
      });
    }
    function overlaps(a, b) { return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom; }
    /* Writes first, then every box read at once, then the hiding: one layout per placement, not one
     * per label (reading a box after a write makes the browser lay the whole page out again). */
    function place() {
      var zoom = map.getZoom();
      var size = map.getSize();
      var candidates = [];
      placed.forEach(function (label) {
        var item = label.item;
        var owner = item.owner === null ? null : owners[item.owner];
        var show = zoom >= item.min_zoom && zoom <= item.max_zoom && (!owner || map.hasLayer(owner));
        if (show) {
          var point = map.latLngToContainerPoint(label.latlng);
          show = point.x > -40 && point.y > -20 && point.x < size.x + 40 && point.y < size.y + 20;
        }
        label.element.style.display = show ? "" : "none";
        if (!show) { return; }
        if (label.detail) { label.detail.style.display = zoom >= item.detail_zoom ? "" : "none"; }
        L.DomUtil.setPosition(label.element, map.latLngToLayerPoint(label.latlng));
        candidates.push(label);
      });
      var boxes = candidates.map(function (label) {
        var rect = label.inner.getBoundingClientRect();
        return {left: rect.left - 3, top: rect.top - 1, right: rect.right + 3, bottom: rect.bottom + 1};
      });
      var taken = [];
      candidates.forEach(function (label, index) {
        var box = boxes[index];
        if (taken.some(function (other) { return overlaps(box, other); })) {
          label.element.style.display = "none";
        } else {
          taken.push(box);
        }
      });
      pane.classList.remove("ag-labels-moving");
    }
    map.on("zoomstart", function () { pane.classList.add("ag-labels-moving"); });
    map.on("zoomend moveend overlayadd overlayremove resize", place);
    onLanguage(function () { write(); place(); });
    write();
    map.whenReady(place);
    return {place: place};
  }

  /* ---- the page ----------------------------------------------------------------------- */

  /* Leaflet's default marker icon is an image file beside the page; the maps draw badges and circles,
   * but plugins (the measure tool's capture marker) make default markers: give them an inline,
   * transparent image, so no page asks for a file its content policy would block. */
  function inlineDefaultIcon() {
    var blank = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";
    L.Icon.Default.imagePath = "";
    L.Icon.Default.mergeOptions({iconUrl: blank, iconRetinaUrl: blank, shadowUrl: blank});
  }

  function attach(map, options) {
    patchPopups();
    inlineDefaultIcon();
    addStrings(options.strings || {});
    metricScale(map, "bottomright");
    baseMaps(map, options);
    densePanes(map, options.dense || []);
    onLanguage(function () { translateControls(map); });
    setLanguage(options.language || "en");
  }

  return {
    addStrings: addStrings,
    attach: attach,
    bindShared: bindShared,
    vectorLayer: vectorLayer,
    canvasRenderer: canvasRenderer,
    controlMargins: controlMargins,
    labels: labels,
    language: language,
    languageSwitch: languageSwitch,
    legend: legend,
    onLanguage: onLanguage,
    pick: pick,
    setLanguage: setLanguage,
    text: text
  };
})();
