// The run page's live part: follows /api/runs/ID/events (server-sent events) and adds
// each journal event as a row, and each piece of a command's output to its box.
// Everything shown goes in with textContent: nothing from a run is ever parsed as HTML.
"use strict";
(function () {
  const body = document.body;
  const runId = body.dataset.run;
  if (!runId) { return; }
  const rows = document.querySelector("#events tbody");
  const outputs = document.getElementById("output");
  const connection = document.getElementById("connection");
  const boxes = new Map();  // log name -> {pre, end}

  function cell(tr, text) {
    const td = document.createElement("td");
    td.textContent = text == null ? "" : String(text);
    tr.appendChild(td);
  }

  function describe(e) {
    const d = e.data || {};
    switch (e.type) {
      case "run_started": return "run started: " + (d.title || d.runbook || "");
      case "step_started": return "started: " + (d.title || "");
      case "step_skipped": return "skipped: " + (d.reason || "");
      case "step_finished": return d.status + (d.reason && d.reason !== d.status ? ": " + d.reason : "");
      case "command_started": return "$ " + (d.command || "");
      case "command_finished": return d.ok ? "command ok" : "command failed: " + (d.reason || "");
      case "answer": return (d.question ? d.question + " → " : "") + String(d.value);
      case "message": return d.text || "";
      case "note": return "note: " + (d.text || "");
      case "jump": return "→ " + (d.to || "") + (d.why ? " (" + d.why + ")" : "");
      case "reminder": return "reminder: " + (d.message || "");
      case "milestone": return "milestone: " + (d.name || "");
      case "run_finished": return "run " + d.status + (d.reason ? ": " + d.reason : "");
      case "run_interrupted": return "run interrupted: " + (d.reason || "");
      default: return e.type.replace(/_/g, " ") + (d.reason ? ": " + d.reason : "");
    }
  }

  function addEvent(e) {
    const tr = document.createElement("tr");
    tr.className = "event type-" + e.type;
    tr.dataset.seq = String(e.seq);
    cell(tr, e.seq);
    cell(tr, (e.ts || "").slice(11, 19));
    cell(tr, e.step || "");
    cell(tr, describe(e));
    cell(tr, e.actor);
    rows.appendChild(tr);
    const current = document.getElementById("current");
    if (e.type === "step_started") {
      current.textContent = (e.data.title || "") + " (" + e.step + ")";
    } else if (e.type === "step_finished" || e.type === "step_skipped") {
      current.textContent = "—";
    }
    if (e.type === "run_finished" || e.type === "run_interrupted" || e.type === "run_abandoned") {
      const status = document.getElementById("status");
      status.textContent = e.type === "run_finished" ? e.data.status : e.type.slice(4);
      body.dataset.status = status.textContent;
    }
  }

  function addOutput(o) {
    let box = boxes.get(o.log);
    if (!box || o.offset < box.end) {  // new, or sent again from its start after a reconnect
      if (!box) {
        const wrap = document.createElement("div");
        wrap.className = "live-output";
        const h = document.createElement("h3");
        h.textContent = (o.step || "") + (o.host && o.host !== "local" ? " @ " + o.host : "");
        const pre = document.createElement("pre");
        pre.className = "output";
        pre.dataset.liveLog = o.log;
        wrap.appendChild(h);
        wrap.appendChild(pre);
        outputs.appendChild(wrap);
        box = {pre: pre, end: 0};
        boxes.set(o.log, box);
      }
      box.pre.textContent = "";
    }
    if (o.skipped) { box.pre.textContent += "[… " + o.skipped + " bytes: see the full log]\n"; }
    box.pre.textContent += o.text;
    box.end = o.offset + o.skipped + new TextEncoder().encode(o.text).length;
  }

  const source = new EventSource("/api/runs/" + encodeURIComponent(runId) + "/events?output=1");
  source.onopen = function () { connection.textContent = "live"; };
  source.onerror = function () { connection.textContent = "reconnecting…"; };
  source.onmessage = function (m) { addEvent(JSON.parse(m.data)); };
  source.addEventListener("output", function (m) { addOutput(JSON.parse(m.data)); });
  source.addEventListener("end", function (m) {
    source.close();
    connection.textContent = "ended: " + JSON.parse(m.data).status;
    body.dataset.ended = "1";
    if (!document.getElementById("report")) { window.location.reload(); }  // now with its report
  });
})();
