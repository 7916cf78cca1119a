/* alatau-geo editing map: part of alatau_geo.maps, inlined into maps/edit.html. It holds no data.
 *
 * GeoMan (leaflet-geoman-free) edits only the layers made here (opt-in): the districts' outlines,
 * the engineering objects and the projects. Every change is kept as one edit (the last change of
 * a thing replaces the earlier ones); the panel lists them, holds the rules' parameters and
 * downloads the edits as one JSON file for `alatau-geo apply`. Names typed in the form are kept
 * as text: set with textContent and value, written with JSON.stringify, checked again by apply.
 */
L.PM.setOptIn(true);

window.agEdits = (function () {
  "use strict";
  var edits = [];
  var listeners = [];
  var meta = {};
  var taken = {};
  var added = 0;

  function key(edit) { return [edit.op, edit.layer, edit.id, edit.parameter || ""].join("|"); }
  function round(value) { return Math.round(value * 1e6) / 1e6; }
  function changed() { listeners.forEach(function (listener) { listener(); }); }

  function record(edit) {
    edits = edits.filter(function (other) { return key(other) !== key(edit); });
    edits.push(edit);
    changed();
  }

  function roundGeometry(geometry) {
    function walk(value) {
      return typeof value[0] === "number" ? [round(value[0]), round(value[1])] : value.map(walk);
    }
    return {type: geometry.type, coordinates: walk(geometry.coordinates)};
  }

  function fileText() {
    var content = {format: "alatau-geo-edits", version: 1, edits: edits};
    if (meta.plan_sha256) { content.plan_sha256 = meta.plan_sha256; }
    return JSON.stringify(content, null, 2);
  }

  function download() {
    var blob = new Blob([fileText()], {type: "application/json"});
    var link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = "alatau-geo-edits.json";
    document.body.appendChild(link);
    link.click();
    link.remove();
  }

  var translated = [];

  function element(tag, className, parent, text) {
    var made = L.DomUtil.create(tag, className || "", parent);
    if (text !== undefined) { made.textContent = text; }
    return made;
  }

  /* An element whose text is a string of the page's table, rewritten when the language changes. */
  function label(tag, className, parent, key) {
    var made = element(tag, className, parent, agMaps.text(key));
    translated.push([made, key]);
    return made;
  }

  /* ---- the editable layers ------------------------------------------------------------ */

  function editableZones(map, data) {
    L.geoJSON(data.districts, {
      pmIgnore: false,
      style: function (feature) { return data.styles[feature.properties.s]; },
      onEachFeature: function (feature, layer) {
        layer.bindTooltip(function () { return agMaps.pick(feature.properties.names); }, {sticky: true});
        layer.on("pm:edit pm:dragend", function () {
          record({op: "redraw", layer: "districts", id: feature.properties.id,
                  geometry: roundGeometry(layer.toGeoJSON().geometry)});
        });
      }
    }).addTo(map);
  }

  function editablePoints(map, data) {
    L.geoJSON(data.points, {
      pointToLayer: function (feature, latlng) {
        return L.marker(latlng, {icon: L.divIcon(data.styles[feature.properties.s]), pmIgnore: false});
      },
      onEachFeature: function (feature, marker) {
        taken[feature.properties.id] = true;
        marker.agLayer = feature.properties.layer;
        marker.bindTooltip(function () { return agMaps.pick(feature.properties.names); });
        marker.on("pm:edit pm:dragend", function () {
          var at = marker.getLatLng();
          record({op: "move", layer: feature.properties.layer, id: feature.properties.id,
                  lon: round(at.lng), lat: round(at.lat)});
        });
      }
    }).addTo(map);
  }

  /* ---- adding a facility ----------------------------------------------------------------- */

  function newId(kind) {
    var prefix = {substation: "ss", water_intake: "wi", wastewater_plant: "ww"}[kind] || "obj";
    var id;
    do { added += 1; id = prefix + "_new_" + added; } while (taken[id]);
    taken[id] = true;
    return id;
  }

  function facilityForm(map, marker, data) {
    var form = element("form", "ag-edit-form");
    element("h3", "", form, agMaps.text("New facility"));
    function field(label, input) {
      var wrap = element("label", "", form);
      element("span", "", wrap, label);
      wrap.appendChild(input);
      return input;
    }
    var kind = field(agMaps.text("Kind"), element("select", ""));
    data.kinds.forEach(function (entry) {
      var option = element("option", "", kind, agMaps.pick(entry.names));
      option.value = entry.value;
    });
    var names = ["en", "kk", "ru"].map(function (language) {
      var input = element("input", "");
      input.type = "text";
      input.maxLength = 200;
      input.name = "name_" + language;
      return field(agMaps.text({en: "Name (English)", kk: "Name (Kazakh)", ru: "Name (Russian)"}[language]), input);
    });
    var district = field(agMaps.text("District"), element("select", ""));
    element("option", "", district, "—").value = "";
    data.districts.features.forEach(function (feature) {
      var option = element("option", "", district, agMaps.pick(feature.properties.names));
      option.value = feature.properties.id;
    });
    var add = element("button", "ag-edit-button", form, agMaps.text("Add"));
    add.type = "submit";
    var cancel = element("button", "ag-edit-button", form, agMaps.text("Cancel"));
    cancel.type = "button";
    L.DomEvent.on(cancel, "click", function () { map.removeLayer(marker); });
    L.DomEvent.on(form, "submit", function (event) {
      L.DomEvent.preventDefault(event);
      if (!names[0].value.trim()) { names[0].focus(); return; }
      var edit = {op: "add", layer: "infrastructure", id: newId(kind.value), kind: kind.value,
                  name_en: names[0].value.trim(), name_kk: names[1].value.trim(), name_ru: names[2].value.trim(),
                  district: district.value};
      function place() {
        var at = marker.getLatLng();
        edit.lon = round(at.lng);
        edit.lat = round(at.lat);
        record(edit);
      }
      place();
      marker.on("pm:edit pm:dragend", place);
      marker.setIcon(L.divIcon(data.newBadges[kind.value]));
      marker.closePopup();
      marker.unbindPopup();
      marker.bindTooltip(edit.name_en);
    });
    L.DomEvent.disableClickPropagation(form);
    return form;
  }

  /* ---- the panel ------------------------------------------------------------------------ */

  function describe(edit) {
    var verb = {move: "moved", add: "added", redraw: "redrawn", set: "set to"}[edit.op];
    var what = edit.layer + " " + edit.id;
    if (edit.op === "set") { return what + ": " + edit.parameter + " " + agMaps.text(verb) + " " + edit.value + " m"; }
    return what + ": " + agMaps.text(verb);
  }

  function parameterFields(box, zones) {
    var fold = element("details", "ag-edit-parameters", box);
    label("summary", "", fold, "Rule parameters");
    zones.forEach(function (zone) {
      var set = element("fieldset", "", fold);
      element("legend", "", set, agMaps.pick(zone.names));
      zone.parameters.forEach(function (parameter) {
        var wrap = element("label", "", set);
        element("span", "", wrap, parameter.path + ", m ");
        if (parameter.calibrated) { label("em", "", wrap, "calibrated"); }
        var input = element("input", "", wrap);
        input.type = "number";
        input.min = "0";
        input.step = "any";
        input.value = String(parameter.value);
        input.name = zone.layer + "." + zone.id + "." + parameter.path;
        L.DomEvent.on(input, "change", function () {
          var value = Number(input.value);
          if (input.value !== "" && isFinite(value) && value >= 0) {
            record({op: "set", layer: zone.layer, id: zone.id, parameter: parameter.path, value: value});
          }
        });
      });
    });
  }

  function panel(map, zones) {
    var control = L.control({position: "bottomleft"});
    control.onAdd = function () {
      var box = L.DomUtil.create("div", "ag-edit-panel leaflet-bar");
      label("h3", "", box, "Plan edits");
      label("p", "ag-legend-note", box, meta.help);
      label("div", "ag-legend-heading", box, "Edits");
      var list = element("ol", "ag-edit-list", box);
      var empty = label("div", "ag-legend-note", box, "No edits yet");
      var save = label("button", "ag-edit-button ag-edit-download", box, "Download the edits (JSON)");
      save.type = "button";
      L.DomEvent.on(save, "click", function (event) { L.DomEvent.stop(event); download(); });
      parameterFields(box, zones);
      function refresh() {
        list.textContent = "";
        edits.forEach(function (edit) { element("li", "", list, describe(edit)); });
        empty.hidden = edits.length > 0;
        save.disabled = edits.length === 0;
      }
      listeners.push(refresh);
      agMaps.onLanguage(function () {
        translated.forEach(function (pair) { pair[0].textContent = agMaps.text(pair[1]); });
        refresh();
      });
      refresh();
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.disableScrollPropagation(box);
      return box;
    };
    control.addTo(map);
  }

  function start(map, data, zones, options) {
    meta = options;
    agMaps.addStrings(options.strings || {});
    editableZones(map, data);
    editablePoints(map, data);
    map.pm.setGlobalOptions({markerStyle: {icon: L.divIcon(data.newBadges.substation)}, snappable: false});
    map.pm.addControls({
      position: "topleft", drawMarker: true, drawCircleMarker: false, drawPolyline: false, drawRectangle: false,
      drawPolygon: false, drawCircle: false, drawText: false, editMode: true, dragMode: true, cutPolygon: false,
      removalMode: false, rotateMode: false
    });
    map.on("pm:create", function (event) {
      if (event.shape !== "Marker") { return; }
      event.layer.bindPopup(facilityForm(map, event.layer, data), {minWidth: 220}).openPopup();
    });
    panel(map, zones);
    agMaps.onLanguage(function (code) { map.pm.setLang(code === "en" ? "en" : "ru"); });
  }

  return {download: download, edits: function () { return edits.slice(); }, fileText: fileText, start: start};
})();
