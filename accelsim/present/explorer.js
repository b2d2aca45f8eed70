// The explorer page's script (accelsim/present/explorer.py inlines it with plotly.js and the sweep's data).
// Data are columns (categories as codes into their distinct values), so a filter change is one pass over
// integer arrays and one Plotly.react per plot with typed arrays (benchmarks/bench_explorer.py times it).
(function () {
  "use strict";
  const D = JSON.parse(document.getElementById("accelsim-data").textContent);
  const N = D.n;
  const PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                   "#bcbd22", "#17becf"];
  const CAT_NAMES = ["trace", "method", "hw", ...D.keys];
  const CAT_LABEL = {trace: "trace", method: "method (format)", hw: "preset"};
  const NUM_LABEL = {
    speedup: "speedup (dense time / compressed time)", energy_ratio: "energy ratio (compressed / dense)",
    area_mm2: "chip area (mm²)", compressed_seconds: "compressed: time (s)", compressed_energy_j: "compressed: energy (J)",
    dense_seconds: "dense: time (s)", dense_energy_j: "dense: energy (J)",
    compressed_tflops_per_mm2: "compressed: TFLOPS/mm²", compressed_tflops_per_w: "compressed: TFLOPS/W",
    dense_tflops_per_mm2: "dense: TFLOPS/mm²", dense_tflops_per_w: "dense: TFLOPS/W",
  };
  const codes = {};
  for (const c of CAT_NAMES) codes[c] = Int32Array.from(D.cats[c].codes);
  const num = {};
  for (const c in D.num) num[c] = Float64Array.from(D.num[c], (v) => (v === null ? NaN : v));
  const state = {
    allowed: Object.fromEntries(CAT_NAMES.map((c) => [c, new Uint8Array(D.cats[c].values.length).fill(1)])),
    colorBy: "trace", log: false,
    areaX: num.area_mm2 ? "area_mm2" : "energy_ratio", areaY: "speedup",
    current: -1, pinned: -1, shown: 0, lastUpdateMs: 0,
    idx: {front: [], area: []},  // per plot: per trace, the row index of each drawn point
  };

  const {el, fmt} = window.accelsimUI;
  const catValue = (c, i) => D.cats[c].values[codes[c][i]];

  // ---- filters ----
  function buildFilters() {
    const box = document.getElementById("filters");
    box.append(el("h2", {}, "Filters"));
    for (const c of CAT_NAMES) {
      const vals = D.cats[c].values;
      const list = el("div", {class: "values"});
      vals.forEach((v, k) => {
        const cb = el("input", {type: "checkbox", "data-cat": c, "data-code": String(k), checked: ""});
        cb.addEventListener("change", () => { state.allowed[c][k] = cb.checked ? 1 : 0; update(); });
        list.append(el("label", {}, cb, " " + String(v)));
      });
      const all = (on) => () => {
        state.allowed[c].fill(on ? 1 : 0);
        list.querySelectorAll("input").forEach((cb) => { cb.checked = on; });
        update();
      };
      box.append(el("fieldset", {"data-cat": c}, el("legend", {}, CAT_LABEL[c] || c),
        el("span", {class: "allnone"}, el("button", {type: "button", onclick: all(true)}, "all"),
           el("button", {type: "button", onclick: all(false)}, "none")), list));
    }
    const ctl = document.getElementById("controls");
    const colorSel = el("select", {id: "color-by", onchange: (e) => { state.colorBy = e.target.value; update(); }},
      ...CAT_NAMES.map((c) => el("option", {value: c}, CAT_LABEL[c] || c)));
    const numOpts = (sel) => Object.keys(num).map((c) => {
      const o = el("option", {value: c}, NUM_LABEL[c] || c);
      if (c === sel) o.selected = true;
      return o;
    });
    const xSel = el("select", {id: "area-x", onchange: (e) => { state.areaX = e.target.value; update(); }},
      ...numOpts(state.areaX));
    const ySel = el("select", {id: "area-y", onchange: (e) => { state.areaY = e.target.value; update(); }},
      ...numOpts(state.areaY));
    const logCb = el("input", {type: "checkbox", id: "log-axes",
      onchange: (e) => { state.log = e.target.checked; update(); }});
    ctl.append(el("label", {}, "colour by ", colorSel), el("label", {}, logCb, " log axes"),
      el("label", {}, "second plot: x ", xSel), el("label", {}, " y ", ySel));
  }

  function mask() {
    const m = new Uint8Array(N);
    const cs = CAT_NAMES.map((c) => [codes[c], state.allowed[c]]);
    let shown = 0;
    outer: for (let i = 0; i < N; i++) {
      for (let j = 0; j < cs.length; j++) if (!cs[j][1][cs[j][0][i]]) continue outer;
      m[i] = 1; shown++;
    }
    return [m, shown];
  }

  // Points no drawn point beats in both time and energy (lower is better), in order of time. The points are
  // sorted once, at load; each update scans that order, skipping the points filtered out (no sort per update).
  const byTime = (() => {
    const x = num.compressed_seconds, y = num.compressed_energy_j;
    const ids = Array.from({length: N}, (_, i) => i);
    ids.sort((a, b) => x[a] - x[b] || y[a] - y[b]);
    return Int32Array.from(ids);
  })();
  function pareto(m) {
    const y = num.compressed_energy_j, front = [];
    let best = Infinity;
    for (let q = 0; q < N; q++) {
      const i = byTime[q];
      if (m[i] && y[i] < best) { front.push(i); best = y[i]; }
    }
    return front;
  }

  function groupTraces(m, xs, ys, plot) {
    const cc = codes[state.colorBy], vals = D.cats[state.colorBy].values;
    const count = new Int32Array(vals.length);
    for (let i = 0; i < N; i++) if (m[i]) count[cc[i]]++;
    const gx = [], gy = [], gi = [], fill = new Int32Array(vals.length);
    for (let k = 0; k < vals.length; k++) {
      gx.push(new Float64Array(count[k])); gy.push(new Float64Array(count[k])); gi.push(new Int32Array(count[k]));
    }
    for (let i = 0; i < N; i++) {
      if (!m[i]) continue;
      const k = cc[i], f = fill[k]++;
      gx[k][f] = xs[i]; gy[k][f] = ys[i]; gi[k][f] = i;
    }
    const traces = [];
    state.idx[plot] = [];
    for (let k = 0; k < vals.length; k++) {
      if (!count[k]) continue;
      traces.push({type: "scattergl", mode: "markers", name: String(vals[k]), x: gx[k], y: gy[k],
        marker: {color: PALETTE[k % PALETTE.length], size: 6, opacity: 0.75},
        hovertemplate: "%{x:.4g}, %{y:.4g}<extra>" + String(vals[k]) + "</extra>"});
      state.idx[plot].push(gi[k]);
    }
    return traces;
  }

  function marks(xs, ys, plot) {
    const out = [];
    for (const [i, name, color] of [[state.pinned, "pinned", "#000"], [state.current, "chosen", "#d00"]]) {
      if (i < 0) continue;
      out.push({type: "scatter", mode: "markers", name, x: [xs[i]], y: [ys[i]], showlegend: false,
        marker: {size: 16, color: "rgba(0,0,0,0)", line: {color, width: 3}}, hoverinfo: "skip"});
      state.idx[plot].push(Int32Array.of(i));
    }
    return out;
  }

  // Axis ranges over all points, fixed: a filter change neither moves the axes nor makes Plotly scan every point
  // again for its autorange.
  const rangeCache = {};
  function range(col) {
    const key = col + (state.log ? ":log" : "");
    if (!(key in rangeCache)) {
      let lo = Infinity, hi = -Infinity;
      for (const v of num[col]) if (Number.isFinite(v) && (!state.log || v > 0)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
      if (!Number.isFinite(lo)) { lo = 0; hi = 1; }
      if (state.log) { lo = Math.log10(lo); hi = Math.log10(hi); }
      const pad = (hi - lo) * 0.05 || Math.abs(hi) * 0.05 || 1;
      rangeCache[key] = [lo - pad, hi + pad];
    }
    return rangeCache[key];
  }

  function layout(xc, yc, xt, yt) {
    const type = state.log ? "log" : "linear";
    return {margin: {l: 70, r: 10, t: 10, b: 50}, legend: {orientation: "h", y: -0.2}, hovermode: "closest",
      xaxis: {title: {text: xt}, type, range: range(xc), autorange: false},
      yaxis: {title: {text: yt}, type, range: range(yc), autorange: false}, uirevision: state.log + xc + yc};
  }

  function update() {
    const t0 = performance.now();
    const [m, shown] = mask();
    state.shown = shown;
    if (state.current >= 0 && !m[state.current]) state.current = -1;
    const xs = num.compressed_seconds, ys = num.compressed_energy_j;
    const front = groupTraces(m, xs, ys, "front");
    const pf = pareto(m);
    front.push({type: "scatter", mode: "lines+markers", name: "Pareto front", x: pf.map((i) => xs[i]),
      y: pf.map((i) => ys[i]), line: {color: "#222", width: 1.5, shape: "hv"},
      marker: {size: 7, symbol: "diamond-open", color: "#222"}, hovertemplate: "%{x:.4g}, %{y:.4g}<extra>Pareto</extra>"});
    state.idx.front.push(Int32Array.from(pf));
    front.push(...marks(xs, ys, "front"));
    const ax = num[state.areaX], ay = num[state.areaY];
    const area = groupTraces(m, ax, ay, "area");
    area.push(...marks(ax, ay, "area"));
    Plotly.react("plot-front", front, layout("compressed_seconds", "compressed_energy_j", "compressed: time (s)",
      "compressed: energy (J)"),
      {responsive: true, displaylogo: false});
    Plotly.react("plot-area", area, layout(state.areaX, state.areaY, NUM_LABEL[state.areaX] || state.areaX,
      NUM_LABEL[state.areaY] || state.areaY),
      {responsive: true, displaylogo: false});
    const total = N.toLocaleString("en-US");
    document.getElementById("count").textContent = `${shown.toLocaleString("en-US")} point${shown === 1 ? "" : "s"}` +
      (shown < N ? ` (of ${total})` : "") + ` · ${pf.length} on the Pareto front` +
      (D.failed ? ` · ${D.failed} failed point${D.failed === 1 ? "" : "s"} not shown` : "");
    state.lastUpdateMs = performance.now() - t0;
  }

  // ---- the chosen point ----
  const quote = (s) => (/^[\w.\/:=,+@%-]+$/.test(s) ? s : "'" + s.replace(/'/g, "'\\''") + "'");
  function command(i) {
    const parts = ["accelsim", "run", quote(D.trace_paths[codes.trace[i]])];
    const hw = catValue("hw", i);
    if (hw) parts.push("--hw", quote(String(hw)));
    for (const k of D.keys) {
      const v = catValue(k, i);
      if (v !== null && v !== undefined) parts.push("--set", quote(`${k}=${v}`));
    }
    return parts.join(" ");
  }

  function table(head, rows) {
    return el("table", {}, el("thead", {}, el("tr", {}, ...head.map((h) => el("th", {}, h)))),
      el("tbody", {}, ...rows.map((r) => el("tr", {}, ...r.map((c, j) => el(j ? "td" : "th", {}, c))))));
  }
  const v = (c, i) => (num[c] ? num[c][i] : NaN);

  function figureRows(i) {
    const rows = [
      ["speedup", fmt(v("speedup", i)), ""], ["energy ratio", fmt(v("energy_ratio", i)), ""],
      ["time (s)", fmt(v("compressed_seconds", i)), fmt(v("dense_seconds", i))],
      ["energy (J)", fmt(v("compressed_energy_j", i)), fmt(v("dense_energy_j", i))],
      ["TFLOPS/mm²", fmt(v("compressed_tflops_per_mm2", i)), fmt(v("dense_tflops_per_mm2", i))],
      ["TFLOPS/W", fmt(v("compressed_tflops_per_w", i)), fmt(v("dense_tflops_per_w", i))],
      ["cycles", fmt(v("compressed_cycles", i)), fmt(v("dense_cycles", i))],
      ["  compute", fmt(v("compressed_compute_cycles", i)), fmt(v("dense_compute_cycles", i))],
      ["  memory stall", fmt(v("compressed_stall_memory_cycles", i)), fmt(v("dense_stall_memory_cycles", i))],
      ["  decode stall", fmt(v("compressed_stall_decode_cycles", i)), fmt(v("dense_stall_decode_cycles", i))],
      ["DRAM bytes", fmt(v("compressed_dram_bytes", i)), fmt(v("dense_dram_bytes", i))],
    ];
    for (const p of D.energy_parts) {
      rows.push([`energy: ${p} (J)`, fmt(v(`compressed_energy_${p}_j`, i)), fmt(v(`dense_energy_${p}_j`, i))]);
    }
    return rows;
  }

  function breakdownTable(i, group) {
    const b = D.breakdowns[String(i)];
    if (!b) return null;
    const c = b.compressed[group], d = b.dense[group];
    const names = [...new Set([...Object.keys(d), ...Object.keys(c)])];
    // Figures: cycles, seconds, energy_j, dram_bytes, then the energy parts.
    return table([group, "cycles dense", "cycles compr.", "speedup", "energy compr. (J)",
                  ...D.energy_parts.map((p) => p + " (J)"), "DRAM compr."],
      names.map((n) => {
        const cc = c[n], dd = d[n];
        return [n, dd ? fmt(dd[0]) : "–", cc ? fmt(cc[0]) : "–", cc && dd && cc[0] ? fmt(dd[0] / cc[0]) : "–",
                cc ? fmt(cc[2]) : "–", ...D.energy_parts.map((_, q) => (cc ? fmt(cc[4 + q]) : "–")),
                cc ? fmt(cc[3]) : "–"];
      }));
  }

  function renderDetail() {
    const box = document.getElementById("detail");
    box.replaceChildren();
    const i = state.current;
    if (i < 0) {
      box.append(el("p", {class: "hint"}, "Click a point for its figures and breakdowns, and the command that reproduces it."));
      return;
    }
    box.append(el("h2", {}, `${catValue("trace", i)} on ${catValue("hw", i)}`));
    box.append(table(["key", "value"], D.keys.map((k) => [k, String(catValue(k, i))])));
    const cmd = command(i);
    box.append(el("h3", {}, "Reproduce"), el("pre", {id: "command"}, cmd),
      el("button", {type: "button", onclick: () => navigator.clipboard && navigator.clipboard.writeText(cmd)}, "copy"),
      el("button", {type: "button", id: "pin", onclick: () => { state.pinned = i; update(); renderDetail(); }},
         "pin for comparison"));
    if (state.pinned >= 0 && state.pinned !== i) {
      const p = state.pinned, a = figureRows(p), b = figureRows(i);
      box.append(el("h3", {}, "Side by side (compressed view)"),
        table(["", "pinned", "chosen", "chosen / pinned"], a.map((r, q) => {
          const x = parseFloat(r[1].replace(/,/g, "")), y = parseFloat(b[q][1].replace(/,/g, ""));
          return [r[0], r[1], b[q][1], x ? fmt(y / x) : "–"];
        }).concat(D.keys.map((k) => [k, String(catValue(k, p)), String(catValue(k, i)), ""]))));
    }
    box.append(el("h3", {}, "Figures"), table(["", "compressed", "dense"], figureRows(i)));
    if (num.area_mm2) {
      box.append(el("h3", {}, "Area (mm²)"), table(["part", "mm²"],
        [["total", fmt(v("area_mm2", i))], ...D.area_parts.map((p) => [p, fmt(v(`area_${p}_mm2`, i))])]));
    }
    const ph = breakdownTable(i, "phase"), nw = breakdownTable(i, "network"), ly = breakdownTable(i, "layer");
    if (ph) box.append(el("h3", {}, "By phase"), ph, el("h3", {}, "By network"), nw, el("h3", {}, "By layer"), ly);
    else box.append(el("p", {class: "hint"}, "This page carries phase, network and layer breakdowns for the Pareto-front " +
      "points of large sweeps only; the command above prints them for this point."));
  }

  function select(i) { state.current = i; update(); renderDetail(); }

  function bindClicks(id, plot) {
    document.getElementById(id).on("plotly_click", (ev) => {
      const p = ev.points && ev.points[0];
      if (!p) return;
      const ids = state.idx[plot][p.curveNumber];
      if (ids && p.pointNumber < ids.length) select(ids[p.pointNumber]);
    });
  }

  buildFilters();
  update();
  bindClicks("plot-front", "front");
  bindClicks("plot-area", "area");
  // For tests and the benchmark: what is drawn, and how long the last filter change took.
  window.explorer = {
    state, update, select,
    drawn: () => state.shown,
    setAllowed(cat, code, on) { state.allowed[cat][code] = on ? 1 : 0; update(); },
  };
})();
