// The live page's script (accelsim/present/live_server.py serves it inline with plotly.js). Each control change
// posts the point to /api/point and shows the reply; then the tornado around it comes from /api/tornado. Replies
// to an older request than the latest are dropped, so a fast sequence of changes shows the last point.
(function () {
  "use strict";
  const state = {controls: null, trace: 0, preset: "", format: "", values: {}, points: 0, tornados: 0,
                 seq: 0, result: null, error: "", lastMs: 0};
  const {el, fmt} = window.accelsimUI;
  const table = (head, rows) => el("table", {}, el("thead", {}, el("tr", {}, ...head.map((h) => el("th", {}, h)))),
    el("tbody", {}, ...rows.map((r) => el("tr", {}, ...r.map((c, j) => el(j ? "td" : "th", {}, c))))));
  const post = (url, body) => fetch(url, {method: "POST", headers: {"Content-Type": "application/json"},
    body: JSON.stringify(body)}).then((r) => r.json());

  // The hardware keys whose value differs from the preset's: what --set would say.
  function overrides() {
    const out = {};
    for (const [k, v] of Object.entries(state.values)) if (v !== state.controls.values[k]) out[k] = v;
    return out;
  }
  const request = () => ({trace: state.trace, preset: state.preset, format: state.format, overrides: overrides()});

  function select(id, options, value, onchange) {
    return el("select", {id, onchange}, ...options.map(([v, label]) => {
      const o = el("option", {value: v}, label);
      if (v === value) o.selected = true;
      return o;
    }));
  }

  function buildControls() {
    const C = state.controls, box = document.getElementById("controls-box");
    box.replaceChildren(el("h2", {}, "The point"));
    box.append(el("label", {}, "trace", select("trace", C.traces.map((t, i) => [String(i), t]), String(state.trace),
      (e) => { state.trace = Number(e.target.value); simulate(); })));
    box.append(el("label", {}, "preset", select("preset", C.presets.map((p) => [p, p]), state.preset,
      (e) => loadPreset(e.target.value))));
    box.append(el("label", {}, "format", select("format", [["", "as recorded"], ...C.formats.map((f) => [f, f])],
      state.format, (e) => { state.format = e.target.value; simulate(); })));
    box.append(el("h3", {}, "Hardware keys"));
    for (const [k, v] of Object.entries(state.values)) {
      const changed = () => {
        state.values[k] = input.value.trim();
        input.classList.toggle("changed", state.values[k] !== C.values[k]);
        simulate();
      };
      const input = k === "pe.dtype"
        ? select(`key-${k}`, C.dtypes.map((d) => [d, d]), v, changed)
        : el("input", {id: `key-${k}`, type: "text", value: v, "data-key": k, onchange: changed});
      input.setAttribute("data-key", k);
      box.append(el("label", {}, k, input));
    }
  }

  function loadPreset(name) {
    return fetch("/api/controls?preset=" + encodeURIComponent(name || "")).then((r) => r.json()).then((C) => {
      if (C.error) { showError(C.error); return; }
      state.controls = C; state.preset = C.preset; state.values = {...C.values};
      buildControls();
      return simulate();
    });
  }

  function showError(msg) {
    state.error = msg;
    document.getElementById("error").textContent = msg;
  }

  function simulate() {
    const seq = ++state.seq, t0 = performance.now(), req = request();
    document.getElementById("status").textContent = "simulating…";
    return post("/api/point", req).then((r) => {
      if (seq !== state.seq) return;
      state.lastMs = performance.now() - t0;
      if (r.error) {
        showError(r.error);
        document.getElementById("status").textContent = "not simulated: see the message";
        return;
      }
      showError("");
      state.result = r; state.points++;
      document.getElementById("status").textContent = `${r.hardware}: simulated in ${Math.round(state.lastMs)} ms`;
      render(r);
      tornado(seq, req);
    });
  }

  function render(r) {
    document.getElementById("headline").replaceChildren(
      el("span", {id: "speedup"}, "speedup ", el("b", {}, fmt(r.speedup) + "×")),
      el("span", {id: "energy-ratio"}, "energy ratio ", el("b", {}, fmt(r.energy_ratio))),
      el("span", {id: "area"}, "area ", el("b", {}, fmt(r.area_mm2) + " mm²")));
    const box = document.getElementById("detail"), C = state.controls;
    const F = r.figures, names = Object.keys(F.compressed);
    box.replaceChildren(el("h3", {}, "Figures"),
      table(["", "compressed", "dense"], names.map((n) => [n, fmt(F.compressed[n]), fmt(F.dense[n])])),
      el("h3", {}, "Area (mm²)"), table(["part", "mm²"], Object.entries(r.area_parts).map(([p, v]) => [p, fmt(v)])));
    for (const group of ["phase", "network", "layer"]) {
      const c = r.breakdowns.compressed[group], d = r.breakdowns.dense[group];
      const keys = [...new Set([...Object.keys(d), ...Object.keys(c)])];
      // Figures: cycles, seconds, energy_j, dram_bytes, then the energy parts (C.figures names them).
      box.append(el("h3", {}, "By " + group), table([group, "cycles dense", "cycles compr.", "speedup",
        "energy compr. (J)", ...C.energy_parts.map((p) => p + " (J)"), "DRAM compr."], keys.map((n) => {
        const cc = c[n], dd = d[n];
        return [n, dd ? fmt(dd[0]) : "–", cc ? fmt(cc[0]) : "–", cc && dd && cc[0] ? fmt(dd[0] / cc[0]) : "–",
                cc ? fmt(cc[2]) : "–", ...C.energy_parts.map((_, q) => (cc ? fmt(cc[4 + q]) : "–")),
                cc ? fmt(cc[3]) : "–"];
      })));
    }
  }

  function tornado(seq, req) {
    return post("/api/tornado", req).then((t) => {
      if (seq !== state.seq || t.error) return;
      state.tornados++;
      const P = t.parameters.filter((p) => p.low.speedup !== null || p.high.speedup !== null).reverse();
      const base = t.baseline.speedup, pct = Math.round(t.vary * 100);
      const bar = (side, name, color) => ({type: "bar", orientation: "h", name, y: P.map((p) => p.key),
        x: P.map((p) => (p[side].speedup === null ? 0 : p[side].speedup - base)), base: base,
        customdata: P.map((p) => p[side].speedup), marker: {color},
        hovertemplate: "%{y}: speedup %{customdata:.4f}<extra>" + name + "</extra>"});
      Plotly.react("plot-tornado", [bar("low", `−${pct} %`, "#1f77b4"), bar("high", `+${pct} %`, "#ff7f0e")], {
        barmode: "overlay", margin: {l: 160, r: 10, t: 30, b: 40},
        title: {text: `speedup as each parameter moves ±${pct} % ${t.format_note}`, font: {size: 13}},
        xaxis: {title: {text: "speedup"}}, legend: {orientation: "h", y: -0.15}},
      {responsive: true, displaylogo: false});
    });
  }

  // For tests: the state, and a way to move a control as a user would.
  window.live = {
    state, simulate,
    set(key, value) {
      const input = document.querySelector(`[data-key='${key}']`);
      input.value = value;
      input.dispatchEvent(new Event("change"));
    },
  };
  loadPreset("");
})();
