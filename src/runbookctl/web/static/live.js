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
      case "approval_requested": return "waits for approval (not by " + (d.operator || "the operator") + ")";
      case "approval_decided": return d.decision + "d by " + d.by + " via " + d.via + (d.reason ? ": " + d.reason : "");
      case "approval_timed_out": return "approval timed out: " + (d.then || "");
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

  // --- approvals: the open requests, from the events (as record/approvals.py:open_request)
  const titles = new Map();  // step key -> title
  const waiting = new Map();  // step key -> its form
  const approvals = document.getElementById("approvals");
  const approvalList = document.getElementById("approval-list");

  function field(placeholder, name) {
    const input = document.createElement("input");
    input.placeholder = placeholder;
    input.name = name;
    input.autocomplete = "off";
    return input;
  }

  function button(text, decision, form) {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = text;
    b.dataset.decision = decision;
    b.addEventListener("click", function () { send(form, decision); });
    return b;
  }

  function openApproval(e) {
    if (waiting.has(e.step)) { return; }
    const form = document.createElement("form");
    form.className = "approval";
    form.dataset.step = e.step;
    const what = document.createElement("p");
    what.textContent = (titles.get(e.step) || e.step) + " (" + e.step + ") waits for approval since " +
      (e.ts || "").slice(11, 19) + "; " + (e.data.operator || "the operator") + " may not approve it.";
    const said = document.createElement("p");
    said.className = "approval-status";
    form.append(what, field("your name", "by"), field("reason (needed to reject)", "reason"),
                button("Approve", "approve", form), button("Reject", "reject", form), said);
    form.addEventListener("submit", function (ev) { ev.preventDefault(); });
    approvalList.appendChild(form);
    waiting.set(e.step, form);
    approvals.hidden = false;
  }

  function closeApproval(step, why) {
    const form = waiting.get(step);
    if (!form) { return; }
    waiting.delete(step);
    form.remove();
    approvals.hidden = waiting.size === 0;
  }

  function send(form, decision) {
    const said = form.querySelector(".approval-status");
    const headers = {"Content-Type": "application/json"};
    const token = document.getElementById("token").value.trim();
    if (token) { headers["Authorization"] = "Bearer " + token; }
    const step = form.dataset.step.split("/").map(encodeURIComponent).join("/");
    said.textContent = "sending…";
    fetch("/api/runs/" + encodeURIComponent(runId) + "/approvals/" + step, {
      method: "POST", credentials: "same-origin", headers: headers,
      body: JSON.stringify({decision: decision, by: form.elements.by.value,
                            reason: form.elements.reason.value || null}),
    }).then(function (r) {
      return r.json().then(function (j) {
        said.textContent = r.ok ? decision + "d by " + j.data.by + ": the run goes on" : (j.error || r.statusText);
      });
    }).catch(function (err) { said.textContent = "not sent: " + err; });
  }

  function trackApprovals(e) {
    if (e.type === "step_started") { titles.set(e.step, e.data.title || e.step); }
    if (e.type === "approval_requested") { openApproval(e); }
    if (e.type === "approval_decided" || e.type === "approval_timed_out" || e.type === "step_finished") {
      closeApproval(e.step);
    }
    if (e.type === "run_finished" || e.type === "run_abandoned" || e.type === "run_interrupted") {
      Array.from(waiting.keys()).forEach(function (k) { closeApproval(k); });
    }
  }

  const source = new EventSource("/api/runs/" + encodeURIComponent(runId) + "/events?output=1");
  source.onopen = function () { connection.textContent = "live"; };
  source.onerror = function () { connection.textContent = "reconnecting…"; };
  source.onmessage = function (m) {
    const e = JSON.parse(m.data);
    addEvent(e);
    trackApprovals(e);
  };
  source.addEventListener("output", function (m) { addOutput(JSON.parse(m.data)); });
  source.addEventListener("end", function (m) {
    source.close();
    connection.textContent = "ended: " + JSON.parse(m.data).status;
    body.dataset.ended = "1";
    if (!document.getElementById("report")) { window.location.reload(); }  // now with its report
  });
})();
