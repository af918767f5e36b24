// Sites: list them with their embed snippets, add or change one. Every value from the
// server is set as text, never as markup.
(function () {
  "use strict";

  var API = "/api/v1/sites";

  function request(method, url, body) {
    var options = { method: method, headers: { Accept: "application/json" }, cache: "no-store" };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch(url, options).then(function (response) {
      return response.text().then(function (text) {
        var data = null;
        try {
          data = text ? JSON.parse(text) : null;
        } catch (e) {}
        return { response: response, data: data };
      });
    });
  }

  function cell(row, content) {
    var td = document.createElement("td");
    if (typeof content === "string") td.textContent = content;
    else td.appendChild(content);
    row.appendChild(td);
  }

  function snippet(site) {
    return '<script async src="' + location.origin + '/spur.js" data-site="' + site.id + '"></script>';
  }

  var shown = [];

  // The sites as CSV: id, name, allowed origins (space-separated), snippet.
  function exportCsv() {
    var field = function (value) {
      var text = String(value);
      // A leading =, +, - or @ would be a formula in a spreadsheet.
      if (/^[=+\-@]/.test(text)) text = "'" + text;
      return /[",\n\r]/.test(text) ? '"' + text.replace(/"/g, '""') + '"' : text;
    };
    var lines = [["id", "name", "allowed_origins", "snippet"]].concat(shown.map(function (site) {
      return [site.id, site.name, site.allowed_origins.join(" "), snippet(site)];
    }));
    var csv = "\ufeff" + lines.map(function (f) { return f.map(field).join(","); }).join("\r\n") + "\r\n";
    var link = document.createElement("a");
    link.href = URL.createObjectURL(new Blob([csv], { type: "text/csv;charset=utf-8" }));
    link.download = "spur-sites.csv";
    document.body.appendChild(link);
    link.click();
    link.remove();
  }

  function render(sites) {
    shown = sites;
    var body = document.getElementById("sites-body");
    body.textContent = "";
    sites.forEach(function (site) {
      var row = document.createElement("tr");
      var name = document.createElement("div");
      name.setAttribute("translate", "no");
      var strong = document.createElement("strong");
      strong.textContent = site.name;
      var id = document.createElement("code");
      id.textContent = site.id;
      name.appendChild(strong);
      name.appendChild(document.createTextNode(" "));
      name.appendChild(id);
      // Whether the snippet works: has any event arrived?
      var status = document.createElement("div");
      status.className = "site-status" + (site.has_events ? " site-receiving" : "");
      status.textContent = site.has_events ? "Receiving events" : "No events yet: put the snippet on the site's pages";
      var first = document.createElement("div");
      first.appendChild(name);
      first.appendChild(status);
      cell(row, first);
      cell(row, site.allowed_origins.length ? site.allowed_origins.join(", ") : "any origin");
      var wrap = document.createElement("div");
      var code = document.createElement("code");
      code.className = "snippet";
      code.textContent = snippet(site);
      var copy = document.createElement("button");
      copy.type = "button";
      copy.className = "chip-btn";
      copy.textContent = "Copy";
      copy.addEventListener("click", function () {
        if (navigator.clipboard) {
          navigator.clipboard.writeText(snippet(site)).then(function () {
            copy.textContent = "Copied";
          }, function () {});
        }
      });
      wrap.appendChild(code);
      wrap.appendChild(copy);
      cell(row, wrap);
      body.appendChild(row);
    });
  }

  function load() {
    return request("GET", API).then(function (result) {
      if (result.response.status === 401) {
        window.spurDashboard.signedOut();
        return;
      }
      if (result.response.ok && Array.isArray(result.data)) render(result.data);
    });
  }

  function save(event) {
    event.preventDefault();
    var error = document.getElementById("site-error");
    error.textContent = "";
    var id = document.getElementById("site-id").value.trim();
    var origins = document
      .getElementById("site-origins")
      .value.split("\n")
      .map(function (o) { return o.trim(); })
      .filter(function (o) { return o; });
    request("PUT", API + "/" + encodeURIComponent(id), {
      name: document.getElementById("site-name").value,
      allowed_origins: origins
    })
      .then(function (result) {
        if (result.response.ok) {
          event.target.reset();
          return load();
        }
        error.textContent =
          result.data && result.data.error ? result.data.error.message : "Saving failed (HTTP " + result.response.status + ").";
      })
      .catch(function () {
        error.textContent = "Could not reach the Spur collector.";
      });
  }

  function init() {
    document.getElementById("site-form").addEventListener("submit", save);
    document.getElementById("sites-csv").addEventListener("click", exportCsv);
    load();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
